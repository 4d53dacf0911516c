"""gRPC unary throughput: GetSummary / ListAchievements QPS vs a bare servicer, same run.

Real processes on 127.0.0.1: ``python -m app.grpc`` on a scratch PostgreSQL
database (seeded learners with awards), and as the baseline a bare grpc
server (``grpc_bare.py``: same thread pool, same generated service, no
interceptor, no database) answering each RPC with a constant response of the
same shape. A peer, ``bare + query``, is the bare server plus one prepared
``SELECT`` per call on the serving thread's own connection: the ceiling for
any servicer that asks the database something on every call, reported as
``peer_bare_plus_query`` with its ratio to bare.
All sides run ``--processes`` server processes sharing their port with
SO_REUSEPORT (default: one per CPU, the server's own default), so the ratio
compares like with like; the JSON says how many each side used. Server CPU
per call sums every process of a side.
Clients are grpc.aio coroutines in this process, ``--concurrency`` calls in
flight over ``--channels`` connections (several, so the kernel can spread
them over the processes), each RPC for ``--duration`` seconds after a
warm-up. The kernel's hash sometimes gives one process nearly every connection, which
then serves alone at half the QPS: such a phase runs again on new connections (up to
``BALANCE_ATTEMPTS``; ``attempts`` and ``balanced`` in each result). Prints one JSON
document.

    .venv/bin/python bench/grpc_qps.py [--duration 5 --concurrency 32 --channels 16
                                        --learners 50 --processes 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from typing import Any

import common
from cpu import cpu_seconds

RPCS = ("GetSummary", "ListAchievements")


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per RPC and server")
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--concurrency", type=int, default=32, help="calls in flight")
    parser.add_argument("--channels", type=int, default=16,
                        help="client connections (several, so SO_REUSEPORT spreads them)")
    parser.add_argument("--learners", type=int, default=50)
    parser.add_argument("--server-env", action="append", default=[], metavar="NAME=VALUE",
                        help="extra ACHIEVEMENTS_* server setting, e.g. GRPC_MAX_WORKERS=16")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1,
                        help="server processes on each side (ours and the bare baseline)")
    return parser.parse_args()


def seed(learners: int) -> tuple[str, list[int]]:
    """Learners who completed 1..6 modules of a 2-unit course (awards made in-process)."""
    from app.services.accounts import create_token, create_user
    from app.services.awarding.detection import evaluate_event
    from app.services.recording import ProgressInput, record_progress
    from tests.support.catalog import build_catalog, module_keys

    modules = module_keys(build_catalog("bench", units=2, modules=3))
    ids = []
    for index in range(learners):
        user = create_user(f"grpc-bench{index}@example.com", "bench-password")
        for module in modules[: 1 + index % len(modules)]:
            event = record_progress(ProgressInput(user.id, "module_completed", None, module,
                                                  module=module)).event
            evaluate_event(event.id)
        ids.append(user.id)
    return create_token("bench", ["achievements:read"])[1], ids


class Process:
    """A server subprocess on 127.0.0.1, stopped with SIGTERM."""

    def __init__(self, command: list[str], settings: dict[str, str]) -> None:
        from tests.support.services import service_env

        self.process = subprocess.Popen(command, cwd=common.ROOT, env=service_env(settings),
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def cpu_seconds(self) -> dict[int, float]:
        """User + system CPU time of the process and of each child (the forked servers)."""
        from tests.support.services import child_pids

        pids = [self.process.pid, *child_pids(self.process.pid)]
        return {pid: cpu_seconds(pid) for pid in pids}

    def processes(self) -> int:
        """Server processes: the forked children, or the process itself when it forked none."""
        from tests.support.services import child_pids

        return len(child_pids(self.process.pid)) or 1

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()


def wait_serving(address: str, timeout: float = 60.0) -> None:
    import grpc

    from tests.support.grpc_client import FAST_RECONNECT, serving

    with grpc.insecure_channel(address, options=FAST_RECONNECT) as channel:
        common.wait_for(lambda: serving(channel), timeout=timeout, what=f"{address} SERVING")


def requests_for(user_ids: list[int]) -> dict[str, list[Any]]:
    from app.grpc.generated.achievements.v1 import achievements_pb2 as pb

    return {"GetSummary": [pb.GetSummaryRequest(user_id=u) for u in user_ids],
            "ListAchievements": [pb.ListAchievementsRequest(user_id=u, page_size=20)
                                 for u in user_ids]}


async def load(address: str, rpc: str, requests: list[Any], token: str,
               args: argparse.Namespace) -> dict[str, Any]:
    """Closed loop: ``concurrency`` callers, each sending its next call when one returns."""
    import grpc

    metadata = (("authorization", f"Bearer {token}"),)
    channels, stubs = open_stubs(address, args.channels)
    latencies: list[float] = []
    errors = 0

    async def caller(index: int, until: float, record: bool) -> None:
        nonlocal errors
        method = getattr(stubs[index % len(stubs)], rpc)
        while (start := time.perf_counter()) < until:
            try:
                await method(random.choice(requests), metadata=metadata, timeout=10)
            except grpc.aio.AioRpcError:
                errors += 1
            if record:
                latencies.append((time.perf_counter() - start) * 1000)

    async def phase(seconds: float, record: bool) -> float:
        until = began = time.perf_counter()
        await asyncio.gather(*(caller(i, until + seconds, record)
                               for i in range(args.concurrency)))
        return time.perf_counter() - began

    await phase(args.warmup, record=False)
    elapsed = await phase(args.duration, record=True)
    for channel in channels:
        await channel.close()
    return {"qps": round(len(latencies) / elapsed, 1), "calls": len(latencies),
            "errors": errors, "latency_ms": common.percentiles(latencies)}


def open_stubs(address: str, count: int) -> tuple[list[Any], list[Any]]:
    """``count`` separate connections (not one shared subchannel), a stub on each."""
    import grpc

    from app.grpc.generated.achievements.v1 import achievements_pb2_grpc as pb_grpc

    channels = [grpc.aio.insecure_channel(address, options=[("grpc.use_local_subchannel_pool", 1)])
                for _ in range(count)]
    return channels, [pb_grpc.AchievementServiceStub(channel) for channel in channels]


BALANCE_ATTEMPTS = 3  # new connections per phase until the kernel spreads them
BALANCED = 0.25  # the busiest process may do at most 1 / BALANCED times the idlest's work


def measure(server: Process, address: str, rpc: str, requests: list[Any], token: str,
            args: argparse.Namespace) -> dict[str, Any]:
    """:func:`measure_once`, again on new connections while SO_REUSEPORT sent most of them to
    one process (which then serves the calls alone: half the QPS of a spread run);
    ``attempts`` says how many runs it took, ``balanced`` whether the kept one was."""
    for attempt in range(1, BALANCE_ATTEMPTS + 1):
        result = measure_once(server, address, rpc, requests, token, args)
        busy = [cpu for cpu in result["server_cpu_seconds_by_process"] if cpu > 0]
        result["balanced"] = (len(busy) >= result["server_processes"]
                              and min(busy) >= BALANCED * max(busy))
        result["attempts"] = attempt
        if result["balanced"] or result["server_processes"] == 1:
            break
    return result


def measure_once(server: Process, address: str, rpc: str, requests: list[Any], token: str,
                 args: argparse.Namespace) -> dict[str, Any]:
    """QPS plus the server's CPU time per call (robust to other load on the machine)."""
    before = server.cpu_seconds()
    result = asyncio.run(load(address, rpc, requests, token, args))
    calls = result["calls"] + result["errors"]
    after = server.cpu_seconds()
    spent = {pid: after[pid] - before.get(pid, 0.0) for pid in after}
    result["server_cpu_ms_per_call"] = round(sum(spent.values()) * 1000 / calls, 3) \
        if calls else None
    result["server_cpu_seconds_by_process"] = [round(spent[pid], 2) for pid in sorted(spent)]
    result["server_processes"] = server.processes()
    return result


SERVERS = ("service", "bare", "bare_plus_query")


def start_servers(services: common.Services, args: argparse.Namespace) -> dict[str, Any]:
    """Ours, the bare baseline and its peer that adds one query per call: name → (port, process)."""
    from tests.support.grpc_client import free_port

    ports = {name: free_port() for name in SERVERS}
    bare = [sys.executable, str(common.ROOT / "bench" / "grpc_bare.py"),
            "--processes", str(args.processes)]
    return {
        "service": (ports["service"], Process([sys.executable, "-m", "app.grpc"], {
            **services.settings, "GRPC_HOST": "127.0.0.1", "GRPC_PORT": str(ports["service"]),
            "GRPC_PROCESSES": str(args.processes),
            **dict(item.split("=", 1) for item in args.server_env)})),
        "bare": (ports["bare"], Process([*bare, "--port", str(ports["bare"])], {})),
        "bare_plus_query": (ports["bare_plus_query"], Process(
            [*bare, "--port", str(ports["bare_plus_query"]),
             "--database-url", services.database_url], {})),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    deadline = time.monotonic() + 600
    with common.Services(workers=0) as services:
        token, user_ids = seed(args.learners)
        servers = start_servers(services, args)
        try:
            for port, _ in servers.values():
                wait_serving(f"127.0.0.1:{port}")
            results = {rpc: {name: measure(server, f"127.0.0.1:{port}", rpc,
                                           requests_for(user_ids)[rpc], token, args)
                             for name, (port, server) in servers.items()}
                       for rpc in RPCS if time.monotonic() < deadline}
        finally:
            for _, server in servers.values():
                server.stop()
    return summarize(args, results)


def summarize(args: argparse.Namespace, results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The report, with the peer and what one query per call leaves of the bare QPS."""
    document = common.report(
        "grpc_qps", vars(args),
        measured={rpc: r["service"] for rpc, r in results.items()},
        baseline={rpc: r["bare"] for rpc, r in results.items()},
        ratios={rpc: common.ratio(r["service"]["qps"], r["bare"]["qps"])
                for rpc, r in results.items()},
        targets={"qps": ">= 2000", "ratio": ">= 0.5"})
    document["peer_bare_plus_query"] = {
        rpc: {**r["bare_plus_query"],
              "ratio_to_bare": common.ratio(r["bare_plus_query"]["qps"], r["bare"]["qps"]),
              "service_ratio_to_peer": common.ratio(r["service"]["qps"],
                                                    r["bare_plus_query"]["qps"])}
        for rpc, r in results.items()}
    return document


def main() -> None:
    common.emit(run(parse()))


if __name__ == "__main__":
    main()
