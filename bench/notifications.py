"""Notifications: what email costs the award pipeline, and how soon an award's email lands.

Phase 1, twice in one run (each in its own scratch database): ``--events`` module
completions recorded with no worker running, then one worker (and beat) drains them:
awards per second, first -> last ``processed_at``, with email **off** (no SMTP host: no
outbox rows) and **on** (an aiosmtpd server in this process receives every email; the
relay shares the worker with detection). ``ratio`` = on / off (target >= 0.9);
``emails_done_s`` is how long after the first award the last email was received.

Phase 2, email on: events recorded at ``--rate`` per second by this process while the
worker runs; per award, the delay from ``earned_at`` to the SMTP server's receipt of the
email carrying it (target p99 <= 5 s at 200 awards/s). Both phases run with
``NOTIFY_COALESCE_SECONDS=0``: with the default window (120 s) an award's email waits
for the window on purpose. Prints one JSON document.

    .venv/bin/python bench/notifications.py [--events 3000 --rate 180 --seconds 20]
"""

from __future__ import annotations

import argparse
import threading
import time
from typing import Any

import common
import throughput
from aiosmtpd.controller import Controller

from tests.support.services import free_port


class Receipts:
    """aiosmtpd's handler: each Message-ID with the wall time it was received."""

    def __init__(self) -> None:
        self.at: dict[str, float] = {}
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        for line in envelope.original_content.split(b"\r\n"):
            if line.lower().startswith(b"message-id:"):
                with self.lock:
                    self.at[line.split(b":", 1)[1].strip().decode()] = time.time()
                break
        return "250 OK"


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--learners", type=int, default=300)
    parser.add_argument("--rate", type=float, default=180.0,
                        help="phase 2: events per second (about 1.1 awards each)")
    parser.add_argument("--seconds", type=float, default=20.0, help="phase 2 length")
    parser.add_argument("--timeout", type=float, default=600.0)
    return parser.parse_args()


def settings(port: int | None) -> dict[str, str]:
    extra = {"NOTIFY_COALESCE_SECONDS": "0", "NOTIFY_RELAY_INTERVAL_SECONDS": "1",
             "MAIL_FROM": "badges@bench.example"}
    return {**extra, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port)} if port else extra


def emails_left(url: str) -> int:
    return common.sql(url, "SELECT count(*) FROM notifications WHERE status <> 'sent'")[0][0]


def drain_phase(args: argparse.Namespace, port: int | None, receipts: Receipts) -> dict:
    deadline = time.monotonic() + args.timeout
    with common.Services(workers=1, beat=True, **settings(port)) as svc:
        people = throughput.seed(args.learners, 10, -(-args.events // args.learners))
        throughput.record_all(throughput.plan_events(people, args.events))
        svc.start_processes()
        throughput.wait_drained(svc.database_url, deadline)
        common.wait_for(lambda: emails_left(svc.database_url) == 0,
                        timeout=max(1.0, deadline - time.monotonic()), interval=0.25,
                        what="every email sent")
        first, last, awards, emails = common.sql(svc.database_url, """
            SELECT extract(epoch FROM min(processed_at)), extract(epoch FROM max(processed_at)),
                   (SELECT count(*) FROM achievements),
                   (SELECT count(DISTINCT message_id) FROM notifications)
            FROM progress_events""")[0]
        seconds = float(last) - float(first)
        done = max(receipts.at.values(), default=float(first)) - float(first) if port else None
        return {"awards": awards, "emails": emails, "seconds": round(seconds, 2),
                "awards_per_s": round(awards / seconds, 1),
                "emails_done_s": round(done, 2) if done is not None else None}


def latency_phase(args: argparse.Namespace, port: int, receipts: Receipts) -> dict:
    from app.services.recording import ProgressInput, record_progress

    deadline = time.monotonic() + args.timeout
    with common.Services(workers=1, beat=True, **settings(port)) as svc:
        count = int(args.rate * args.seconds)
        people = throughput.seed(args.learners, 10, -(-count // args.learners))
        plan = throughput.plan_events(people, count)
        svc.start_processes()
        for index in common.paced(len(plan), args.rate, deadline):
            user_id, module = plan[index]
            record_progress(ProgressInput(user_id=user_id, kind="module_completed",
                                          occurred_at=None, idempotency_key=f"l{index}",
                                          module=module, source="bench"))
        throughput.wait_drained(svc.database_url, deadline)
        common.wait_for(lambda: emails_left(svc.database_url) == 0,
                        timeout=max(1.0, deadline - time.monotonic()), interval=0.25,
                        what="every email sent")
        rows = common.sql(svc.database_url, """
            SELECT n.message_id, extract(epoch FROM a.earned_at),
                   extract(epoch FROM a.earned_at) - (SELECT extract(epoch FROM min(earned_at))
                                                      FROM achievements)
            FROM notifications n JOIN achievements a ON a.id = n.subject_id""")
        span = max(float(r[2]) for r in rows) or 1.0
        delays = [(receipts.at[mid] - float(earned)) * 1000 for mid, earned, _ in rows
                  if mid in receipts.at]
        return {"awards": len(rows), "awards_per_s": round(len(rows) / span, 1),
                "received": len(delays), "award_to_smtp_ms": common.percentiles(delays)}


def main() -> None:
    args = parse()
    receipts, port = Receipts(), free_port()
    controller = Controller(receipts, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        off = drain_phase(args, None, receipts)
        on = drain_phase(args, port, receipts)
        receipts.at.clear()
        latency = latency_phase(args, port, receipts)
    finally:
        controller.stop()
    common.emit(common.report(
        "notifications", vars(args), {"email_on": on, "latency": latency}, {"email_off": off},
        {"awards_per_s_on_vs_off": common.ratio(on["awards_per_s"], off["awards_per_s"])},
        {"ratio": ">= 0.9", "award_to_smtp_p99_ms": "<= 5000 at 200 awards/s"}))


if __name__ == "__main__":
    main()
