"""Graceful stop: in-flight calls finish, streams end with UNAVAILABLE, SIGTERM exits 0."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading

import grpc
import pytest

import app.grpc.servicer as servicer_module
from app.grpc.generated.achievements.v1 import achievements_pb2 as pb
from app.grpc.generated.achievements.v1 import achievements_pb2_grpc as pb_grpc
from tests.support.grpc_client import FAST_RECONNECT, free_port, serving
from tests.support.services import ROOT, service_env, wait_for


def refused(stub, metadata) -> bool:
    """True once the server refuses new calls (it answers them until its stop begins)."""
    try:
        stub.ListAchievementTypes(pb.ListAchievementTypesRequest(), metadata=metadata, timeout=2)
    except grpc.RpcError as error:
        return error.code() == grpc.StatusCode.UNAVAILABLE
    return False


def test_an_in_flight_call_finishes_during_a_graceful_stop(stub, service, learner, grpc_server,
                                                           monkeypatch) -> None:
    entered, release = threading.Event(), threading.Event()
    real = servicer_module.history_versions

    def slow_list(*args, **kwargs):
        entered.set()
        release.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(servicer_module, "history_versions", slow_list)
    pending = stub.ListAchievements.future(pb.ListAchievementsRequest(user_id=learner.id),
                                           metadata=service, timeout=20)
    assert entered.wait(10)
    stopper = threading.Thread(target=grpc_server.stop, kwargs={"grace": 10})
    stopper.start()
    wait_for(lambda: refused(stub, service), timeout=5, what="new calls refused")
    release.set()
    assert list(pending.result().achievements) == []
    stopper.join(timeout=15)
    assert not stopper.is_alive()


@pytest.fixture
def server_process(app, tmp_path):
    """``python -m app.grpc`` as its own process on this test's SQLite database."""
    port = free_port()
    settings = {"DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "GRPC_PORT": port,
                "GRPC_HOST": "127.0.0.1", "GRPC_HEARTBEAT_SECONDS": "0.5",
                "GRPC_GRACE_SECONDS": "5", "SECRET_KEY": "test"}
    log = (tmp_path / "grpc.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "app.grpc"], cwd=ROOT,
                               env=service_env(settings), stdout=log, stderr=subprocess.STDOUT)
    process.address = f"127.0.0.1:{port}"  # type: ignore[attr-defined]
    process.log_path = tmp_path / "grpc.log"  # type: ignore[attr-defined]
    yield process
    print(process.log_path.read_text(errors="replace")[-3000:])  # shown when a test fails
    if process.poll() is None:
        process.kill()
        process.wait()


def wait_serving(process, channel: grpc.Channel) -> None:
    def ready() -> bool:
        assert process.poll() is None, f"server exited with {process.returncode}"
        return serving(channel)

    wait_for(ready, timeout=60, what="the server process SERVING")


def test_sigterm_ends_streams_and_exits_cleanly(server_process, token_metadata, learner) -> None:
    metadata = token_metadata("achievements:read")
    with grpc.insecure_channel(server_process.address, options=FAST_RECONNECT) as channel:
        wait_serving(server_process, channel)
        stub = pb_grpc.AchievementServiceStub(channel)
        stream = stub.WatchAchievements(pb.WatchAchievementsRequest(user_id=learner.id),
                                        metadata=metadata, timeout=30)
        assert next(stream).WhichOneof("event") == "heartbeat"

        server_process.send_signal(signal.SIGTERM)
        with pytest.raises(grpc.RpcError) as ended:
            for _ in stream:
                pass
        assert ended.value.code() == grpc.StatusCode.UNAVAILABLE
    assert server_process.wait(timeout=15) == 0
    assert "gRPC server stopped" in server_process.log_path.read_text()


def test_the_process_serves_calls(server_process, service, catalog, learner) -> None:
    with grpc.insecure_channel(server_process.address, options=FAST_RECONNECT) as channel:
        wait_serving(server_process, channel)
        stub = pb_grpc.AchievementServiceStub(channel)
        reply = stub.ListAchievements(pb.ListAchievementsRequest(user_id=learner.id),
                                      metadata=service, timeout=10)
    assert list(reply.achievements) == []
