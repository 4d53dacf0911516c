"""SAML 2.0 sign-in against pysaml2's IdP run as its own process: accounts from the
attributes, role from eduPersonAffiliation, and each forged or replayed response refused
with a clear page that creates nothing."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.extensions import db
from app.models import Identity, User
from tests.web.signin.conftest import sample
from tests.web.signin.saml_fixtures import through_idp

REFUSED = "achievements_sign_in_refusals_total"


def count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_metadata_names_our_acs_and_certificate(saml_client: FlaskClient) -> None:
    body = saml_client.get("/saml/metadata").get_data(as_text=True)
    assert 'entityID="http://localhost/saml/metadata"' in body
    assert 'Location="http://localhost/saml/acs"' in body and "X509Certificate" in body


def test_first_sign_in_creates_the_account_the_next_finds_it(saml_client: FlaskClient) -> None:
    response, _ = through_idp(saml_client, "ada", next_url="/settings")
    assert response.status_code == 302, response.data
    assert response.headers["Location"] == "/settings"
    user = db.session.scalar(select(User))
    assert user is not None and (user.email, user.display_name, user.role) == \
        ("ada@idp.example", "Ada Lovelace", "instructor")
    identity = db.session.scalar(select(Identity))
    assert identity is not None and identity.subject == "ada@idp.example"
    assert identity.provider.startswith("saml:http://127.0.0.1:")
    saml_client.post("/logout")
    again, _ = through_idp(saml_client, "ada")
    assert again.status_code == 302 and count(User) == 1
    assert saml_client.get("/").status_code == 200


def test_a_student_is_a_learner(saml_client: FlaskClient) -> None:
    through_idp(saml_client, "sam")
    assert db.session.scalar(select(User.role)) == "learner"


def test_a_replayed_response_is_refused(saml_client: FlaskClient) -> None:
    response, posted = through_idp(saml_client, "sam")
    assert response.status_code == 302
    saml_client.post("/logout")
    before = sample(REFUSED, protocol="saml", reason="unsolicited")
    replay = saml_client.post("/saml/acs", data=posted)
    assert replay.status_code == 400 and "Sign-in failed" in replay.get_data(as_text=True)
    assert sample(REFUSED, protocol="saml", reason="unsolicited") == before + 1
    assert saml_client.get("/").status_code == 302


@pytest.mark.parametrize(("mode", "status", "reason"), [
    ("unsigned", 401, "unsigned"),
    ("tampered", 401, "signature"),
    ("audience", 401, "audience"),
    ("recipient", 401, "no_assertion"),  # pysaml2 drops an assertion for another ACS
    ("expired", 401, "conditions"),
    ("unsolicited", 400, "unsolicited"),
    ("no_in_response_to", 401, "unsolicited"),
])
def test_a_forged_response_is_refused(saml_client: FlaskClient, mode: str, status: int,
                                      reason: str) -> None:
    before = sample(REFUSED, protocol="saml", reason=reason)
    response, _ = through_idp(saml_client, "ada", mode=mode)
    assert response.status_code == status, response.data
    assert sample(REFUSED, protocol="saml", reason=reason) == before + 1
    assert "Sign-in failed" in response.get_data(as_text=True)
    assert count(User) == 0 and count(Identity) == 0
    assert saml_client.get("/").status_code == 302


def test_saml_pages_are_404_when_unconfigured(client: FlaskClient) -> None:
    assert client.get("/saml/metadata").status_code == 404
    assert client.post("/saml/acs").status_code == 404


def test_the_sp_key_pair_is_made_once_and_kept(app: object) -> None:
    from pathlib import Path

    from app.models import SamlSpKey
    from app.services.signin.saml_keys import key_files

    first, second = key_files(None, None, "sp"), key_files(None, None, "sp")
    assert Path(first[1]).read_text() == Path(second[1]).read_text()
    assert "BEGIN CERTIFICATE" in Path(first[1]).read_text()
    assert count(SamlSpKey) == 1
    with pytest.raises(ValueError):
        key_files("only-a-key.pem", None, "sp")


def test_unreadable_idp_metadata_is_a_clear_502(tmp_path: object, saml_setup: object) -> None:
    from pathlib import Path

    from app.extensions import db
    from tests.web.signin.saml_fixtures import sp_app

    folder = Path(str(tmp_path))
    application = sp_app(folder, saml_setup, SAML_IDP_METADATA=str(folder / "missing.xml"))  # type: ignore[arg-type]
    with application.app_context():
        db.create_all()
        client = application.test_client()
        before = sample(REFUSED, protocol="saml", reason="idp_metadata")
        assert client.get("/saml/login").status_code == 502
        assert sample(REFUSED, protocol="saml", reason="idp_metadata") == before + 1
