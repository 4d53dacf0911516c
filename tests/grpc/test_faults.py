"""Faults on the server's side get codes a client can act on, never UNKNOWN."""

from __future__ import annotations

import grpc
from sqlalchemy.exc import OperationalError

import app.grpc.servicer as servicer_module
from app.grpc.generated.achievements.v1 import achievements_pb2 as pb
from tests.grpc.conftest import code_of


def test_an_unreachable_database_is_unavailable(stub, service, learner, monkeypatch) -> None:
    def down(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))

    monkeypatch.setattr(servicer_module, "history_versions", down)
    request = pb.ListAchievementsRequest(user_id=learner.id)
    assert code_of(lambda: stub.ListAchievements(request, metadata=service)) == \
        grpc.StatusCode.UNAVAILABLE


def test_a_bug_is_internal_not_unknown(stub, service, learner, monkeypatch) -> None:
    def broken(*args, **kwargs):
        raise KeyError("a bug")

    monkeypatch.setattr(servicer_module, "history_versions", broken)
    request = pb.ListAchievementsRequest(user_id=learner.id)
    assert code_of(lambda: stub.ListAchievements(request, metadata=service)) == \
        grpc.StatusCode.INTERNAL
