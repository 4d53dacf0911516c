"""Processes of the SSE fan-out benchmark: a private Redis, gunicorn, client fleets; limits.

Everything listens on 127.0.0.1 and ends with the benchmark: servers are
stopped in ``finally`` blocks, client fleets (``bench/sse_fleet.py``) exit when
their stdin closes or their own deadline passes.
"""

from __future__ import annotations

import json
import re
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

from common import ROOT, wait_for

from tests.support.services import child_pids, free_port

FLEET = Path(__file__).with_name("sse_fleet.py")
SOURCES_FROM = 2
"""Fleet k binds 127.0.0.(2 + k): one source address has ~28k ephemeral ports."""


def set_fd_limit(limit: int) -> dict[str, Any]:
    """Soft = hard = ``limit`` (never below the hard limit in force) for this process and
    its children, when allowed (raising the hard limit needs CAP_SYS_RESOURCE, which a
    container's root may lack); else soft = hard. Both servers run under it."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    limit = max(limit, hard)
    raised = True
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, max(limit, hard)))
    except (ValueError, OSError):
        raised = limit <= hard
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return {"requested": limit, "in_force": resource.getrlimit(resource.RLIMIT_NOFILE)[0],
            "hard_limit_could_be_raised": raised}


def start_redis(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    """redis-server with its default limits (maxclients 10000): only port and persistence set."""
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    wait_for(lambda: _pings(url), timeout=10, what="private redis-server")
    return process, url


def _pings(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url).ping())
    except redis.RedisError:
        return False


_ADMIN: dict[str, Any] = {}


def redis_admin(url: str) -> Any:
    """One connection opened early and kept: once flask-sse fills maxclients, a new
    connection (a plain client, a publisher) is refused."""
    import redis

    if url not in _ADMIN:
        _ADMIN[url] = redis.Redis.from_url(url, single_connection_client=True)
    return _ADMIN[url]


def redis_info(url: str) -> dict[str, int]:
    client = redis_admin(url)
    subscribers = sum(1 for c in client.client_list() if int(c["sub"]) or int(c["psub"]))
    return {"connected_clients": int(client.info("clients")["connected_clients"]),
            "subscribers": subscribers,
            "maxclients": int(client.config_get("maxclients")["maxclients"]),
            "rejected_connections": int(client.info("stats")["rejected_connections"])}


def start_gunicorn(app: str, env: dict[str, str], connections: int, cwd: Path,
                   log: Path, workers: int = 1,
                   worker_class: str = "gevent") -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "-k", worker_class, "-w", str(workers),
               "--worker-connections", str(connections + 500), "--backlog", "4096",
               "-b", f"127.0.0.1:{port}", "--timeout", "300", "--graceful-timeout", "3", app]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    wait_for(lambda: _port_open(port), timeout=30, what=f"gunicorn {app}")
    return process, port


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def worker_pids(master: int, workers: int) -> list[int]:
    wait_for(lambda: len(child_pids(master)) >= workers, timeout=30, what="gunicorn workers")
    return child_pids(master)


def rss_kb(pids: list[int]) -> int:
    """Resident memory of the worker processes, summed."""
    total = 0
    for pid in pids:
        status = Path(f"/proc/{pid}/status").read_text()
        total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
    return total


def open_fds(pids: list[int]) -> list[int]:
    return [sum(1 for _ in Path(f"/proc/{pid}/fd").iterdir()) for pid in pids]


def stop(process: subprocess.Popen[Any]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def source_address(fleet: int) -> str:
    return f"127.0.0.{SOURCES_FROM + fleet}"


class Clients:
    """Client fleet processes; stream k goes to fleet k // per_fleet (probes are in fleet 0)."""

    def __init__(self, port: int, per_fleet: int, deadline: float) -> None:
        self.port = port
        self.per_fleet = per_fleet
        self.deadline = deadline
        self.received: dict[int, float] = {}
        self.reports: list[dict[str, Any]] = []
        self.processes: list[subprocess.Popen[bytes]] = []

    def open(self, items: list[tuple[str, str, bool]], ready_marker: str | None) -> dict[str, Any]:
        """Start the fleets and wait until each says how many streams it holds."""
        started = time.monotonic()
        for fleet, first in enumerate(range(0, len(items), self.per_fleet)):
            # One fleet opening at a time: a CPU-starved client that sends its request
            # late is dropped by gunicorn (keep-alive timeout, 2 s, on the first read).
            self._start(fleet, items[first:first + self.per_fleet], ready_marker)
            wait_for(lambda: len(self.reports) == len(self.processes),
                     timeout=max(self.deadline - time.monotonic(), 1), interval=0.2,
                     what="client fleets to open their streams")
        errors: dict[str, int] = {}
        for report in self.reports:
            for name, count in report["errors"].items():
                errors[name] = errors.get(name, 0) + count
        return {"held": sum(r["held"] for r in self.reports),
                "failed": sum(r["failed"] for r in self.reports),
                "retries": sum(r["retries"] for r in self.reports),
                "failed_attempts_by_error": errors,
                "client_processes": len(self.processes),
                "connect_seconds": round(time.monotonic() - started, 1)}

    def _start(self, fleet: int, items: list[tuple[str, str, bool]],
               ready_marker: str | None) -> None:
        process = subprocess.Popen([sys.executable, str(FLEET)], cwd=ROOT,
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.processes.append(process)
        job = {"port": self.port, "items": items, "source": source_address(fleet),
               "ready_marker": ready_marker,
               "deadline": max(self.deadline - time.monotonic(), 10)}
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(json.dumps(job).encode() + b"\n")
        process.stdin.flush()
        threading.Thread(target=self._listen, args=(process.stdout,), daemon=True).start()

    def _listen(self, stdout: IO[bytes]) -> None:
        for line in stdout:
            message = json.loads(line)
            if "held" in message:
                self.reports.append(message)
            else:
                self.received.setdefault(message["n"], message["t"])

    def close(self) -> None:
        for process in self.processes:
            if process.stdin is not None:
                process.stdin.close()
        for process in self.processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
