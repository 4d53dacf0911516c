"""OpenID Connect providers from ACHIEVEMENTS_OIDC_<NAME>_* variables."""

from __future__ import annotations

import pytest

from app.config import Config
from app.services.signin import providers


def test_providers_are_grouped_by_name_from_the_environment(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACHIEVEMENTS_OIDC_MY_UNI_ISSUER", "https://sso.uni.example/realms/x")
    monkeypatch.setenv("ACHIEVEMENTS_OIDC_MY_UNI_CLIENT_ID", "achievements")
    monkeypatch.setenv("ACHIEVEMENTS_OIDC_MY_UNI_CLIENT_SECRET", "s")
    monkeypatch.setenv("ACHIEVEMENTS_OIDC_MY_UNI_SCOPES", "email profile")
    monkeypatch.setenv("ACHIEVEMENTS_OIDC_MY_UNI_ROLES", '{"staff": "instructor"}')
    monkeypatch.setenv("ACHIEVEMENTS_OIDC_STRAY_CLIENT_ID", "no issuer: not a provider")
    monkeypatch.setenv("ACHIEVEMENTS_PASSWORD_LOGIN", "false")
    config = Config.from_env()
    assert config.PASSWORD_LOGIN is False
    found = providers(config.OIDC)
    assert list(found) == ["my_uni"]
    uni = found["my_uni"]
    assert (uni.issuer, uni.client_id, uni.client_secret, uni.label, uni.key) == \
        ("https://sso.uni.example/realms/x", "achievements", "s", "My Uni", "oidc:my_uni")
    assert uni.scopes == "openid email profile" and uni.roles == {"staff": "instructor"}


def test_a_provider_without_client_id_is_a_setup_error() -> None:
    with pytest.raises(ValueError, match="CLIENT_ID"):
        providers({"uni": {"issuer": "https://sso.uni.example"}})
