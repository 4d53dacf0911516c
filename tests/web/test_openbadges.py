"""Open Badges over HTTP: sharing, the 2.0 documents, 404/410, caching, the award JSON."""

from __future__ import annotations

import hashlib
import io
import json
import uuid
from datetime import timedelta

import pytest
from openbadges_bakery import unbake

from app.domain.registry import AwardDue
from app.extensions import db
from app.models import Achievement
from app.services.awarding.awards import insert_awards
from app.services.awarding.revocation import revoke_award
from tests.web.conftest import award

OB2 = "https://w3id.org/openbadges/v2"


@pytest.fixture
def shared(people, as_user):
    """ann's award, shared by ann through PATCH on her session."""
    stored = award(people["ann"], "c1-u1-m1")
    response = as_user(people["ann"]).patch(f"/api/v1/achievements/{stored.id}",
                                            json={"public": True})
    assert response.status_code == 200, response.data
    return stored


def test_an_award_is_private_until_shared(client, people, as_user) -> None:
    stored = award(people["ann"], "c1-u1-m1")
    body = as_user(people["ann"]).get(f"/api/v1/achievements/{stored.id}").get_json()
    assert body["public"] is False
    assert body["open_badges"] == {"assertion": None, "credential": None}
    uuid.UUID(stored.public_id, version=4)
    for path in (f"/ob/v2/assertions/{stored.public_id}", f"/ob/v3/credentials/{stored.public_id}",
                 f"/ob/v2/assertions/{stored.public_id}/image", f"/badges/{stored.public_id}"):
        assert client.get(path).status_code == 404


def test_sharing_publishes_links_and_documents(client, people, as_user, shared) -> None:
    body = as_user(people["ann"]).get(f"/api/v1/achievements/{shared.id}").get_json()
    base = "http://127.0.0.1:5000"
    assert body["public"] is True
    assert body["open_badges"] == {
        "assertion": f"{base}/ob/v2/assertions/{shared.public_id}",
        "credential": f"{base}/ob/v3/credentials/{shared.public_id}"}
    response = client.get(f"/ob/v2/assertions/{shared.public_id}")
    assert response.status_code == 200 and response.mimetype == "application/ld+json"
    document = response.get_json()
    assert document["@context"] == OB2 and document["type"] == "Assertion"
    assert document["id"] == body["open_badges"]["assertion"]
    assert document["badge"] == f"{base}/ob/v2/badges/module_complete"
    assert document["verification"] == {"type": "hosted"}
    assert "expires" not in document


def test_the_recipient_is_a_salted_hash_never_the_email(client, people, shared) -> None:
    text = client.get(f"/ob/v2/assertions/{shared.public_id}").get_data(as_text=True)
    assert "ann@example.com" not in text
    recipient = json.loads(text)["recipient"]
    digest = hashlib.sha256(("ann@example.com" + recipient["salt"]).encode()).hexdigest()
    assert recipient == {"type": "email", "hashed": True, "salt": recipient["salt"],
                         "identity": f"sha256${digest}"}
    credential = client.get(f"/ob/v3/credentials/{shared.public_id}").get_data(as_text=True)
    assert "ann@example.com" not in credential


def test_issuer_and_badge_class_answer_with_their_images(client, app, shared) -> None:
    issuer = client.get("/ob/v2/issuer").get_json()
    assert issuer == {"@context": OB2, "type": "Issuer",
                      "id": "http://127.0.0.1:5000/ob/v2/issuer",
                      "name": app.config["ISSUER_NAME"], "url": "http://127.0.0.1:5000",
                      "email": app.config["ISSUER_EMAIL"]}
    for slug in ("module_complete", "streak-7", "milestone-modules-10", "streak-9"):
        badge = client.get(f"/ob/v2/badges/{slug}").get_json()
        assert badge["type"] == "BadgeClass" and badge["criteria"]["narrative"]
        image = client.get(badge["image"].removeprefix("http://127.0.0.1:5000"))
        assert image.status_code == 200 and image.data.startswith(b"\x89PNG")
    for slug in ("streak", "nope", "milestone-hours-3", "streak-0", "badge:unknown"):
        assert client.get(f"/ob/v2/badges/{slug}").status_code == 404


def test_the_baked_badge_carries_the_assertion(client, shared) -> None:
    response = client.get(f"/ob/v2/assertions/{shared.public_id}/image?download=1")
    assert response.mimetype == "image/png"
    assert "attachment" in response.headers["Content-Disposition"]
    baked = json.loads(unbake(io.BytesIO(response.data)))
    assert baked == client.get(f"/ob/v2/assertions/{shared.public_id}").get_json()


def test_revoked_is_410_with_the_reason_everywhere(client, shared) -> None:
    revoke_award(shared.id, "copied the quiz", "admin@example.com")
    response = client.get(f"/ob/v2/assertions/{shared.public_id}")
    assert response.status_code == 410
    assert response.get_json() == {
        "@context": OB2, "id": f"http://127.0.0.1:5000/ob/v2/assertions/{shared.public_id}",
        "revoked": True, "revocationReason": "copied the quiz"}
    v3 = client.get(f"/ob/v3/credentials/{shared.public_id}")
    assert v3.status_code == 410 and v3.get_json()["revoked"] is True
    assert client.get(f"/ob/v2/assertions/{shared.public_id}/image").status_code == 410
    page = client.get(f"/badges/{shared.public_id}").get_data(as_text=True)
    assert "Revoked by the issuer: copied the quiz" in page


def test_public_ids_are_not_enumerable(client, shared) -> None:
    for guess in (str(shared.id), "1", shared.public_id.upper(), str(uuid.uuid4()),
                  "../../etc/passwd", "x" * 500):
        assert client.get(f"/ob/v2/assertions/{guess}").status_code == 404
        assert client.get(f"/ob/v3/credentials/{guess}").status_code == 404


def test_someone_elses_award_cannot_be_shared(people, as_user, token_headers, client) -> None:
    stored = award(people["ann"], "c1-u1-m1")
    attempts = [(as_user(people["bob"]), {}), (as_user(people["ida"]), {}),
                (client, token_headers("achievements:read", "progress:write"))]
    for caller, headers in attempts:
        response = caller.patch(f"/api/v1/achievements/{stored.id}", json={"public": True},
                                headers=headers)
        assert response.status_code in (401, 403, 404), response.status_code
        assert response.mimetype == "application/problem+json"
    db.session.expire_all()
    assert db.session.get(Achievement, stored.id).public is False


def test_an_admin_token_may_share_and_unshare(people, client, token_headers) -> None:
    stored = award(people["ann"], "c1-u1-m1")
    headers = token_headers("achievements:admin")
    for public in (True, False):
        response = client.patch(f"/api/v1/achievements/{stored.id}", json={"public": public},
                                headers=headers)
        assert response.status_code == 200 and response.get_json()["public"] is public


@pytest.mark.parametrize("body", [{}, {"public": "yes"}, {"public": 1}, {"public": None},
                                  {"public": True, "title": "x"}, []])
def test_bad_sharing_bodies_are_422_and_change_nothing(people, as_user, body) -> None:
    stored = award(people["ann"], "c1-u1-m1")
    response = as_user(people["ann"]).patch(f"/api/v1/achievements/{stored.id}", json=body)
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    db.session.expire_all()
    assert db.session.get(Achievement, stored.id).public is False


def test_a_revoked_award_cannot_be_shared(people, client, token_headers) -> None:
    stored = award(people["ann"], "c1-u1-m1")
    revoke_award(stored.id, "mistake", "admin@example.com")
    response = client.patch(f"/api/v1/achievements/{stored.id}", json={"public": True},
                            headers=token_headers("achievements:admin"))
    assert response.status_code == 409


def test_cacheable_yet_an_unshare_is_seen_at_once(client, people, as_user, shared) -> None:
    path = f"/ob/v2/assertions/{shared.public_id}"
    first = client.get(path)
    assert first.headers["Cache-Control"] == "public, no-cache" and first.headers["ETag"]
    again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    credential = client.get(f"/ob/v3/credentials/{shared.public_id}")
    assert client.get(f"/ob/v3/credentials/{shared.public_id}", headers={
        "If-None-Match": credential.headers["ETag"]}).status_code == 304
    as_user(people["ann"]).patch(f"/api/v1/achievements/{shared.id}", json={"public": False})
    assert client.get(path, headers={"If-None-Match": first.headers["ETag"]}).status_code == 404
    assert client.get(f"/ob/v3/credentials/{shared.public_id}").status_code == 404


def test_a_revocation_is_seen_at_once_through_a_kept_etag(client, shared) -> None:
    path = f"/ob/v2/assertions/{shared.public_id}"
    etag = client.get(path).headers["ETag"]
    revoke_award(shared.id, "fraud", "admin@example.com")
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 410


def test_an_author_defined_badge_is_its_own_badge_class(client, people, token_headers) -> None:
    """``badge:<key>``: named as its awards say, published once some learner shares one."""
    meta = {"badge": "night-owl", "version": 2, "hidden": True, "expires_after_days": 30,
            "image": {}}
    [stored] = insert_awards(people["ann"].id, [AwardDue(
        "badge", "badge:night-owl", "Night owl", "Learned after midnight.", meta)],
        source_event_id=None)
    db.session.commit()
    assert client.get("/ob/v2/badges/badge:night-owl").status_code == 404  # nobody shares it
    client.patch(f"/api/v1/achievements/{stored.id}", json={"public": True},
                 headers=token_headers("achievements:admin"))
    badge = client.get("/ob/v2/badges/badge:night-owl").get_json()
    assert badge["name"] == "Night owl" and badge["description"] == "Learned after midnight."
    image = client.get("/ob/v2/badges/badge:night-owl/image")
    assert image.status_code == 200 and image.data.startswith(b"\x89PNG")
    assertion = client.get(f"/ob/v2/assertions/{stored.public_id}").get_json()
    assert assertion["badge"] == "http://127.0.0.1:5000/ob/v2/badges/badge:night-owl"
    expires = (stored.earned_at + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert assertion["expires"] == expires
    assert client.get(f"/badges/{stored.public_id}").status_code == 200
