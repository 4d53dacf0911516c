"""F6: SSE and gRPC watch clients dropped and resumed with their last id miss nothing."""

from __future__ import annotations

from typing import Any

from tests.faults.harness import Burst, assert_stream_complete
from tests.support.services import wait_for


def drop_and_resume(scenario: Burst, streams: dict[int, Any], start_worker: Any) -> None:
    """Half the burst live, drop one learner's stream, the rest offline, resume with last id."""
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

    assert dropped.resumed_from[-1] == seen_before_drop
    assert_stream_complete(streams, scenario.expected())


def test_sse_client_resumed_with_last_id_misses_nothing(burst, live_clients, start_worker):
    scenario = burst(learners=2)
    drop_and_resume(scenario, live_clients(scenario), start_worker)


def test_grpc_watch_resumed_with_after_id_misses_nothing(burst, watchers, start_worker):
    scenario = burst(learners=2)
    drop_and_resume(scenario, watchers(scenario), start_worker)


def test_sse_client_dropped_before_its_first_award_misses_nothing(burst, live_clients,
                                                                  start_worker):
    """The resume point is the page's latest id until an award arrives (``live.js``'s
    ``?after=``): a stream broken before its first award still gets what came meanwhile."""
    scenario = burst(learners=2)
    streams = live_clients(scenario)
    dropped = streams[scenario.learners[0].user_id]
    dropped.disconnect()
    start_worker()
    scenario.post_all(scenario.app.test_client(), scenario.events())
    scenario.assert_exact()
    dropped.resume()

    assert dropped.resumed_from[-1] is None
    assert_stream_complete(streams, scenario.expected())
