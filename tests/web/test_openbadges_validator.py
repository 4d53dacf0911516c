"""The 1EdTech Open Badges 2.0 validator (PyPI ``openbadges``, unmodified) on a real port.

The app is served by a real HTTP server on a free local port, with
``ACHIEVEMENTS_PUBLIC_URL`` set to it, so the validator fetches every document
and image exactly as a remote verifier would; only the w3id.org JSON-LD context
is answered from the copy the validator ships (tests/support/ob2_validator.py).
It runs in the tool venv ``.venv-tools`` that tests/run makes (its pins clash
with Flask's), so here it is a subprocess.
"""

from __future__ import annotations

import json
import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from app import create_app
from app.domain.registry import AwardDue
from app.extensions import db
from app.models import Achievement
from app.services.accounts import create_user
from app.services.accounts.principal import Principal
from app.services.awarding.awards import insert_awards
from app.services.awarding.revocation import revoke_award
from app.services.badges.images import upload_image
from tests.conftest import embedded_config
from tests.support.services import ROOT, free_port
from tests.web.conftest import award

TOOL = ROOT / ".venv-tools" / "bin" / "python"
RUNNER = ROOT / "tests" / "support" / "ob2_validator.py"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Flask, str]]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    application = create_app(embedded_config(tmp_path, PUBLIC_URL=url))
    with application.app_context():
        db.create_all()
    server = make_server("127.0.0.1", port, application, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    with application.app_context():
        yield application, url
        db.session.remove()
    server.shutdown()
    thread.join(5)


def validate(badge: str, email: str) -> dict:
    assert TOOL.exists(), "the validator's venv is missing: run tests/run (it makes .venv-tools)"
    done = subprocess.run([str(TOOL), str(RUNNER), badge, email], capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)["report"]


@pytest.fixture
def shared_award(served):
    _app, url = served
    learner = create_user("val@example.com", "password123", "learner", "UTC")
    db.session.commit()
    stored = award(learner, "c1-u1-m1")
    stored.public = True
    db.session.commit()
    return stored, url


def test_a_shared_award_validates_with_zero_errors(shared_award) -> None:
    stored, url = shared_award
    report = validate(f"{url}/ob/v2/assertions/{stored.public_id}", "val@example.com")
    assert report["errorCount"] == 0, report["messages"]
    assert report["valid"] is True and report["openBadgesVersion"] == "2.0"


def test_the_baked_png_validates_with_zero_errors(shared_award, tmp_path) -> None:
    stored, url = shared_award
    with urllib.request.urlopen(f"{url}/ob/v2/assertions/{stored.public_id}/image") as reply:
        png = tmp_path / "baked.png"
        png.write_bytes(reply.read())
    report = validate(str(png), "val@example.com")
    assert report["errorCount"] == 0, report["messages"]
    assert report["valid"] is True


def test_an_author_defined_badge_validates_with_zero_errors(served) -> None:
    _app, url = served
    learner = create_user("owl@example.com", "password123", "learner", "UTC")
    db.session.commit()
    [stored] = insert_awards(learner.id, [AwardDue(
        "badge", "badge:night-owl", "Night owl", "Learned after midnight.",
        {"badge": "night-owl", "version": 1, "hidden": False, "expires_after_days": 365,
         "image": {}})], source_event_id=None)
    stored.public = True
    db.session.commit()
    report = validate(f"{url}/ob/v2/assertions/{stored.public_id}", "owl@example.com")
    assert report["errorCount"] == 0, report["messages"]


def test_the_validator_does_check_the_recipient(shared_award) -> None:
    stored, url = shared_award
    report = validate(f"{url}/ob/v2/assertions/{stored.public_id}", "someone@example.com")
    assert report["errorCount"] > 0 and report["valid"] is False


def test_a_revoked_award_answers_410_revoked(shared_award) -> None:
    """Version 1.1.2 of the validator does not flag revocation: checked here instead."""
    stored, url = shared_award
    revoke_award(stored.id, "issued in error", "admin@example.com")
    with pytest.raises(urllib.error.HTTPError) as gone:
        urllib.request.urlopen(f"{url}/ob/v2/assertions/{stored.public_id}")
    assert gone.value.code == 410
    assert json.loads(gone.value.read())["revoked"] is True


def _given_by_hand(email: str, image: dict) -> Achievement:
    """A shared author-defined badge with its own art, given by hand with a note (the
    metadata ``by_hand.give`` writes)."""
    learner = create_user(email, "password123", "learner", "UTC")
    db.session.commit()
    meta = {"badge": "lab-lead", "version": 2, "hidden": False, "expires_after_days": None,
            "image": image, "by_hand": {"by": "teacher@example.com",
                                        "narrative": "Led the **lab**.\nTwice.",
                                        "evidence_url": "https://example.org/lab-3"}}
    [stored] = insert_awards(learner.id, [AwardDue(
        "badge", "badge:lab-lead", "Lab lead", "Ran a lab session.", meta)],
        source_event_id=None)
    stored.public = True
    db.session.commit()
    return stored


def test_evidence_and_own_art_validate_with_zero_errors(served, tmp_path) -> None:
    _app, url = served
    stored = _given_by_hand("lab@example.com",
                            {"design": "star", "color": "#7c3aed", "glyph": "flag"})
    report = validate(f"{url}/ob/v2/assertions/{stored.public_id}", "lab@example.com")
    assert report["errorCount"] == 0, report["messages"]
    assert report["valid"] is True
    with urllib.request.urlopen(f"{url}/ob/v2/assertions/{stored.public_id}/image") as reply:
        png = tmp_path / "baked.png"
        png.write_bytes(reply.read())
    report = validate(str(png), "lab@example.com")
    assert report["errorCount"] == 0, report["messages"]


def test_an_uploaded_image_validates_with_zero_errors(served) -> None:
    _app, url = served
    admin = create_user("boss@example.com", "password123", "admin", "UTC")
    db.session.commit()
    upload = upload_image(Principal.user(admin.id, "admin", admin.email),
                          b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">'
                          b'<circle cx="32" cy="32" r="30" fill="#ca8a04"/></svg>')
    stored = _given_by_hand("up@example.com", {"upload": upload.id})
    report = validate(f"{url}/ob/v2/assertions/{stored.public_id}", "up@example.com")
    assert report["errorCount"] == 0, report["messages"]
