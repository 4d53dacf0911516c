"""``flask lti platforms add|list|remove|confirm`` and ``flask lti keys`` through the CLI
runner: what they print and store, and clear refusals that store nothing."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from app.models import LtiContext, LtiDeployment, LtiPlatform

ADD = ["lti", "platforms", "add", "--issuer", "https://moodle.example.org",
       "--client-id", "abc123", "--auth-login-url", "https://moodle.example.org/mod/lti/auth.php",
       "--auth-token-url", "https://moodle.example.org/mod/lti/token.php",
       "--jwks-url", "https://moodle.example.org/mod/lti/certs.php",
       "--deployment-id", "1", "--deployment-id", "2"]


def run(app: Flask, *args: str):  # type: ignore[no-untyped-def]
    result = app.test_cli_runner().invoke(args=list(args))
    db.session.expire_all()
    return result


def count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


@pytest.mark.both_databases
def test_add_list_and_remove_a_platform(app: Flask) -> None:
    added = run(app, *ADD, "--trusted-email")
    assert added.exit_code == 0, added.output
    platform_id = int(added.output.strip())
    platform = db.session.get(LtiPlatform, platform_id)
    assert (platform.name, platform.trusted_email, platform.status) == \
        ("moodle.example.org", True, "active")
    listed = run(app, "lti", "platforms", "list").output.split("\t")
    assert listed[:6] == [str(platform_id), "active", "https://moodle.example.org", "abc123",
                          "1,2", "trusted-email"]
    db.session.add(LtiContext(platform_id=platform_id, context_id="course-1"))
    db.session.commit()
    removed = run(app, "lti", "platforms", "remove", str(platform_id))
    assert removed.exit_code == 0 and "removed platform" in removed.output
    assert (count(LtiPlatform), count(LtiDeployment), count(LtiContext)) == (0, 0, 0)


def test_the_same_issuer_and_client_twice_is_refused(app: Flask) -> None:
    assert run(app, *ADD).exit_code == 0
    again = run(app, *ADD)
    assert again.exit_code == 1 and "already registered" in again.output
    assert count(LtiPlatform) == 1 and count(LtiDeployment) == 2


@pytest.mark.parametrize(("option", "value", "message"), [
    ("--issuer", "moodle.example.org", "issuer: must be an absolute https URL"),
    ("--jwks-url", "http://moodle.example.org/certs", "jwks_url: must use https"),
    ("--client-id", " ", "client_id: required"),
    ("--deployment-id", "", "deployment_id: each must be 1 to 255 characters"),
])
def test_bad_input_is_refused_and_stores_nothing(app: Flask, option: str, value: str,
                                                  message: str) -> None:
    args = list(ADD)
    args[args.index(option) + 1] = value
    result = run(app, *args)
    assert result.exit_code == 1 and message in result.output, result.output
    assert count(LtiPlatform) == 0 and count(LtiDeployment) == 0


def test_a_deployment_id_is_required(app: Flask) -> None:
    result = run(app, *ADD[:-4])
    assert result.exit_code == 2 and "--deployment-id" in result.output


def test_loopback_platforms_may_use_http(app: Flask) -> None:
    args = [a.replace("https://moodle.example.org", "http://127.0.0.1:8080") for a in ADD]
    assert run(app, *args).exit_code == 0


def test_removing_or_confirming_an_unknown_platform(app: Flask) -> None:
    for verb in ("remove", "confirm"):
        result = run(app, "lti", "platforms", verb, "42")
        assert result.exit_code == 1 and "no LTI platform 42" in result.output


def test_confirm_a_pending_platform(app: Flask) -> None:
    platform_id = int(run(app, *ADD).output)
    db.session.get(LtiPlatform, platform_id).status = "pending"
    db.session.commit()
    assert run(app, "lti", "platforms", "confirm", str(platform_id)).exit_code == 0
    assert db.session.get(LtiPlatform, platform_id).status == "active"


def test_keys_rotate_keeps_the_old_key_listed(app: Flask) -> None:
    first = run(app, "lti", "keys", "list").output.split()
    rotated = run(app, "lti", "keys", "rotate").output.split()[-1]
    listed = run(app, "lti", "keys", "list").output.split()
    assert len(first) == 1 and listed == [rotated, *first]
