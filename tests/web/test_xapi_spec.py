"""The /xapi resource held to xAPI 1.0.3 where the ADL suite does not look closely: the
field each 400 names and nothing stored, attachments and their limits, signatures with
an x5c chain, voiding and the progress events it withdraws, queries, headers — on SQLite
and again on PostgreSQL (``both_databases``)."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from sqlalchemy import func, select

from app.extensions import db
from app.models import Achievement, ProgressEvent, XapiStatement
from app.models.xapi import XapiAttachment
from tests.services.xapi.test_statements import statement
from tests.web.test_xapi import basic

SIGNATURE = "http://adlnet.gov/expapi/attachments/signature"
pytestmark = pytest.mark.both_databases
BOUNDARY = "xapi-test-boundary"


@pytest.fixture
def auth(make_token) -> dict[str, str]:
    return basic(make_token("progress:write"))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def attachment(content: bytes, **extra) -> dict:
    return {"usageType": "http://example.com/usage/certificate", "display": {"en-US": "file"},
            "contentType": "text/plain", "length": len(content),
            "sha2": hashlib.sha256(content).hexdigest(), **extra}


def multipart(body, *parts: tuple[str, bytes, str | None]) -> bytes:
    chunks = [f"--{BOUNDARY}\r\nContent-Type: application/json\r\n\r\n".encode(),
              json.dumps(body).encode(), b"\r\n"]
    for content_type, content, sha2 in parts:
        chunks += [f"--{BOUNDARY}\r\nContent-Type: {content_type}\r\nContent-Transfer-Encoding:"
                   f" binary\r\nX-Experience-API-Hash: "
                   f"{sha2 or hashlib.sha256(content).hexdigest()}\r\n\r\n".encode(),
                   content, b"\r\n"]
    return b"".join([*chunks, f"--{BOUNDARY}--\r\n".encode()])


def post_multipart(client, auth, body, *parts):
    return client.post("/xapi/statements", data=multipart(body, *parts), headers=auth,
                       content_type=f"multipart/mixed; boundary={BOUNDARY}")


@pytest.mark.parametrize(("bad", "field"), [
    ({"result": {"score": {"raw": 11, "min": 0, "max": 10}}}, "$[1].result.score.raw"),
    ({"result": {"score": {"min": 5, "max": 1}}}, "$[1].result.score.min"),
    ({"timestamp": "2026-01-01T00:00:00-00:00"}, "$[1].timestamp"),
    ({"result": {"duration": "P4W1D"}}, "$[1].result.duration"),
    ({"object": {"objectType": "Agent", "mbox": "mailto:a@example.com"},
      "context": {"revision": "2"}}, "$[1].context.revision"),
    ({"object": {"id": "http://example.com/q", "definition": {"choices": []}}},
     "$[1].object.definition.interactionType"),
    ({"verb": {"id": "http://adlnet.gov/expapi/verbs/voided"}}, "$[1].object.objectType"),
])
def test_a_broken_rule_is_400_naming_the_field_and_nothing_is_stored(client, catalog, learner,
                                                                     auth, bad, field) -> None:
    response = client.post("/xapi/statements", json=[statement(), {**statement(), **bad}],
                           headers=auth)
    assert response.status_code == 400, response.get_json()
    assert list(response.get_json()["errors"]) == [field]
    assert count(XapiStatement) == 0 and count(ProgressEvent) == 0


def test_an_attachment_is_stored_and_returned_with_its_statement(client, catalog, learner,
                                                                 auth) -> None:
    content = b"certificate of completion\x00\xff"
    body = {**statement(), "attachments": [attachment(content)]}
    response = post_multipart(client, auth, body, ("text/plain", content, None))
    assert response.status_code == 200, response.get_json()
    [ident] = response.get_json()
    got = client.get(f"/xapi/statements?statementId={ident}&attachments=true", headers=auth)
    assert got.status_code == 200 and got.mimetype == "multipart/mixed"
    assert content in got.data and f'"id": "{ident}"'.encode() in got.data
    plain = client.get(f"/xapi/statements?statementId={ident}", headers=auth)
    assert plain.mimetype == "application/json"


@pytest.mark.parametrize("damage", ["sha2", "extra part", "no part"])
def test_a_part_that_does_not_match_is_400_and_nothing_is_stored(client, catalog, learner,
                                                                 auth, damage) -> None:
    content = b"the real bytes"
    declared = attachment(content)
    parts = [("text/plain", b"other bytes!!!", declared["sha2"]) if damage == "sha2"
             else ("text/plain", content, None)]
    if damage == "extra part":
        parts.append(("text/plain", b"stray", None))
    if damage == "no part":
        parts = []
    response = post_multipart(client, auth, {**statement(), "attachments": [declared]}, *parts)
    assert response.status_code == 400, response.get_json()
    assert count(XapiStatement) == 0 and count(XapiAttachment) == 0


def test_a_declared_length_that_differs_is_stored_as_received(client, catalog, learner,
                                                              auth) -> None:
    """The sha2 vouches for the bytes; the spec asks nothing of ``length`` (ADL's suite sends
    a part twice its declared length and expects it stored)."""
    content = b"the real bytes"
    body = {**statement(), "attachments": [attachment(content, length=99)]}
    response = post_multipart(client, auth, body, ("text/plain", content, None))
    assert response.status_code == 200, response.get_json()
    stored = db.session.scalar(select(XapiAttachment))
    assert stored.length == len(content)


def test_an_attachment_without_file_url_needs_multipart(client, catalog, auth) -> None:
    body = {**statement(), "attachments": [attachment(b"x")]}
    response = client.post("/xapi/statements", json=body, headers=auth)
    assert response.status_code == 400
    assert list(response.get_json()["errors"]) == ["$.attachments[0]"]


def test_a_body_over_10_mib_is_413_and_nothing_is_stored(client, catalog, auth) -> None:
    content = b"x" * (10 * 1024 * 1024 + 1)
    body = {**statement(), "attachments": [attachment(content)]}
    response = post_multipart(client, auth, body, ("text/plain", content, None))
    assert response.status_code == 413
    assert count(XapiStatement) == 0 and count(XapiAttachment) == 0


def test_form_data_is_no_way_to_send_statements(client, catalog, auth) -> None:
    response = client.post("/xapi/statements", data={"statement": json.dumps(statement())},
                           headers=auth)
    assert response.status_code == 400 and count(XapiStatement) == 0


def signed(body: dict, algorithm: str = "RS256", tamper: bool = False) -> tuple[dict, bytes]:
    """``(statement with its signature attachment, the JWS)``, signed with an x5c chain."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "LMS")])
    now = datetime.now(UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                   .public_key(key.public_key()).serial_number(1).not_valid_before(now)
                   .not_valid_after(now + timedelta(days=1)).sign(key, hashes.SHA256()))
    der = certificate.public_bytes(serialization.Encoding.DER)
    header = {"alg": algorithm, "x5c": [base64.b64encode(der).decode()]}

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(body).encode())}"
    digest = {"RS256": hashes.SHA256, "RS384": hashes.SHA384, "RS512": hashes.SHA512}
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), digest[algorithm]())
    if tamper:
        signature = bytes([signature[0] ^ 1]) + signature[1:]
    jws = f"{signing_input}.{b64(signature)}".encode()
    sent = {**body, "attachments": [attachment(jws, usageType=SIGNATURE,
                                               contentType="application/octet-stream")]}
    return sent, jws


@pytest.mark.parametrize("algorithm", ["RS256", "RS384", "RS512"])
def test_a_signed_statement_verifies_with_its_certificate(client, catalog, learner, auth,
                                                          algorithm) -> None:
    body, jws = signed({**statement(), "id": str(uuid.uuid4())}, algorithm)
    response = post_multipart(client, auth, body, ("application/octet-stream", jws, None))
    assert response.status_code == 200, response.get_json()


@pytest.mark.parametrize("damage", ["signature", "statement"])
def test_a_signature_that_does_not_hold_is_400(client, catalog, learner, auth, damage) -> None:
    body, jws = signed({**statement(), "id": str(uuid.uuid4())}, tamper=damage == "signature")
    if damage == "statement":
        body["verb"] = {"id": "http://adlnet.gov/expapi/verbs/passed"}
    response = post_multipart(client, auth, body, ("application/octet-stream", jws, None))
    assert response.status_code == 400 and count(XapiStatement) == 0


def void(client, auth, target: str):
    return client.post("/xapi/statements", headers=auth, json={
        **statement(verb="voided"), "object": {"objectType": "StatementRef", "id": target}})


def test_a_voided_statement_is_404_by_id_and_found_by_voided_id(client, catalog, learner,
                                                                auth) -> None:
    [ident] = client.post("/xapi/statements", json=statement(), headers=auth).get_json()
    assert void(client, auth, ident).status_code == 200
    gone = client.get(f"/xapi/statements?statementId={ident}", headers=auth)
    assert gone.status_code == 404 and "X-Experience-API-Consistent-Through" in gone.headers
    found = client.get(f"/xapi/statements?voidedStatementId={ident}", headers=auth)
    assert found.status_code == 200 and found.get_json()["id"] == ident
    listed = client.get("/xapi/statements", headers=auth).get_json()["statements"]
    assert ident not in [item["id"] for item in listed]


def test_voiding_withdraws_an_event_without_an_award_and_keeps_one_with(client, catalog,
                                                                        learner, auth) -> None:
    [first] = client.post("/xapi/statements", json=statement(), headers=auth).get_json()
    [again] = client.post("/xapi/statements", json=statement(), headers=auth).get_json()
    rows = {row.id: row for row in db.session.scalars(select(XapiStatement))}
    awarded, plain = rows[first].progress_event_id, rows[again].progress_event_id
    assert db.session.scalar(select(Achievement).where(Achievement.source_event_id == awarded))
    awards = count(Achievement)
    assert void(client, auth, again).status_code == 200
    assert void(client, auth, first).status_code == 200
    db.session.expire_all()
    assert db.session.get(ProgressEvent, plain) is None
    assert db.session.get(ProgressEvent, awarded) is not None
    assert count(Achievement) == awards  # never revoked automatically
    notes = {row.id: row.note for row in db.session.scalars(select(XapiStatement))}
    assert "withdrawn" in notes[again] and "award" in notes[first]


def test_statement_id_with_another_filter_is_400_with_the_header(client, auth) -> None:
    response = client.get(f"/xapi/statements?statementId={uuid.uuid4()}&verb=http://x.y/z",
                          headers=auth)
    assert response.status_code == 400
    assert response.headers["X-Experience-API-Consistent-Through"].endswith("Z")


def test_queries_filter_and_page_with_more(client, catalog, learner, auth) -> None:
    registration = str(uuid.uuid4())
    mine = [statement(context={"registration": registration}) for _ in range(3)]
    ids = client.post("/xapi/statements", json=[*mine, statement(verb="experienced")],
                      headers=auth).get_json()
    page = client.get(f"/xapi/statements?registration={registration}&limit=2&ascending=true",
                      headers=auth).get_json()
    assert len(page["statements"]) == 2 and page["more"]
    rest = client.get(page["more"], headers=auth).get_json()
    assert len(rest["statements"]) == 1 and rest["more"] == ""
    paged = [item["id"] for item in page["statements"] + rest["statements"]]
    assert paged == ids[:3]  # stored in the order sent
    verb = "http://adlnet.gov/expapi/verbs/experienced"
    found = client.get(f"/xapi/statements?verb={verb}", headers=auth).get_json()
    assert [item["id"] for item in found["statements"]] == [ids[3]]


def test_context_activities_come_back_as_arrays(client, catalog, learner, auth) -> None:
    parent = {"id": "http://example.com/course"}
    body = statement(context={"contextActivities": {"parent": parent}})
    [ident] = client.post("/xapi/statements", json=body, headers=auth).get_json()
    got = client.get(f"/xapi/statements?statementId={ident}", headers=auth).get_json()
    assert got["context"]["contextActivities"]["parent"] == [parent]
    assert got["authority"]["objectType"] == "Agent"


def test_a_caller_reads_and_voids_only_what_it_stored(client, catalog, learner, auth,
                                                      make_token) -> None:
    [ident] = client.post("/xapi/statements", json=statement(), headers=auth).get_json()
    other = basic(make_token("progress:write"))
    admin = basic(make_token("progress:write", "achievements:admin"))
    assert client.get(f"/xapi/statements?statementId={ident}", headers=other).status_code == 404
    assert client.get("/xapi/statements", headers=other).get_json()["statements"] == []
    assert void(client, other, ident).status_code == 200  # stored, voids nothing
    assert client.get(f"/xapi/statements?statementId={ident}", headers=auth).status_code == 200
    listed = client.get("/xapi/statements", headers=admin).get_json()["statements"]
    assert ident in [item["id"] for item in listed]
