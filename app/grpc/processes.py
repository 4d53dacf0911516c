"""Several server processes on one port: one Python process is bound to one core by the GIL.

``python -m app.grpc`` starts ``GRPC_PROCESSES`` copies of the server (0:
one per CPU with real services, 1 when embedded, where in-process pub/sub
only hears its own process) that share the port through ``SO_REUSEPORT``;
the kernel spreads new connections over them. grpc must not exist in a
process before it forks, so the supervisor only checks and holds the port,
forks, and each child builds its own app and server.

A port already taken is still an error, as with one process: a plain bind
probes it first (it fails if anything listens there, including another
instance of this server), then a socket bound with ``SO_REUSEPORT`` holds
it until the supervisor exits, so nothing else can take it meanwhile.
SIGTERM or SIGINT reaches every child, each stops gracefully; if a child
dies on its own, the others are stopped and the supervisor exits non-zero.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
from collections.abc import Callable
from contextlib import closing, suppress

from app.config import Config
from app.infra.metrics.processes import mark_dead

log = logging.getLogger(__name__)


class PortTaken(RuntimeError):
    """The gRPC address is already in use by another process."""


def process_count(settings: Config) -> int:
    if settings.GRPC_PROCESSES > 0:
        return settings.GRPC_PROCESSES
    return 1 if settings.embedded else max(os.cpu_count() or 1, 1)


def hold_port(host: str, port: int) -> socket.socket:
    """A socket holding ``host:port`` (a free one for port 0) that the workers can join."""
    family, _, _, _, address = socket.getaddrinfo(host.strip("[]"), port,
                                                  type=socket.SOCK_STREAM)[0]
    with closing(socket.socket(family, socket.SOCK_STREAM)) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is no owner
        try:
            probe.bind(address)
        except OSError as exc:
            raise PortTaken(f"gRPC address {host}:{port} is already in use: {exc}") from exc
        bound = probe.getsockname()
    holder = socket.socket(family, socket.SOCK_STREAM)
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        holder.bind(bound)
    except OSError as exc:
        holder.close()
        raise PortTaken(f"gRPC address {host}:{bound[1]} was taken meanwhile: {exc}") from exc
    return holder


def fork_workers(count: int, work: Callable[[], None]) -> list[int]:
    """Fork ``count`` children running ``work``; a child's exit code is 0 unless it raised."""
    children = []
    for _ in range(count):
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                work()
                code = 0
            except BaseException:
                log.exception("gRPC worker process failed")
            finally:
                logging.shutdown()
                os._exit(code)
        children.append(pid)
    return children


def supervise(children: list[int], started: Callable[[], object] = lambda: None) -> int:
    """Forward SIGTERM/SIGINT to every child, then call ``started``; wait for all; non-zero
    if one died unasked."""
    stopping = False

    def forward(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for pid in children:
            _signal(pid, signal.SIGTERM)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, forward)
    started()
    status, alive = 0, set(children)
    while alive:
        pid, code = _wait_any()
        alive.discard(pid)
        mark_dead(pid)
        if code != 0 or not stopping:
            log.error("gRPC worker %s exited with %s%s", pid, code,
                      "" if stopping else " on its own: stopping the others")
            status = status or code or 1
            if not stopping:
                forward(signal.SIGTERM, None)
    return status


def _wait_any() -> tuple[int, int]:
    while True:
        try:
            pid, raw = os.wait()
        except InterruptedError:  # pragma: no cover - PEP 475 retries; kept for clarity
            continue
        return pid, os.waitstatus_to_exitcode(raw)


def _signal(pid: int, signum: int) -> None:
    with suppress(ProcessLookupError):
        os.kill(pid, signum)


def run_processes(settings: Config, serve_one: Callable[[int], None],
                  after_fork: Callable[[], object] = lambda: None) -> None:
    """Hold the port, fork the workers (each calls ``serve_one(port)``), call ``after_fork``
    here once signals are forwarded (the metrics endpoint), exit with their status."""
    count = process_count(settings)
    try:
        holder = hold_port(settings.GRPC_HOST, settings.GRPC_PORT)
    except PortTaken as exc:
        log.error("%s", exc)
        sys.exit(2)
    with holder:
        port = holder.getsockname()[1]
        log.info("gRPC supervisor %s: %s processes on %s:%s", os.getpid(), count,
                 settings.GRPC_HOST, port)
        children = fork_workers(count, lambda: serve_one(port))
        sys.exit(supervise(children, after_fork))
