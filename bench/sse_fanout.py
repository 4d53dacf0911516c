"""SSE fan-out: one gunicorn+gevent web process holding N streams, against flask-sse.

Prints ONE JSON document: connections held, memory per connection (worker RSS
delta / N), p50/p99 delivery latency of an award to its learner while N
streams are open, Redis connections used, and the same for flask-sse (one
Redis connection per client) in the same run, with the ratios.

Everything runs on 127.0.0.1: a private ``redis-server`` on a free port (so
thousands of flask-sse Redis clients never touch a shared Redis), a temp
SQLite database, gunicorn ``-k gevent -w 1``. Bounded in time (``--time-limit``).

    .venv/bin/python bench/sse_fanout.py --connections 10000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PASSWORD = "bench-password-1"
USER_AGENT = "sse-fanout-bench"
FSSE_APP = '''
import os
from flask import Flask
from flask_sse import sse
app = Flask(__name__)
app.config["REDIS_URL"] = os.environ["FSSE_REDIS_URL"]
app.register_blueprint(sse, url_prefix="/stream")
'''


# ---- processes ---------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def raise_fd_limit() -> int:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    with suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def wait_until(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with suppress(OSError):
            value = predicate()
            if value:
                return value
        time.sleep(0.1)
    raise TimeoutError(what)


def start_redis(workdir: Path, max_clients: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--maxclients", str(max_clients), "--dir", str(workdir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    import redis

    wait_until(lambda: redis.Redis.from_url(url).ping(), 10, "private redis-server")
    return process, url


def start_gunicorn(app: str, env: dict[str, str], connections: int, cwd: Path,
                   log: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "-k", "gevent", "-w", "1",
               "--worker-connections", str(connections + 500), "--backlog", "4096",
               "-b", f"127.0.0.1:{port}", "--timeout", "120", "--graceful-timeout", "3", app]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    wait_until(lambda: socket.create_connection(("127.0.0.1", port), 1).close() or True, 30,
               f"gunicorn {app}")
    return process, port


def worker_pid(master: int) -> int:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return int(children[0])


def rss_kb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# ---- our deployment ----------------------------------------------------------------------

def our_env(db_url: str, redis_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACHIEVEMENTS_")}
    env.update({"ACHIEVEMENTS_DATABASE_URL": db_url, "ACHIEVEMENTS_REDIS_URL": redis_url,
                "ACHIEVEMENTS_SECRET_KEY": "bench-secret", "ACHIEVEMENTS_CHANNEL_PREFIX": "bench",
                "ACHIEVEMENTS_SSE_PING_SECONDS": "15", "PYTHONPATH": str(ROOT)})
    return env


def seed_learners(app: Any, count: int) -> list[tuple[int, str]]:
    """Learners inserted directly with one precomputed hash (argon2 per user would dominate)."""
    from argon2 import PasswordHasher

    from app.extensions import db
    from app.models import User

    hashed = PasswordHasher().hash(PASSWORD)
    with app.app_context():
        db.create_all()
        users = [User(email=f"bench{i}@example.com", password_hash=hashed, role="learner",
                      timezone="UTC") for i in range(count)]
        db.session.add_all(users)
        db.session.commit()
        return [(u.id, u.email) for u in users]


def log_in(base: str, email: str) -> str:
    """The session cookie of a learner, through the real CSRF-protected log-in form."""
    import requests

    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    page = session.get(f"{base}/login", timeout=30).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    reply = session.post(f"{base}/login", data={"email": email, "password": PASSWORD,
                                                "csrf_token": token},
                         allow_redirects=False, timeout=30)
    assert reply.status_code == 302, reply.status_code
    return "; ".join(f"{c.name}={c.value}" for c in session.cookies)


def make_award(app: Any, user_id: int, n: int) -> float:
    """What a worker does after detection: store the award, commit, publish.
    Returns when the publish started (after the commit)."""
    from app.achievements.awards import insert_awards
    from app.achievements.publishing import publish_awards
    from app.achievements.registry import AwardDue
    from app.extensions import db

    with app.app_context():
        due = AwardDue("milestone", f"bench:{n}", f"Bench award {n}", "measured", {"n": n})
        new = insert_awards(user_id, [due], source_event_id=None)
        db.session.commit()
        published = time.monotonic()
        publish_awards(new)
        return published


# ---- the client: N raw SSE connections in one asyncio loop -------------------------------

class Fleet:
    """Holds N streams; records when each award id reaches a probe connection."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.held = 0
        self.failed = 0
        self.received: dict[int, float] = {}
        self.loop = asyncio.new_event_loop()
        self.writers: list[asyncio.StreamWriter] = []
        self.tasks: list[asyncio.Task[None]] = []
        threading.Thread(target=self.loop.run_forever, daemon=True).start()

    def open(self, paths_cookies: list[tuple[str, str, bool]], ready_marker: bytes | None,
             concurrency: int = 256, timeout: float = 300) -> float:
        started = time.monotonic()
        future = asyncio.run_coroutine_threadsafe(
            self._open_all(paths_cookies, ready_marker, concurrency), self.loop)
        future.result(timeout)
        return time.monotonic() - started

    async def _open_all(self, items: list[tuple[str, str, bool]], marker: bytes | None,
                        concurrency: int) -> None:
        gate = asyncio.Semaphore(concurrency)
        await asyncio.gather(*(self._open_one(p, c, probe, marker, gate) for p, c, probe in items))

    async def _open_one(self, path: str, cookie: str, probe: bool, marker: bytes | None,
                        gate: asyncio.Semaphore) -> None:
        async with gate:
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.write((f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n"
                              f"User-Agent: {USER_AGENT}\r\nAccept: text/event-stream\r\n\r\n"
                              ).encode())
                await writer.drain()
                if marker is not None:
                    await asyncio.wait_for(reader.readuntil(marker), 60)
            except (TimeoutError, OSError, asyncio.IncompleteReadError):
                self.failed += 1
                return
        self.held += 1
        self.writers.append(writer)
        self.tasks.append(asyncio.ensure_future(self._read(reader, probe)))

    async def _read(self, reader: asyncio.StreamReader, probe: bool) -> None:
        with suppress(OSError, asyncio.IncompleteReadError, asyncio.CancelledError):
            while line := await reader.readline():
                if probe and line.startswith(b"data:"):
                    award = json.loads(line[5:])
                    key = award.get("metadata", {}).get("n", award.get("n"))
                    if key is not None:
                        self.received.setdefault(int(key), time.monotonic())

    def close(self) -> None:
        async def shut() -> None:
            for task in self.tasks:
                task.cancel()
            for writer in self.writers:
                writer.close()

        with suppress(Exception):
            asyncio.run_coroutine_threadsafe(shut(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)


def measure_latency(fleet: Fleet, send: Callable[[int], float], samples: int,
                    deadline: float) -> dict[str, Any]:
    """Sequential deliveries: from the start of the award (``total``) and from its publish."""
    total, from_publish, lost = [], [], 0
    for n in range(samples):
        if time.monotonic() > deadline:
            break
        started = time.monotonic()
        published = send(n)
        with suppress(TimeoutError):
            wait_until(lambda n=n: n in fleet.received, 5, "delivery")
        if n in fleet.received:
            total.append((fleet.received[n] - started) * 1000)
            from_publish.append((fleet.received[n] - published) * 1000)
        else:
            lost += 1
        time.sleep(0.02)
    return {**summarize(total, lost), "from_publish": summarize(from_publish, lost)}


def summarize(values: list[float], lost: int) -> dict[str, Any]:
    ordered = sorted(values)

    def pct(q: float) -> float | None:
        if not ordered:
            return None
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)

    return {"samples": len(ordered), "lost": lost, "p50_ms": pct(0.5), "p99_ms": pct(0.99),
            "max_ms": round(ordered[-1], 2) if ordered else None}


def redis_clients(url: str) -> int:
    import redis

    return int(redis.Redis.from_url(url).info("clients")["connected_clients"])


# ---- the two runs ------------------------------------------------------------------------

def run_ours(args: argparse.Namespace, n: int, workdir: Path, redis_url: str,
             deadline: float) -> dict[str, Any]:
    from app import create_app
    from app.config import Config

    db_url = f"sqlite:///{workdir / 'bench.db'}"
    app = create_app(Config(DATABASE_URL=db_url, REDIS_URL=redis_url, SECRET_KEY="bench-secret",
                            CHANNEL_PREFIX="bench", TASKS_EAGER=False))
    learners = seed_learners(app, args.probes + args.learners)
    master, port = start_gunicorn("wsgi:app", our_env(db_url, redis_url), n, ROOT,
                                  workdir / "ours.log")
    fleet = Fleet(port)
    try:
        base = f"http://127.0.0.1:{port}"
        cookies = {uid: log_in(base, email) for uid, email in learners}
        probes, background = learners[:args.probes], learners[args.probes:]
        items = [("/api/v1/achievements/stream", cookies[uid], True) for uid, _ in probes]
        items += [("/api/v1/achievements/stream", cookies[background[i % len(background)][0]],
                   False) for i in range(n - len(items))]
        pid = worker_pid(master.pid)
        clients_before = redis_clients(redis_url)
        baseline = rss_kb(pid)
        seconds = fleet.open(items, b": connected", timeout=max(deadline - time.monotonic(), 10))
        time.sleep(2)
        held_rss = rss_kb(pid)
        result = {"server": "gunicorn -k gevent -w 1 wsgi:app (this service)",
                  "connections_requested": n, "connections_held": fleet.held,
                  "connections_failed": fleet.failed, "connect_seconds": round(seconds, 1),
                  "worker_rss_baseline_mb": round(baseline / 1024, 1),
                  "worker_rss_mb": round(held_rss / 1024, 1),
                  "memory_per_connection_kb": round((held_rss - baseline) / max(fleet.held, 1), 2),
                  "redis_connections_for_streams": redis_clients(redis_url) - clients_before}
        send = lambda k: make_award(app, probes[k % len(probes)][0], k)  # noqa: E731
        result["delivery"] = measure_latency(fleet, send, args.awards, deadline)
        result["delivery"]["includes"] = "DB insert + commit + Redis publish + DB replay read"
        return result
    finally:
        fleet.close()
        stop(master)


def run_flask_sse(args: argparse.Namespace, n: int, workdir: Path, redis_url: str,
                  deadline: float) -> dict[str, Any]:
    from flask import Flask
    from flask_sse import sse

    (workdir / "fsse_app.py").write_text(FSSE_APP)
    env = {**os.environ, "FSSE_REDIS_URL": redis_url}
    master, port = start_gunicorn("fsse_app:app", env, n, workdir, workdir / "fsse.log")
    fleet = Fleet(port)
    publisher = Flask("fsse-publisher")
    publisher.config["REDIS_URL"] = redis_url
    try:
        pid = worker_pid(master.pid)
        clients_before = redis_clients(redis_url)
        baseline = rss_kb(pid)
        items = [(f"/stream?channel=user-{i}", "", i < args.probes) for i in range(n)]
        seconds = fleet.open(items, None, timeout=max(deadline - time.monotonic(), 10))
        # flask-sse sends nothing until the first message: count its Redis subscribers instead.
        with suppress(TimeoutError):
            wait_until(lambda: redis_clients(redis_url) - clients_before >= fleet.held,
                       min(120, max(deadline - time.monotonic(), 1)), "flask-sse subscribers")
        time.sleep(2)
        held_rss = rss_kb(pid)
        subscribed = redis_clients(redis_url) - clients_before
        result = {"server": "gunicorn -k gevent -w 1, flask_sse blueprint",
                  "connections_requested": n, "connections_held": min(fleet.held, subscribed),
                  "connections_failed": fleet.failed, "connect_seconds": round(seconds, 1),
                  "worker_rss_baseline_mb": round(baseline / 1024, 1),
                  "worker_rss_mb": round(held_rss / 1024, 1),
                  "memory_per_connection_kb": round((held_rss - baseline) / max(fleet.held, 1), 2),
                  "redis_connections_for_streams": subscribed}

        def send(k: int) -> float:
            published = time.monotonic()
            with publisher.app_context():
                sse.publish({"n": k}, type="achievement", channel=f"user-{k % args.probes}")
            return published

        result["delivery"] = measure_latency(fleet, send, args.awards, deadline)
        result["delivery"]["includes"] = "Redis publish only (no database)"
        return result
    finally:
        fleet.close()
        stop(master)


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a and b else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=10_000)
    parser.add_argument("--probes", type=int, default=20, help="learners whose delivery is timed")
    parser.add_argument("--learners", type=int, default=50, help="learners owning idle streams")
    parser.add_argument("--awards", type=int, default=200, help="timed deliveries per server")
    parser.add_argument("--time-limit", type=float, default=900, help="seconds for the whole run")
    args = parser.parse_args()
    started = time.monotonic()
    limit = raise_fd_limit()
    ours_n = min(args.connections, limit - 300)          # 1 fd per stream in each process
    fsse_n = min(args.connections, (limit - 300) // 2)   # + 1 Redis socket per stream
    workdir = Path(tempfile.mkdtemp(prefix="sse-fanout-"))
    redis_process, redis_url = start_redis(workdir, max(ours_n, fsse_n) + 1000)
    budget = args.time_limit / 2
    try:
        ours = run_ours(args, ours_n, workdir, redis_url, started + budget)
        fsse = run_flask_sse(args, fsse_n, workdir, redis_url, started + 2 * budget)
    finally:
        stop(redis_process)
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps({
        "benchmark": "sse_fanout",
        "connections_target": args.connections,
        "fd_limit": limit,
        "ours": ours,
        "flask_sse": fsse,
        "ratio_flask_sse_over_ours": {
            "memory_per_connection": ratio(fsse["memory_per_connection_kb"],
                                           ours["memory_per_connection_kb"]),
            "p99_delivery": ratio(fsse["delivery"]["p99_ms"], ours["delivery"]["p99_ms"]),
            "p99_delivery_from_publish": ratio(fsse["delivery"]["from_publish"]["p99_ms"],
                                               ours["delivery"]["from_publish"]["p99_ms"]),
            "redis_connections": ratio(fsse["redis_connections_for_streams"],
                                       max(ours["redis_connections_for_streams"], 1)),
        },
        "elapsed_seconds": round(time.monotonic() - started, 1),
    }, indent=2))


if __name__ == "__main__":
    main()
