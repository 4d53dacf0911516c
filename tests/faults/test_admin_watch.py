"""F7 seen by an admin: the all-learners watch while two workers commit awards concurrently.

Award ids come from one sequence, so across learners they are not committed in
id order: learner A's award can take id 10 and commit after learner B's id 11.
A reader that only resumed "after the last id sent" would skip id 10 for good;
app.read.live re-reads a settle window for this feed.
"""

from __future__ import annotations

from app.services.accounts import create_token
from tests.faults.harness import sql
from tests.faults.watch import WatchClient
from tests.support.services import wait_for


def test_all_learners_watch_sees_every_award_of_concurrent_workers(burst, grpc_address,
                                                                  start_worker):
    scenario = burst(learners=6, units=2, modules=5)
    admin = create_token("ops", ["achievements:admin", "achievements:read"])[1]
    watcher = WatchClient(grpc_address, admin, 0, everyone=True).connect()
    try:
        start_worker(name="a", concurrency=2)
        start_worker(name="b", concurrency=2)
        scenario.post_all(scenario.app.test_client(), scenario.events())
        scenario.assert_exact()
        stored = {row[0] for row in sql(scenario.database_url, "SELECT id FROM achievements")}
        try:
            wait_for(lambda: {a["id"] for a in watcher.received} >= stored, timeout=10,
                     what="the admin watch to show every award")
        except AssertionError:
            seen = {a["id"] for a in watcher.received}
            missed = sorted(stored - seen)
            raise AssertionError(f"missed {missed} of {len(stored)}; "
                                 f"{sum(m < max(seen) for m in missed)} of them below an id "
                                 f"already sent (committed out of id order)") from None
        received = [a["id"] for a in watcher.received]
        assert len(received) == len(set(received)), "the live feed repeated an award"
    finally:
        watcher.close()
