"""Benchmark: the public Open Badges endpoints against the history API, on PostgreSQL; JSON.

    .venv/bin/python bench/openbadges.py                 # 2,000 learners x 5 shared awards
    .venv/bin/python bench/openbadges.py --learners 20000 --requests 2000

Seeds a scratch database (learners, their awards through the app's own bulk
insert, every award shared), then calls the app as gunicorn does (WSGI
environ built before timing, body read to its end; no HTTP hop), one request
at a time, the sides interleaved request by request so all see the same load:

* ``history``: ``GET /api/v1/achievements?user_id=…`` with a service token —
  the baseline, the plain history API;
* ``assertion``: ``GET /ob/v2/assertions/<public id>`` (Open Badges 2.0);
* ``credential``: ``GET /ob/v3/credentials/<public id>`` (the RS256 VC-JWT),
  signed once per award version and then kept (``signed_credentials``);
* ``credential_signing_each_time``: the same with a cache that keeps nothing,
  so every request signs: what the cache saves.

Requests/s is 1000 / mean ms of one caller. Target: credential / history >= 0.5.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import bulk_learners, emit, percentiles, ratio, report, scratch_database
from history import api_call as call
from history import wsgi_environ

WARM_UP = 30
SIDES = ("history", "assertion", "credential", "credential_signing_each_time")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=2_000)
    parser.add_argument("--awards-per-learner", type=int, default=5)
    parser.add_argument("--requests", type=int, default=500, help="timed requests per side")
    return parser.parse_args()


def seed(args: argparse.Namespace) -> list[tuple[int, str]]:
    """(learner, public id) of every award, all shared."""
    from sqlalchemy import text

    from app.domain.registry import AwardDue
    from app.extensions import db
    from app.services.awarding.awards import store_awards

    learners = bulk_learners(args.learners, "badge")
    due = [AwardDue("module_complete", f"module_complete:m{i}", f"Module complete: M{i}",
                    f"You completed M{i}.", {"module": f"m{i}"})
           for i in range(args.awards_per_learner)]
    for start in range(0, len(learners), 500):
        store_awards({uid: due for uid in learners[start:start + 500]}, source_event_id=None)
    db.session.execute(text("UPDATE achievements SET public = true"))
    db.session.commit()
    rows = db.session.execute(text("SELECT user_id, public_id FROM achievements"))
    pairs = [(row[0], row[1]) for row in rows]
    db.session.execute(text("ANALYZE achievements"))
    db.session.commit()
    return pairs


def environ(url: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    return wsgi_environ(url, headers or {})


def requests_for(pairs: list[tuple[int, str]], count: int,
                 token: str) -> dict[str, list[dict[str, Any]]]:
    picks = [random.choice(pairs) for _ in range(count)]
    bearer = {"Authorization": f"Bearer {token}"}
    return {
        "history": [environ(f"/api/v1/achievements?user_id={uid}&limit=20", bearer)
                    for uid, _ in picks],
        "assertion": [environ(f"/ob/v2/assertions/{pid}") for _, pid in picks],
        "credential": [environ(f"/ob/v3/credentials/{pid}") for _, pid in picks],
        "credential_signing_each_time": [environ(f"/ob/v3/credentials/{pid}")
                                         for _, pid in picks],
    }


def measure(app: Any, requests: dict[str, list[dict[str, Any]]]) -> dict[str, list[float]]:
    """Request i of each side in turn; the first WARM_UP untimed (every credential of the
    cached side is fetched once untimed too, so it measures the kept path). The signing
    side runs with a cache that keeps nothing, the others with the real one."""
    from app.infra.caches.signed_credentials import SignedCredentials
    from app.services.credentials import signatures

    kept, keeps_nothing = signatures.signed_credentials, SignedCredentials(capacity=0)

    def use(cache: SignedCredentials) -> Callable[[], None]:
        return lambda: setattr(signatures, "signed_credentials", cache)

    before = {side: use(keeps_nothing if side == "credential_signing_each_time" else kept)
              for side in SIDES}
    for env in requests["credential"]:
        call(app, dict(env))
    samples: dict[str, list[float]] = {side: [] for side in SIDES}
    count = len(requests["history"])
    for index in range(count):
        for side in SIDES:
            before[side]()
            env = requests[side][index]
            started = time.perf_counter()
            call(app, env)
            if index >= WARM_UP:
                samples[side].append((time.perf_counter() - started) * 1000)
    return samples


def per_second(stats: dict[str, Any]) -> float | None:
    return round(1000 / stats["mean"], 1) if stats.get("mean") else None


def main() -> None:
    args = parse_args()
    random.seed(7)
    from app import create_app
    from app.config import Config
    from app.extensions import db
    from app.services.accounts import create_token

    with scratch_database() as url:
        app = create_app(Config(DATABASE_URL=url, SECRET_KEY="bench", TASKS_EAGER=True))
        with app.app_context():
            pairs = seed(args)
            token = create_token("bench", ["achievements:read"])[1]
            db.session.remove()
        requests = requests_for(pairs, args.requests + WARM_UP, token)
        samples = measure(app, requests)
    stats = {side: percentiles(samples[side]) for side in SIDES}
    rates = {side: per_second(stats[side]) for side in SIDES}
    emit(report(
        "openbadges", {"learners": args.learners, "awards": len(pairs),
                       "requests_per_side": args.requests, "callers": 1},
        measured={side: {**stats[side], "requests_per_second": rates[side]}
                  for side in SIDES[1:]},
        baseline={"history": {**stats["history"], "requests_per_second": rates["history"]}},
        ratios={f"{side}_over_history": ratio(rates[side], rates["history"])
                for side in SIDES[1:]},
        targets={"credential_over_history": ">= 0.5"}))


if __name__ == "__main__":
    main()
