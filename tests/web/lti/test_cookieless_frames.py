"""Browsers that keep no cookies in the LMS's frame: the state goes through the platform's
client-side storage (lti.put_data / lti.get_data), the launch is posted again by our own
page, and ends on a one-time "open in a new window" link. A forged second post (no
same-origin header) gains nothing."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from app.services.lti import state
from tests.web.lti.conftest import ISSUER, TOOL, Launcher, https_client, stored

STORAGE = {"lti_storage_target": "_parent"}


def attribute(page: bytes, name: str) -> str:
    found = re.search(rf'{name}="([^"]*)"', page.decode())
    assert found, name
    return found.group(1).replace("&amp;", "&")


def start(launcher: Launcher) -> None:
    """Login initiation with a storage target: a page that stores the state first."""
    page = launcher.login(**STORAGE)
    assert page.status_code == 200
    assert attribute(page.data, "data-target") == "_parent"
    assert attribute(page.data, "data-origin") == ISSUER
    auth = urlsplit(attribute(page.data, "data-auth-url"))
    sent = parse_qs(auth.query)
    launcher.state, launcher.nonce = sent["state"][0], sent["nonce"][0]
    assert attribute(page.data, "data-state") == launcher.state


def test_the_state_read_from_platform_storage_opens_a_new_window(launcher: Launcher,
                                                                 app: Any) -> None:
    start(launcher)
    frame = https_client(app)  # the frame's requests carry no cookie at all
    token = launcher.id_token()
    first = frame.post("/lti/launch", data={"id_token": token, "state": launcher.state})
    assert first.status_code == 200 and attribute(first.data, 'data-mode') == "get"
    assert stored()["users"] == 0  # nothing yet: the state is not proven
    again = frame.post("/lti/launch", headers={"X-LTI-Storage": "1"}, data={
        "id_token": token, "state": launcher.state, "stored_state": launcher.state})
    link = again.get_json()["open"]
    window = https_client(app)  # a window of its own: first-party cookies
    assert window.get(link).status_code == 302
    assert window.get("/achievements").status_code == 200
    assert https_client(app).get(link).status_code == 410  # used once


def test_a_forged_second_post_is_refused(launcher: Launcher, app: Any) -> None:
    start(launcher)
    attacker = https_client(app)  # a cross-site form: it cannot add the header
    answer = attacker.post("/lti/launch", data={
        "id_token": launcher.id_token(), "state": launcher.state,
        "stored_state": launcher.state})
    # Without the header the claimed stored_state is ignored: the answer is only the page
    # that would read the victim's platform storage (which holds no such state).
    assert answer.status_code == 200 and attribute(answer.data, "data-mode") == "get"
    assert stored()["users"] == 0


def test_a_state_missing_from_platform_storage_is_refused(launcher: Launcher,
                                                          app: Any) -> None:
    start(launcher)
    answer = https_client(app).post("/lti/launch", headers={"X-LTI-Storage": "1"}, data={
        "id_token": launcher.id_token(), "state": launcher.state, "stored_state": ""})
    assert answer.status_code == 400 and stored()["users"] == 0


def test_a_cookieless_instructor_chooses_the_course_in_the_new_window(launcher: Launcher,
                                                                     app: Any) -> None:
    from tests.support.catalog import build_catalog
    from tests.web.lti.conftest import INSTRUCTOR

    build_catalog("c1", units=1, modules=1)
    start(launcher)
    link = https_client(app).post("/lti/launch", headers={"X-LTI-Storage": "1"}, data={
        "id_token": launcher.id_token(roles=[INSTRUCTOR]), "state": launcher.state,
        "stored_state": launcher.state}).get_json()["open"]
    window = https_client(app)
    choose = window.get(link).headers["Location"]
    assert choose.startswith("/lti/contexts/")
    assert window.post(choose, data={"course": "c1"}).status_code == 302


@pytest.mark.parametrize(("params", "reason"), [
    ({"target_link_uri": "https://elsewhere.test/phish"}, "login"),
    ({"login_hint": ""}, "login"),
    ({"client_id": "not-ours"}, "issuer"),
])
def test_a_bad_login_initiation_is_refused(launcher: Launcher, params: dict[str, str],
                                           reason: str) -> None:
    answer = launcher.login(**params)
    assert answer.status_code == 400 and f"Reason: {reason}".encode() in answer.data
    assert not any(c.startswith(state.COOKIE_PREFIX)
                   for c in answer.headers.getlist("Set-Cookie"))


def test_login_initiation_may_be_posted(launcher: Launcher) -> None:
    answer = launcher.client.post("/lti/login", data={
        "iss": ISSUER, "login_hint": "h", "target_link_uri": f"{TOOL}/lti/launch"})
    assert answer.status_code == 302 and answer.headers["Location"].startswith(ISSUER)


def test_the_tool_publishes_its_keys(launcher: Launcher) -> None:
    keys = launcher.client.get("/lti/jwks.json").get_json()["keys"]
    assert len(keys) == 1 and keys[0]["alg"] == "RS256" and "d" not in keys[0]
