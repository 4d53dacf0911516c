"""Notifications: what email costs the award pipeline, and how soon an award's email lands.

Phase 1, ``--rounds`` times, off and on alternating (off first in even rounds), each drain
in its own scratch database: ``--events`` module completions recorded with no worker
running, then the workers drain them: awards per second, first -> last ``processed_at``,
with email **off** (no SMTP host: no outbox rows) and **on** (an aiosmtpd server receives
every email: a child process of this one at nice 19, standing in for a mail server on
another machine, so it takes no CPU the service wants; arrival times it logs are, if
anything, late). ``ratio`` = on / off per round, and its median (target
>= 0.9); ``emails_done_s`` is how long after the first award the last email was received.

Phase 2, email on: events recorded at ``--rate`` per second by this process while the
workers run, in batches every ``TICK`` seconds (one ``record_many`` each, as a busy REST or
gRPC client would send them: one Python thread cannot record 200 single events a second on
a loaded 2-core box); per award, the delay from ``earned_at`` to the SMTP server's receipt
of the email carrying it (target p99 <= 5 s at 200 awards/s).

``--relay-worker`` gives the email relay a worker of its own
(``ACHIEVEMENTS_NOTIFY_QUEUE``, as the README suggests for production), started before the
detection worker (deployed, it is a standing process; its start would fall inside the drain),
under ``nice -n --relay-nice`` (default 0); without it the relay shares the one worker with
detection. Both phases run with
``NOTIFY_COALESCE_SECONDS=0``: with the default window (120 s) an award's email waits for
the window on purpose. Prints one JSON document.

    .venv/bin/python bench/notifications.py [--events 3000 --rate 180 --seconds 20
                                             --rounds 3 --relay-worker]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import common
import cpu
import throughput
from aiosmtpd.controller import Controller

from tests.support.services import Worker, free_port

TICK = 0.05  # seconds between phase 2's batches


class Receipts:
    """The SMTP server standing in for the institution's mail system: aiosmtpd in a child
    process at the lowest CPU priority (nice 19), so that, like a server on another machine,
    it takes no CPU the measured service wants. ``at``: each Message-ID received since the
    last ``clear()``, with the wall time it arrived (read from the log the child appends)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.log = Path(tempfile.mkstemp(prefix="bench-smtp-", suffix=".log")[1])
        self.offset = 0
        self.process: multiprocessing.Process | None = None

    def __enter__(self) -> Receipts:
        ready = multiprocessing.Event()
        self.process = multiprocessing.Process(target=_serve, args=(self.port, self.log, ready),
                                               daemon=True)
        self.process.start()
        if not ready.wait(30):
            raise RuntimeError("the bench's SMTP server did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process:
            self.process.terminate()
            self.process.join(10)
        self.log.unlink(missing_ok=True)

    def clear(self) -> None:
        self.offset = self.log.stat().st_size

    @property
    def at(self) -> dict[str, float]:
        with self.log.open("rb") as log:
            log.seek(self.offset)
            lines = log.read().decode().splitlines()
        return {mid: float(at) for mid, at in (line.split("\t") for line in lines if line)}


class _Log:
    """aiosmtpd's handler in the child: a line per message, Message-ID and arrival time."""

    def __init__(self, path: Path) -> None:
        self.file = path.open("a", buffering=1)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        for line in envelope.original_content.split(b"\r\n"):
            if line.lower().startswith(b"message-id:"):
                message_id = line.split(b":", 1)[1].strip().decode()
                self.file.write(f"{message_id}\t{time.time()}\n")
                break
        return "250 OK"


def _serve(port: int, path: Path, ready: Any) -> None:
    os.nice(19)
    controller = Controller(_Log(path), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    threading.Event().wait()  # until terminated


class RelayWorker(Worker):
    """The relay's own worker, under ``nice -n <niceness>`` (``--relay-nice``): email is
    background work that can give the CPU to detection first, at the cost of its delay."""

    def __init__(self, *args: Any, niceness: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.niceness = niceness

    def command(self) -> list[str]:
        return ["nice", "-n", str(self.niceness), *super().command()]


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--learners", type=int, default=300)
    parser.add_argument("--rate", type=float, default=180.0,
                        help="phase 2: events per second (about 1.1 awards each)")
    parser.add_argument("--seconds", type=float, default=20.0, help="phase 2 length")
    parser.add_argument("--rounds", type=int, default=3, help="phase 1: alternated pairs")
    parser.add_argument("--relay-worker", action="store_true",
                        help="the email relay on a worker of its own (NOTIFY_QUEUE)")
    parser.add_argument("--relay-nice", type=int, default=0,
                        help="with --relay-worker: run it under nice -n N")
    parser.add_argument("--timeout", type=float, default=600.0)
    return parser.parse_args()


def settings(port: int | None, relay_queue: str | None) -> dict[str, str]:
    extra = {"NOTIFY_COALESCE_SECONDS": "0", "NOTIFY_RELAY_INTERVAL_SECONDS": "1",
             "MAIL_FROM": "badges@bench.example"}
    if relay_queue:
        extra["NOTIFY_QUEUE"] = relay_queue
    return {**extra, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port)} if port else extra


def start(svc: common.Services, relay_queue: str | None, niceness: int) -> Worker | None:
    """The relay's own worker when it has a queue, then the detection worker and beat. The
    relay first: deployed, it is a standing process, and its start (a second or two of CPU
    importing the app) would otherwise fall inside the drain being timed."""
    relay = None
    if relay_queue:
        relay = RelayWorker(svc.settings, concurrency=common.WORKER_THREADS,
                            name="bench-relay", queues=[relay_queue], niceness=niceness)
        svc.stack.callback(relay.stop)
        relay.start()
    svc.start_processes()
    return relay


def emails_left(url: str) -> int:
    return common.sql(url, "SELECT count(*) FROM notifications WHERE status <> 'sent'")[0][0]


def drain_phase(args: argparse.Namespace, port: int | None, receipts: Receipts) -> dict:
    deadline = time.monotonic() + args.timeout
    queue = relay_queue(args)
    receipts.clear()
    with common.Services(workers=1, beat=True, **settings(port, queue)) as svc:
        people = throughput.seed(args.learners, 10, -(-args.events // args.learners))
        throughput.record_all(throughput.plan_events(people, args.events))
        start(svc, queue if port else None, args.relay_nice)
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
        arrived = receipts.at
        done = max(arrived.values(), default=float(first)) - float(first) if port else None
        return {"awards": awards, "emails": emails, "seconds": round(seconds, 2),
                "awards_per_s": round(awards / seconds, 1),
                "emails_done_s": round(done, 2) if done is not None else None}


def relay_queue(args: argparse.Namespace) -> str | None:
    return f"ach-bench-notify-{uuid.uuid4().hex[:8]}" if args.relay_worker else None


def record_paced(plan: list[tuple[int, str]], rate: float, deadline: float) -> float:
    """Record ``plan`` at ``rate`` events per second, a batch every ``TICK``; the rate kept."""
    from app.services.recording import ProgressInput, record_many

    per_tick = max(1, round(rate * TICK))
    batches = [plan[i:i + per_tick] for i in range(0, len(plan), per_tick)]
    started = time.monotonic()
    for number in common.paced(len(batches), rate / per_tick, deadline):
        offset = number * per_tick
        record_many([ProgressInput(user_id=user_id, kind="module_completed", occurred_at=None,
                                   idempotency_key=f"l{offset + i}", module=module,
                                   source="bench")
                     for i, (user_id, module) in enumerate(batches[number])])
    return round(len(plan) / max(time.monotonic() - started, 1e-9), 1)


def latency_phase(args: argparse.Namespace, port: int, receipts: Receipts) -> dict:
    deadline = time.monotonic() + args.timeout
    queue = relay_queue(args)
    receipts.clear()
    with common.Services(workers=1, beat=True, **settings(port, queue)) as svc:
        count = int(args.rate * args.seconds)
        people = throughput.seed(args.learners, 10, -(-count // args.learners))
        plan = throughput.plan_events(people, count)
        relay = start(svc, queue, args.relay_nice)
        relay_cpu = cpu.tree_cpu_seconds(relay.pid) if relay else 0.0
        recorded_per_s = record_paced(plan, args.rate, deadline)
        throughput.wait_drained(svc.database_url, deadline)
        common.wait_for(lambda: emails_left(svc.database_url) == 0,
                        timeout=max(1.0, deadline - time.monotonic()), interval=0.25,
                        what="every email sent")
        rows = common.sql(svc.database_url, """
            SELECT n.message_id, extract(epoch FROM a.earned_at),
                   extract(epoch FROM a.earned_at) - (SELECT extract(epoch FROM min(earned_at))
                                                      FROM achievements)
            FROM notifications n
            CROSS JOIN LATERAL json_array_elements_text(n.award_ids) AS told(id)
            JOIN achievements a ON a.id = CAST(told.id AS integer)""")
        span = max(float(r[2]) for r in rows) or 1.0
        arrived = receipts.at
        delays = [(arrived[mid] - float(earned)) * 1000 for mid, earned, _ in rows
                  if mid in arrived]
        relay_ms = (cpu.tree_cpu_seconds(relay.pid) - relay_cpu) * 1000 if relay else None
        emails = len({mid for mid, _, _ in rows})
        return {"events_per_s": recorded_per_s, "awards": len(rows),
                "relay_cpu_ms_per_email": round(relay_ms / emails, 2) if relay_ms else None,
                "awards_per_s": round(len(rows) / span, 1), "received": len(delays),
                "award_to_smtp_ms": common.percentiles(delays)}


def drain_rounds(args: argparse.Namespace, port: int, receipts: Receipts) -> list[dict]:
    """Off and on drains alternating, so drift on a shared box hits both alike."""
    rounds = []
    for number in range(args.rounds):
        if number % 2 == 0:
            off, on = drain_phase(args, None, receipts), drain_phase(args, port, receipts)
        else:
            on, off = drain_phase(args, port, receipts), drain_phase(args, None, receipts)
        rounds.append({"off": off, "on": on,
                       "ratio": common.ratio(on["awards_per_s"], off["awards_per_s"])})
    return rounds


def main() -> None:
    args = parse()
    port = free_port()
    with Receipts(port) as receipts:
        rounds = drain_rounds(args, port, receipts)
        latency = latency_phase(args, port, receipts)
    ratios = [r["ratio"] for r in rounds if r["ratio"] is not None]
    common.emit(common.report(
        "notifications", vars(args), {"email_on": [r["on"] for r in rounds], "latency": latency},
        {"email_off": [r["off"] for r in rounds]},
        {"awards_per_s_on_vs_off": ratios,
         "median": round(statistics.median(ratios), 3) if ratios else None},
        {"ratio": ">= 0.9", "award_to_smtp_p99_ms": "<= 5000 at 200 awards/s"}))


if __name__ == "__main__":
    main()
