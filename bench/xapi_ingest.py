"""xAPI ingestion: statements/s posted in batches of 100 against REST progress events one by one.

Real processes on 127.0.0.1: gunicorn (gevent) web app, a Celery worker,
PostgreSQL, Redis. ``--clients`` threads each keep one HTTP connection. Phase
REST (the baseline, same run): every client POSTs ``/api/v1/progress-events``
module completions one by one. Phase xAPI: every client POSTs
``/xapi/statements`` arrays of ``--batch`` ``completed`` statements (HTTP Basic,
a service token as password), each becoming the same module completion. Each
phase has learners of its own, so every event is new and earns a
``module_complete`` award. Rates count from a phase's first request to its
last answer; after each phase the run waits until detection has processed
every event and every award is stored (``settled_s``: from the last answer).
``rest_vs_inserts``: the REST phase against single-row committed INSERTs on one
connection (throughput.py's floor), same run and database. Peer, same run: the REST
phase's requests against ``rest_bare.py`` (Flask under the same gunicorn, one INSERT per
request, nothing else), ``rest_vs_bare`` and ``bare_vs_inserts``: what the stack itself
leaves of the floor. Prints one JSON document.

    .venv/bin/python bench/xapi_ingest.py [--events 4000 --clients 2 --batch 100]
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import math
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import common
import profiling
from rest_bare import serving, stored
from throughput import run_baseline

VERB = "http://adlnet.gov/expapi/verbs/completed"
MODULES_PER_COURSE = 10


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=4000, help="per phase")
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--courses", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=600.0, help="hard stop, seconds")
    parser.add_argument("--profile", metavar="DIR", default=None,
                        help="py-spy the gunicorn worker(s) during the REST phase: "
                             "DIR/<process>.svg and a per-stage table (profiling.py)")
    return parser.parse_args()


class Client:
    """One kept-alive connection; ``post`` raises unless the answer is ``expect``."""

    def __init__(self, base_url: str, headers: dict[str, str]) -> None:
        parts = urlsplit(base_url)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        self.headers = {"Content-Type": "application/json", **headers}

    def post(self, path: str, body: Any, expect: int) -> None:
        self.connection.request("POST", path, body=json.dumps(body), headers=self.headers)
        response = self.connection.getresponse()
        text = response.read()
        if response.status != expect:
            raise RuntimeError(f"POST {path}: {response.status} {text[:300]!r}")


def seed(args: argparse.Namespace) -> tuple[str, list[str], dict[str, list[tuple[int, str]]]]:
    """Courses of ten modules; per phase, learners that each complete one course's modules."""
    from app.services.accounts import create_token
    from app.services.catalog import import_catalog
    from tests.support.catalog import catalog_doc, module_keys

    courses = []
    for index in range(args.courses):
        document = catalog_doc(f"x{index}", units=1, modules=MODULES_PER_COURSE)
        import_catalog(document)
        courses.append(module_keys(document))
    learners = math.ceil(args.events / MODULES_PER_COURSE)
    work: dict[str, list[tuple[int, str]]] = {}
    for phase in ("rest", "xapi"):
        ids = common.bulk_learners(learners, prefix=f"{phase}-")
        work[phase] = [(user, module) for i, user in enumerate(ids)
                       for module in courses[i % len(courses)]][: args.events]
    token = create_token("bench-xapi", ["progress:write"])[1]
    return token, [f"{phase}-" for phase in work], work


def emails(url: str, prefix: str) -> dict[int, str]:
    rows = common.sql(url, "SELECT id, email FROM users WHERE email LIKE %s", (f"{prefix}%",))
    return {int(user_id): str(email) for user_id, email in rows}


def rest_body(index: int, item: tuple[int, str]) -> dict[str, Any]:
    user_id, module = item
    return {"user_id": user_id, "kind": "module_completed", "module": module,
            "idempotency_key": f"rest-{index}"}


def statement(email: str, module: str, public_url: str) -> dict[str, Any]:
    return {"actor": {"objectType": "Agent", "mbox": f"mailto:{email}"},
            "verb": {"id": VERB, "display": {"en-US": "completed"}},
            "object": {"objectType": "Activity",
                       "id": f"{public_url}/xapi/activities/module/{module}",
                       "definition": {"name": {"en-US": module}}},
            "result": {"completion": True}}


def run_phase(clients: list[Client], requests: list[tuple[str, Any, int]]) -> float:
    """Share ``requests`` round-robin over the clients, each in its own thread; seconds."""
    errors: list[Exception] = []

    def send(client: Client, mine: list[tuple[str, Any, int]]) -> Callable[[], None]:
        def run() -> None:
            try:
                for path, body, expect in mine:
                    client.post(path, body, expect)
            except Exception as exc:  # reported after the phase
                errors.append(exc)
        return run

    started = time.monotonic()
    threads = [common.in_thread(send(client, requests[i::len(clients)]), f"client{i}")
               for i, client in enumerate(clients)]
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return time.monotonic() - started


def settle(url: str, awards: int, deadline: float) -> float:
    """Seconds until detection processed every event and ``awards`` module awards exist."""
    started = time.monotonic()
    common.wait_for(lambda: not common.sql(
        url, "SELECT 1 FROM progress_events WHERE processed_at IS NULL LIMIT 1") and common.sql(
        url, "SELECT count(*) FROM achievements WHERE achievement_type = 'module_complete'")[0][0]
        >= awards, timeout=max(1.0, deadline - time.monotonic()), interval=0.05,
        what="every event processed and awarded")
    return time.monotonic() - started


def run_bare(url: str, clients: int, rest: list[tuple[str, Any, int]]) -> tuple[float, int]:
    """The REST phase's requests, sent the same way to ``rest_bare.py``: seconds, and how
    many it stored."""
    from tests.support.services import free_port

    with serving(url, {}, free_port()) as base:
        seconds = run_phase([Client(base, {}) for _ in range(clients)],
                            [("/bare", body, 202) for _, body, _ in rest])
    return seconds, stored(url)


def main() -> None:
    args = parse()
    deadline = time.monotonic() + args.timeout
    with common.Services(workers=1, web=True) as svc:
        token, prefixes, work = seed(args)
        public_url = svc.app.config["ACHIEVEMENTS_CONFIG"].PUBLIC_URL
        svc.start_processes()
        base = svc.web.url
        basic = base64.b64encode(f"bench:{token}".encode()).decode()
        rest_clients = [Client(base, {"Authorization": f"Bearer {token}"})
                        for _ in range(args.clients)]
        xapi_clients = [Client(base, {"Authorization": f"Basic {basic}",
                                      "X-Experience-API-Version": "1.0.3"})
                        for _ in range(args.clients)]
        rest = [("/api/v1/progress-events", rest_body(i, item), 202)
                for i, item in enumerate(work["rest"])]
        profiler = profiling.Profiler(args.profile)
        for index, pid in enumerate(svc.web.children()):
            profiler.attach(f"web{index + 1}", pid)
        rest_s = run_phase(rest_clients, rest)
        profile = profiler.stop(len(rest))
        rest_settle = settle(svc.database_url, len(rest), deadline)
        people = emails(svc.database_url, prefixes[1])
        statements = [statement(people[user], module, public_url) for user, module in work["xapi"]]
        batches = [("/xapi/statements", statements[i:i + args.batch], 200)
                   for i in range(0, len(statements), args.batch)]
        xapi_s = run_phase(xapi_clients, batches)
        xapi_settle = settle(svc.database_url, len(rest) + len(statements), deadline)
        floor = run_baseline(svc.database_url, min(len(rest), 5000))
        bare_s, bare_stored = run_bare(svc.database_url, args.clients, rest)
    rest_rate, xapi_rate = len(rest) / rest_s, len(statements) / xapi_s
    bare_rate = len(rest) / bare_s
    measured = {"statements_per_s": round(xapi_rate, 1), "statements": len(statements),
                "seconds": round(xapi_s, 2), "settled_s": round(xapi_settle, 2)}
    baseline = {"rest_events_per_s": round(rest_rate, 1), "events": len(rest),
                "seconds": round(rest_s, 2), "settled_s": round(rest_settle, 2),
                "floor_inserts_per_s": floor["per_s"], **({"profile": profile} if profile else {})}
    peer = {"bare_flask_insert_per_s": round(bare_rate, 1), "seconds": round(bare_s, 2),
            "stored": bare_stored}
    common.emit({**common.report(
        "xapi_ingest", vars(args), measured, baseline,
        {"batched_vs_one_by_one": common.ratio(xapi_rate, rest_rate),
         "rest_vs_inserts": common.ratio(rest_rate, floor["per_s"]),
         "rest_vs_bare": common.ratio(rest_rate, bare_rate),
         "bare_vs_inserts": common.ratio(bare_rate, floor["per_s"])},
        {"batched_vs_one_by_one": ">= 3", "rest_vs_inserts": ">= 0.5 (issue 31)",
         "settled": "every award stored within the run"}), "peer": peer})


if __name__ == "__main__":
    main()
