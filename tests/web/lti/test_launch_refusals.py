"""One test per failing step of the launch check (DESIGN §7): each is refused with a page
naming what was wrong (400/401), a log line and a counted reason, and stores nothing."""

from __future__ import annotations

import base64
import logging
import time
from typing import Any

import pytest
from joserfc.jwk import RSAKey

from app.extensions import db
from app.models import LtiPlatform
from app.services.lti import platform_keys, state
from tests.web.lti.conftest import (
    LTI,
    NOTHING,
    JwksServer,
    Launcher,
    https_client,
    new_key,
    stored,
)


def refused(answer: Any, status: int, reason: str, caplog: pytest.LogCaptureFixture) -> None:
    """Refused with ``status``, the page and the log naming ``reason``; nothing stored."""
    assert answer.status_code == status, answer.get_data(as_text=True)[-600:]
    assert f"Reason: {reason}".encode() in answer.data
    assert any(f"refused: {reason} " in r.getMessage() for r in caplog.records)
    assert stored() == NOTHING
    assert "lti_frame" not in answer.request.environ.get("HTTP_COOKIE", "")


def signed_out(launcher: Launcher) -> bool:
    return launcher.client.get("/achievements").status_code == 302


@pytest.fixture(autouse=True)
def _logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="app.signin")


@pytest.mark.both_databases
def test_state_from_another_browser(launcher: Launcher, app: Any,
                                    caplog: pytest.LogCaptureFixture) -> None:
    launcher.login()  # the attacker's browser started the login...
    victim = Launcher(https_client(app), launcher.key, launcher.state, launcher.nonce)
    refused(victim.launch(), 400, "state", caplog)  # ...the victim's posts the launch
    assert signed_out(victim) and signed_out(launcher)


def test_a_state_the_tool_did_not_make(launcher: Launcher,
                                       caplog: pytest.LogCaptureFixture) -> None:
    launcher.login()
    refused(launcher.launch(state=launcher.state[:-4] + "AAAA"), 400, "state", caplog)


def test_not_a_jwt(launcher: Launcher, caplog: pytest.LogCaptureFixture) -> None:
    launcher.login()
    refused(launcher.launch(token="not.a-jwt"), 400, "format", caplog)


def test_alg_none_is_refused(launcher: Launcher, caplog: pytest.LogCaptureFixture) -> None:
    launcher.login()
    signed = launcher.id_token().split(".")
    header = base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b"=").decode()
    refused(launcher.launch(token=f"{header}.{signed[1]}."), 400, "format", caplog)


def test_a_nonce_not_from_this_login(launcher: Launcher,
                                     caplog: pytest.LogCaptureFixture) -> None:
    launcher.login()
    refused(launcher.launch(nonce="made-up"), 401, "nonce", caplog)


def test_unknown_issuer(launcher: Launcher, caplog: pytest.LogCaptureFixture) -> None:
    launcher.login()
    refused(launcher.launch(iss="https://evil.test"), 401, "issuer", caplog)


def test_unknown_issuer_at_login(launcher: Launcher, caplog: pytest.LogCaptureFixture) -> None:
    refused(launcher.login(iss="https://evil.test"), 400, "issuer", caplog)


def test_a_platform_awaiting_confirmation(launcher: Launcher,
                                          caplog: pytest.LogCaptureFixture) -> None:
    launcher.login()
    db.session.query(LtiPlatform).update({"status": "pending"})
    db.session.commit()
    refused(launcher.launch(), 403, "registration", caplog)


def test_forged_signature(launcher: Launcher, caplog: pytest.LogCaptureFixture) -> None:
    launcher.login()
    forger = Launcher(launcher.client, new_key(launcher.key.kid), launcher.state,
                      launcher.nonce)  # same kid, another key
    refused(forger.launch(), 401, "signature", caplog)


def test_a_kid_the_platform_never_published(launcher: Launcher,
                                            caplog: pytest.LogCaptureFixture) -> None:
    launcher.login()
    stranger = Launcher(launcher.client, new_key("nobody"), launcher.state, launcher.nonce)
    refused(stranger.launch(), 401, "signature", caplog)


def test_unknown_deployment(launcher: Launcher, caplog: pytest.LogCaptureFixture) -> None:
    launcher.login()
    refused(launcher.launch(**{LTI + "deployment_id": "elsewhere"}), 401, "deployment", caplog)


@pytest.mark.parametrize("claims", [
    {LTI + "message_type": "LtiSubmissionReviewRequest"},
    {LTI + "version": "1.1"},
    {LTI + "resource_link": None},
    {LTI + "roles": None},
])
def test_wrong_message_type_or_version(launcher: Launcher, claims: dict[str, Any],
                                       caplog: pytest.LogCaptureFixture) -> None:
    launcher.login()
    refused(launcher.launch(**claims), 400, "message", caplog)


@pytest.mark.parametrize("claims", [
    {"aud": "another-tool"},
    {"aud": ["another-tool", "tool-client-1"]},  # several audiences, no azp
    {"aud": ["another-tool", "tool-client-1"], "azp": "another-tool"},
])
def test_wrong_audience(launcher: Launcher, claims: dict[str, Any],
                        caplog: pytest.LogCaptureFixture) -> None:
    launcher.login()
    refused(launcher.launch(**claims), 401, "audience", caplog)


def test_expired_token(launcher: Launcher, caplog: pytest.LogCaptureFixture) -> None:
    launcher.login()
    past = int(time.time()) - 3600
    refused(launcher.launch(iat=past, exp=past + 300), 401, "expired", caplog)


def test_a_token_from_the_future(launcher: Launcher, caplog: pytest.LogCaptureFixture) -> None:
    launcher.login()
    later = int(time.time()) + 3600
    refused(launcher.launch(iat=later, exp=later + 300), 401, "issued_in_future", caplog)


@pytest.mark.both_databases
def test_replayed_nonce(launcher: Launcher, caplog: pytest.LogCaptureFixture) -> None:
    launcher.login()
    token, name = launcher.id_token(), state.cookie_name(launcher.state)
    captured = launcher.client.get_cookie(name, path="/lti/")
    assert launcher.launch(token=token).status_code == 200  # the real launch ("not set up")
    before = stored()
    launcher.client.set_cookie(name, captured.value, path="/lti/", secure=True)
    answer = launcher.launch(token=token)  # id_token, state and its cookie, all captured
    assert answer.status_code == 401 and b"replay" in answer.data  # (in German, as signed in)
    assert stored() == before


def test_a_small_clock_skew_is_tolerated(launcher: Launcher) -> None:
    launcher.login()
    now = int(time.time())
    assert launcher.launch(iat=now + 30, exp=now - 30).status_code == 200


def test_a_rotated_platform_key_is_fetched_once(launcher: Launcher, jwks_server: JwksServer,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(platform_keys, "REFETCH_MIN_SECONDS", 0.0)
    launcher.login()
    assert launcher.launch().status_code == 200  # the JWKS is cached now
    rotated: RSAKey = new_key(f"rotated-{time.monotonic_ns()}")
    jwks_server.publish(rotated)
    fetches = jwks_server.fetches
    launcher.key = rotated
    launcher.login()
    assert launcher.launch(sub="someone-else").status_code == 200
    assert jwks_server.fetches == fetches + 1


def test_made_up_kids_do_not_make_the_tool_fetch_again_and_again(
        launcher: Launcher, jwks_server: JwksServer) -> None:
    launcher.login()
    assert launcher.launch().status_code == 200
    fetches = jwks_server.fetches
    for attempt in range(3):
        launcher.login()
        stranger = Launcher(launcher.client, new_key(f"made-up-{attempt}"), launcher.state,
                            launcher.nonce)
        assert stranger.launch(sub=f"x{attempt}").status_code == 401
    assert jwks_server.fetches == fetches  # within REFETCH_MIN_SECONDS of the last fetch


def test_platform_keys_that_cannot_be_fetched(launcher: Launcher,
                                              caplog: pytest.LogCaptureFixture) -> None:
    db.session.query(LtiPlatform).update({"jwks_url": "http://127.0.0.1:9/jwks"})  # discard
    db.session.commit()
    launcher.login()
    refused(launcher.launch(), 502, "platform_keys", caplog)
