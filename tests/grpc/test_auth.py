"""Bearer service tokens in metadata; the scope each RPC needs."""

from __future__ import annotations

import time

import grpc
import pytest

from app.errors import Unauthenticated
from app.grpc.auth import token_cache
from app.grpc.generated.achievements.v1 import achievements_pb2 as pb
from app.services.accounts import create_token, revoke_token
from tests.grpc.conftest import code_of
from tests.support.grpc_client import bearer

WRITE, READ, ADMIN = "progress:write", "achievements:read", "achievements:admin"

CALLS = {
    "RecordProgress": (lambda stub, md: stub.RecordProgress(pb.RecordProgressRequest(
        request_id="a", user_id=1, kind=pb.PROGRESS_KIND_ACTIVITY), metadata=md), WRITE),
    "ListAchievements": (lambda stub, md: stub.ListAchievements(
        pb.ListAchievementsRequest(user_id=1), metadata=md), READ),
    "GetAchievement": (lambda stub, md: stub.GetAchievement(
        pb.GetAchievementRequest(user_id=1, id=1), metadata=md), READ),
    "GetSummary": (lambda stub, md: stub.GetSummary(
        pb.GetSummaryRequest(user_id=1), metadata=md), READ),
    "ListAchievementTypes": (lambda stub, md: stub.ListAchievementTypes(
        pb.ListAchievementTypesRequest(), metadata=md), READ),
    "WatchAchievements": (lambda stub, md: next(stub.WatchAchievements(
        pb.WatchAchievementsRequest(user_id=1), metadata=md, timeout=5)), READ),
}
OTHER_SCOPE = {WRITE: READ, READ: WRITE}


@pytest.mark.parametrize("rpc", CALLS)
def test_no_token_is_unauthenticated(stub, rpc) -> None:
    call, _ = CALLS[rpc]
    assert code_of(lambda: call(stub, ())) == grpc.StatusCode.UNAUTHENTICATED


@pytest.mark.parametrize("rpc", CALLS)
def test_unknown_token_is_unauthenticated(stub, rpc) -> None:
    call, _ = CALLS[rpc]
    assert code_of(lambda: call(stub, bearer("ach_not-a-token"))) == \
        grpc.StatusCode.UNAUTHENTICATED


@pytest.mark.parametrize("rpc", CALLS)
def test_token_without_the_scope_is_permission_denied(stub, token_metadata, rpc) -> None:
    call, scope = CALLS[rpc]
    metadata = token_metadata(OTHER_SCOPE[scope])
    assert code_of(lambda: call(stub, metadata)) == grpc.StatusCode.PERMISSION_DENIED


def test_revoked_token_is_unauthenticated(stub) -> None:
    token, plaintext = create_token("old", [READ])
    revoke_token(token.id)
    call, _ = CALLS["ListAchievements"]
    assert code_of(lambda: call(stub, bearer(plaintext))) == grpc.StatusCode.UNAUTHENTICATED


def test_malformed_authorization_is_unauthenticated(stub, token_metadata) -> None:
    token = token_metadata(READ)[0][1].removeprefix("Bearer ")
    call, _ = CALLS["ListAchievements"]
    assert code_of(lambda: call(stub, (("authorization", token),))) == \
        grpc.StatusCode.UNAUTHENTICATED


def test_watching_every_learner_needs_the_admin_scope(stub, token_metadata) -> None:
    request = pb.WatchAchievementsRequest(all_learners=True)
    metadata = token_metadata(READ, WRITE)
    assert code_of(lambda: next(stub.WatchAchievements(request, metadata=metadata, timeout=5))) \
        == grpc.StatusCode.PERMISSION_DENIED


def test_admin_scope_includes_reading(stub, token_metadata, learner) -> None:
    reply = stub.ListAchievements(pb.ListAchievementsRequest(user_id=learner.id),
                                  metadata=token_metadata(ADMIN))
    assert list(reply.achievements) == []


def test_a_verified_token_is_cached_until_its_ttl_runs_out(app, monkeypatch) -> None:
    token, plaintext = create_token("hot", [READ])
    cache = token_cache(ttl=60)
    assert cache.principal(plaintext).id == token.id
    revoke_token(token.id)
    assert cache.principal(plaintext).id == token.id  # within the ttl: no query
    clock = time.monotonic() + 61
    monkeypatch.setattr(time, "monotonic", lambda: clock)
    with pytest.raises(Unauthenticated):
        cache.principal(plaintext)


def test_unknown_tokens_are_not_cached(app) -> None:
    cache = token_cache(ttl=60)
    with pytest.raises(Unauthenticated):
        cache.principal("ach_unknown")
    assert cache._entries == {}


def test_the_bearer_scheme_is_case_insensitive(stub, token_metadata, learner) -> None:
    token = token_metadata(READ)[0][1].removeprefix("Bearer ")
    reply = stub.ListAchievements(pb.ListAchievementsRequest(user_id=learner.id),
                                  metadata=(("authorization", f"bearer {token}"),))
    assert list(reply.achievements) == []
