"""Server processes sharing one port: each serves, a taken port is an error, SIGTERM stops all."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import pytest

from app.config import Config
from app.grpc.generated.achievements.v1 import achievements_pb2 as pb
from app.grpc.generated.achievements.v1 import achievements_pb2_grpc as pb_grpc
from app.grpc.processes import PortTaken, hold_port, process_count
from tests.support.grpc_client import FAST_RECONNECT, free_port, serving
from tests.support.services import ROOT, child_pids, service_env, wait_for

LISTENING = re.compile(r"listening on \S+ \(pid (\d+)\)")


@pytest.fixture
def start_server(app, tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen]]:
    """``python -m app.grpc`` with ``processes`` processes on this test's SQLite database."""
    started: list[subprocess.Popen] = []

    def start(port: int, processes: int = 2) -> subprocess.Popen:
        settings = {"DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": "t",
                    "GRPC_HOST": "127.0.0.1", "GRPC_PORT": str(port),
                    "GRPC_PROCESSES": str(processes), "GRPC_GRACE_SECONDS": "2"}
        log = tmp_path / f"grpc-{len(started)}.log"
        process = subprocess.Popen([sys.executable, "-m", "app.grpc"], cwd=ROOT,
                                   env=service_env(settings), stdout=log.open("wb"),
                                   stderr=subprocess.STDOUT)
        process.log = log  # type: ignore[attr-defined]
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            for pid in child_pids(process.pid):
                os.kill(pid, signal.SIGKILL)
            process.kill()
            process.wait()


def listening_pids(process: subprocess.Popen) -> set[int]:
    return {int(pid) for pid in LISTENING.findall(process.log.read_text())}  # type: ignore[attr-defined]


def wait_all_listening(process: subprocess.Popen, count: int) -> set[int]:
    def ready() -> bool:
        assert process.poll() is None, process.log.read_text()  # type: ignore[attr-defined]
        return len(listening_pids(process)) == count

    wait_for(ready, timeout=60, what=f"{count} server processes listening")
    return listening_pids(process)


def test_two_processes_share_the_port_and_each_answers(start_server, learner,
                                                       token_metadata) -> None:
    port = free_port()
    server = start_server(port)
    pids = wait_all_listening(server, 2)
    assert pids == set(child_pids(server.pid))
    metadata = token_metadata("achievements:read")
    for _ in range(8):  # separate connections, which the kernel spreads over the processes
        options = (*FAST_RECONNECT, ("grpc.use_local_subchannel_pool", 1))
        with grpc.insecure_channel(f"127.0.0.1:{port}", options=options) as channel:
            wait_for(lambda ch=channel: serving(ch), timeout=30, what="SERVING")
            stub = pb_grpc.AchievementServiceStub(channel)
            reply = stub.ListAchievements(pb.ListAchievementsRequest(user_id=learner.id),
                                          metadata=metadata, timeout=10)
            assert list(reply.achievements) == []
    server.send_signal(signal.SIGTERM)
    assert server.wait(timeout=30) == 0
    assert not any(Path(f"/proc/{pid}").exists() for pid in pids)


def test_a_port_taken_by_another_program_is_an_error(start_server) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        server = start_server(taken.getsockname()[1])
        assert server.wait(timeout=30) == 2
    assert "already in use" in server.log.read_text()  # type: ignore[attr-defined]


def test_a_second_server_on_the_same_port_is_refused(start_server) -> None:
    port = free_port()
    first = start_server(port)
    wait_all_listening(first, 2)
    second = start_server(port)
    assert second.wait(timeout=30) == 2
    assert first.poll() is None
    with grpc.insecure_channel(f"127.0.0.1:{port}", options=FAST_RECONNECT) as channel:
        assert serving(channel)


def test_a_worker_that_dies_stops_the_others(start_server) -> None:
    server = start_server(free_port())
    victim, survivor = sorted(wait_all_listening(server, 2))
    os.kill(victim, signal.SIGKILL)
    assert server.wait(timeout=30) != 0
    assert not Path(f"/proc/{survivor}").exists() or \
        "zombie" in Path(f"/proc/{survivor}/status").read_text()


def test_the_process_count_defaults_to_the_cpus_with_services() -> None:
    assert process_count(Config(GRPC_PROCESSES=3)) == 3
    assert process_count(Config(DATABASE_URL="sqlite://")) == 1  # embedded: in-process pub/sub
    assert process_count(Config(REDIS_URL="redis://x")) == (os.cpu_count() or 1)


def test_the_held_port_is_a_real_one_and_refuses_a_plain_bind() -> None:
    with hold_port("127.0.0.1", 0) as held:
        port = held.getsockname()[1]
        assert port > 0
        with pytest.raises(PortTaken):
            hold_port("127.0.0.1", port)
