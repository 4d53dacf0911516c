"""Benchmark: awarding a badge by hand to a long list, against the floor of storing the same
award rows with the app's own bulk insert; on PostgreSQL; JSON.

    .venv/bin/python bench/hand_awards.py                    # 5,000 learners, 3 rounds
    .venv/bin/python bench/hand_awards.py --learners 10000 --rounds 5

Each round awards a fresh published badge to every learner in batches of 500, as a
console job does (``by_hand.give``: the learners' locks, who holds it already, the
insert with holder counts, one audit entry per award, the commit), then stores the
same number of award rows of another fresh key with ``store_awards`` alone and one
commit per batch — the floor: what an award costs with no lock, no check and no audit.
The sides alternate round by round. Target: awards by hand / floor >= 0.5.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import bulk_learners, emit, ratio, report, scratch_database

BATCH = 500


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=5_000)
    parser.add_argument("--rounds", type=int, default=3)
    return parser.parse_args()


def by_hand(learners: list[int], key: str) -> float:
    from app.services.accounts.principal import Principal
    from app.services.badges import create_badge, publish_badge
    from app.services.badges.by_hand import Note, awardable, give

    admin = Principal(kind="admin", id=0, name="bench")
    create_badge(admin, {"key": key, "title": f"Bench {key}",
                         "criteria": {"module_complete": "bench-u1-m1"}})
    publish_badge(admin, key)
    badge, note = awardable(admin, key), Note("bench", None, notify=False)
    started = time.perf_counter()
    for start in range(0, len(learners), BATCH):
        give(admin, badge, learners[start:start + BATCH], note)
    return time.perf_counter() - started


def floor(learners: list[int], key: str) -> float:
    from app.domain.registry import AwardDue
    from app.extensions import db
    from app.services.awarding.awards import store_awards

    due = [AwardDue("badge", f"badge:{key}", key, "", {"badge": key})]
    started = time.perf_counter()
    for start in range(0, len(learners), BATCH):
        store_awards({uid: due for uid in learners[start:start + BATCH]},
                     source_event_id=None, silent=True)
        db.session.commit()
    return time.perf_counter() - started


def main() -> None:
    args = parse_args()
    from app import create_app
    from app.config import Config
    from tests.support.catalog import build_catalog

    seconds: dict[str, list[float]] = {"by_hand": [], "floor": []}
    with scratch_database() as url:
        app = create_app(Config(DATABASE_URL=url, SECRET_KEY="bench", TASKS_EAGER=True))
        with app.app_context():
            build_catalog("bench", units=1, modules=1)
            learners = bulk_learners(args.learners, "hand")
            for index in range(args.rounds):
                seconds["by_hand"].append(by_hand(learners, f"hand-{index}"))
                seconds["floor"].append(floor(learners, f"floor-{index}"))
    rates = {side: round(args.learners / min(values)) for side, values in seconds.items()}
    emit(report(
        "hand_awards", {"learners": args.learners, "rounds": args.rounds, "batch": BATCH},
        measured={"by_hand": {"awards_per_second": rates["by_hand"],
                              "seconds": [round(s, 3) for s in seconds["by_hand"]]}},
        baseline={"store_awards_only": {"awards_per_second": rates["floor"],
                                        "seconds": [round(s, 3) for s in seconds["floor"]]}},
        ratios={"by_hand_over_floor": ratio(rates["by_hand"], rates["floor"])},
        targets={"by_hand_over_floor": ">= 0.5"}))


if __name__ == "__main__":
    main()
