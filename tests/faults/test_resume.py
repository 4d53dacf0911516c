"""F6: SSE and gRPC watch clients dropped mid-burst and resumed with their last id miss nothing."""

from __future__ import annotations

from tests.faults.harness import assert_stream_complete
from tests.support.services import wait_for


def test_sse_client_resumed_with_last_id_misses_nothing(burst, live_clients, start_worker):
    scenario = burst(learners=2)
    clients = live_clients(scenario)
    start_worker()
    pairs = scenario.events()
    dropped = clients[scenario.learners[0].user_id]
    scenario.post_all(scenario.app.test_client(), pairs[: len(pairs) // 2])
    wait_for(lambda: len(dropped.received) >= 3, what="some awards before the drop")

    dropped.disconnect()
    seen_before_drop = dropped.last_id
    scenario.post_all(scenario.app.test_client(), pairs[len(pairs) // 2:])
    scenario.assert_exact()
    dropped.resume()

    assert dropped.sent_last_ids[-1] == seen_before_drop
    assert_stream_complete(clients, scenario.expected())


def test_grpc_watch_resumed_with_after_id_misses_nothing(burst, watchers, start_worker):
    scenario = burst(learners=2)
    streams = watchers(scenario)
    start_worker()
    pairs = scenario.events()
    dropped = streams[scenario.learners[0].user_id]
    scenario.post_all(scenario.app.test_client(), pairs[: len(pairs) // 2])
    wait_for(lambda: len(dropped.received) >= 3, what="some awards before the drop")

    dropped.disconnect()
    seen_before_drop = dropped.last_id
    scenario.post_all(scenario.app.test_client(), pairs[len(pairs) // 2:])
    scenario.assert_exact()
    dropped.resume()

    assert dropped.sent_after_ids[-1] == seen_before_drop
    assert_stream_complete(streams, scenario.expected())  # type: ignore[arg-type]
