"""Open Badges 3.0: the VC-JWT checked by independent verifiers (jwcrypto, openbadgeslib)
against what the service serves, the status list, key rotation and the signing cache."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto import jwk, jws
from openbadgeslib.ob3.verifier import OB3VerificationError, OB3Verifier

from app.extensions import db
from app.infra.caches.signed_credentials import signed_credentials
from app.infra.signing import forget_active_key, rotate_key
from app.models.types import utcnow
from app.services.awarding.revocation import restore_award, revoke_award
from tests.web.conftest import award

BASE = "http://127.0.0.1:5000"


@pytest.fixture
def shared(people, client, token_headers):
    stored = award(people["ann"], "c1-u1-m1")
    client.patch(f"/api/v1/achievements/{stored.id}", json={"public": True},
                 headers=token_headers("achievements:admin"))
    return stored


def local(client, url: str):
    assert url.startswith(BASE), url
    return client.get(url.removeprefix(BASE))


def fetch_token(client, award) -> str:
    response = client.get(f"/ob/v3/credentials/{award.public_id}")
    assert response.status_code == 200 and response.mimetype == "application/vc+jwt"
    return response.get_data(as_text=True)


def verify_with_jwcrypto(client, token: str) -> tuple[dict, dict]:
    """Header and claims, the signature checked with the key the JWKS lists under ``kid``."""
    header = jws.JWS()
    header.deserialize(token)
    protected = json.loads(header.objects["protected"])
    keys = jwk.JWKSet.from_json(client.get("/.well-known/jwks.json").get_data(as_text=True))
    key = keys.get_key(protected["kid"])
    assert key is not None, "the kid is not in the served JWKS"
    checked = jws.JWS()
    checked.deserialize(token, key=key, alg="RS256")
    return protected, json.loads(checked.payload)


def test_the_credential_verifies_against_the_served_jwks(client, shared) -> None:
    header, claims = verify_with_jwcrypto(client, fetch_token(client, shared))
    assert header["alg"] == "RS256" and header["typ"] == "JWT"
    served = local(client, header["kid"]).get_json()  # the kid is a URL answering the key
    assert served["kid"] == header["kid"] and served["kty"] == "RSA" and "d" not in served
    assert claims["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert claims["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert claims["iss"] == claims["issuer"]["id"] == f"{BASE}/ob/v3/issuer"
    assert claims["jti"] == claims["id"] == f"{BASE}/ob/v3/credentials/{shared.public_id}"
    assert claims["sub"] == claims["credentialSubject"]["id"]
    assert claims["nbf"] == int(shared.earned_at.timestamp())
    assert claims["validFrom"] == shared.earned_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert "exp" not in claims and "validUntil" not in claims
    achievement = claims["credentialSubject"]["achievement"]
    assert achievement["id"] == f"{BASE}/ob/v3/achievements/module_complete"
    assert local(client, achievement["id"]).get_json()["name"] == "Module complete"
    assert local(client, claims["iss"]).get_json()["type"] == ["Profile"]


def test_openbadgeslib_verifies_it_and_sees_a_revocation(client, shared) -> None:
    token = fetch_token(client, shared)
    verifier = OB3Verifier(pubkey_pem=served_public_pem(client, token))
    download = lambda url: local(client, url).data  # noqa: E731  (the status list, offline)
    credential = verifier.verify(token, check_status=True, download=download)
    assert credential.issuer.id == f"{BASE}/ob/v3/issuer"
    revoke_award(shared.id, "copied", "admin@example.com")
    with pytest.raises(OB3VerificationError, match="revocation"):
        verifier.verify(token, check_status=True, download=download)
    restore_award(shared.id, "admin@example.com")
    verifier.verify(token, check_status=True, download=download)


def served_public_pem(client, token: str) -> bytes:
    """The public key the token's ``kid`` URL answers, as PEM."""
    kid = json.loads(jws_header(token))["kid"]
    return jwk.JWK(**local(client, kid).get_json()).export_to_pem()


def test_the_status_list_is_a_signed_bitstring(client, shared) -> None:
    token = fetch_token(client, shared)
    _, claims = verify_with_jwcrypto(client, token)
    entry = claims["credentialStatus"]
    assert entry["type"] == "BitstringStatusListEntry" and entry["statusPurpose"] == "revocation"
    status = local(client, entry["statusListCredential"])
    assert status.mimetype == "application/vc+jwt" and status.headers["ETag"]
    _, listed = verify_with_jwcrypto(client, status.get_data(as_text=True))
    assert listed["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert listed["issuer"] == claims["issuer"]["id"]
    assert client.get("/ob/v3/status/-1").status_code == 404


def test_rotation_keeps_old_credentials_verifiable(client, shared, people) -> None:
    old = fetch_token(client, shared)
    old_kid = json.loads(jws_header(old))["kid"]
    rotate_key()
    other = award(people["ann"], "c1-u1-m2")
    other.public = True
    db.session.commit()
    new = fetch_token(client, other)
    assert json.loads(jws_header(new))["kid"] != old_kid
    kids = [key["kid"] for key in client.get("/.well-known/jwks.json").get_json()["keys"]]
    assert len(kids) == 2 and old_kid in kids
    verify_with_jwcrypto(client, old)
    verify_with_jwcrypto(client, new)


def jws_header(token: str) -> str:
    parsed = jws.JWS()
    parsed.deserialize(token)
    return parsed.objects["protected"]


def test_a_credential_is_signed_once_per_award_version(client, shared) -> None:
    before = signed_credentials.signed
    first = fetch_token(client, shared)
    assert fetch_token(client, shared) == first
    assert signed_credentials.signed == before + 1
    shared.title = "Module complete: renamed"
    db.session.commit()
    renamed = fetch_token(client, shared)
    assert renamed != first and signed_credentials.signed == before + 2
    assert verify_with_jwcrypto(client, renamed)[1]["name"] == "Module complete: renamed"


def test_expiry_from_the_rule_settings(app, client, shared) -> None:
    app.config["RULES"] = {"module_complete": {"valid_days": 30}}
    expires = shared.earned_at + timedelta(days=30)
    _, claims = verify_with_jwcrypto(client, fetch_token(client, shared))
    assert claims["exp"] == int(expires.timestamp())
    assert claims["validUntil"] == expires.strftime("%Y-%m-%dT%H:%M:%SZ")
    assertion = client.get(f"/ob/v2/assertions/{shared.public_id}").get_json()
    assert assertion["expires"] == claims["validUntil"]
    shared.earned_at = utcnow() - timedelta(days=31)
    db.session.commit()
    page = client.get(f"/badges/{shared.public_id}").get_data(as_text=True)
    assert "Expired on" in page and "expirationYear" in page


def test_a_key_file_signs_and_stays_listed(app, client, shared, tmp_path) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path / "signing.pem"
    path.write_bytes(private.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    app.config["SIGNING_KEY_FILE"] = str(path)
    forget_active_key()
    token = fetch_token(client, shared)
    served = jwk.JWK(**local(client, json.loads(jws_header(token))["kid"]).get_json())
    mine = jwk.JWK.from_pem(path.read_bytes())
    assert served.thumbprint() == mine.thumbprint()
    verify_with_jwcrypto(client, token)
    jwks_text = client.get("/.well-known/jwks.json").get_data(as_text=True)
    assert '"d"' not in jwks_text and '"p"' not in jwks_text
