"""The verified-token cache: saves a query per call, never trusts unknown or revoked tokens."""

from __future__ import annotations

import pytest

from app.errors import Unauthenticated
from app.services.accounts import create_token, revoke_token
from app.services.accounts.tokens import token_cache


def test_a_verified_token_is_served_from_the_cache(app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _, plaintext = create_token("lms", ["achievements:read"])
    cache = token_cache(ttl=60)
    first = cache.principal(plaintext)
    monkeypatch.setattr("app.services.accounts.tokens.verify_token",
                        lambda token: pytest.fail("queried"))
    assert cache.principal(plaintext) == first


def test_an_unknown_token_is_checked_every_time(app) -> None:  # type: ignore[no-untyped-def]
    cache = token_cache(ttl=60)
    for _ in range(2):
        with pytest.raises(Unauthenticated):
            cache.principal("ach_not-a-token")
    assert cache._entries == {}


def test_revoking_clears_the_processes_shared_cache(app, client) -> None:  # type: ignore[no-untyped-def]
    token, plaintext = create_token("lms", ["achievements:read"])
    headers = {"Authorization": f"Bearer {plaintext}"}
    assert client.get("/api/v1/achievement-types", headers=headers).status_code == 200
    revoke_token(token.id)
    assert client.get("/api/v1/achievement-types", headers=headers).status_code == 401
