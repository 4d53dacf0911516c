"""Signed statements (xAPI 1.0.3, Data 2.6): the signature attachment is a JWS whose
payload is the statement as signed.

Checked: the JWS is compact and well formed, its algorithm RS256, RS384 or RS512, its
payload the same statement (``id``, ``authority``, ``stored``, ``version`` and
``attachments`` aside, as the spec allows the LRS to add them); an ``x5c`` chain, when
present, holds certificates and the first one's key verifies the signature. Without
``x5c`` there is no key to verify against: the spec leaves trust to the reader.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from app.domain.xapi import fingerprint
from app.domain.xapi_rules import normalized
from app.errors import InvalidInput
from app.services.xapi.schema import invalid

SIGNATURE_USAGE = "http://adlnet.gov/expapi/attachments/signature"
SIGNATURE_TYPE = "application/octet-stream"
HASHES = {"RS256": hashes.SHA256, "RS384": hashes.SHA384, "RS512": hashes.SHA512}
NOT_SIGNED = ("attachments",)


def check_signature(statement: dict[str, Any], jws: bytes, at: str) -> None:
    """Raise a 400 naming ``at`` (the signature attachment) unless ``jws`` signs ``statement``."""
    try:
        header_b64, payload_b64, signature_b64 = jws.decode("ascii").strip().split(".")
        header = json.loads(_unb64(header_b64))
        payload = json.loads(_unb64(payload_b64))
        signature = _unb64(signature_b64)
    except (ValueError, UnicodeDecodeError, binascii.Error) as exc:
        raise invalid(at, "is not a compact JWS with a JSON payload") from exc
    if not isinstance(header, dict) or header.get("alg") not in HASHES:
        raise invalid(at, "must be signed with RS256, RS384 or RS512")
    if not isinstance(payload, dict) or not _same(payload, statement):
        raise invalid(at, "signs another statement than the one it is attached to")
    if "x5c" in header:
        _verify(header, f"{header_b64}.{payload_b64}".encode(), signature, at)


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _same(payload: dict[str, Any], statement: dict[str, Any]) -> bool:
    if "id" in payload and str(payload["id"]).lower() != str(statement.get("id", "")).lower():
        return False
    try:
        signed = normalized(_unsigned(payload), {})
    except (KeyError, TypeError, AttributeError):
        return False
    return fingerprint(_unsigned(signed)) == fingerprint(_unsigned(statement))


def _unsigned(statement: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in statement.items() if key not in NOT_SIGNED}


def _verify(header: dict[str, Any], signed: bytes, signature: bytes, at: str) -> None:
    chain = header["x5c"]
    try:
        if not isinstance(chain, list) or not chain:
            raise ValueError("empty")
        certificates = [x509.load_der_x509_certificate(base64.b64decode(item)) for item in chain]
    except (ValueError, TypeError, binascii.Error) as exc:
        raise invalid(f"{at}.x5c", "is not a chain of X.509 certificates") from exc
    key = certificates[0].public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise invalid(f"{at}.x5c", "must hold an RSA key for an RS algorithm")
    try:
        key.verify(signature, signed, padding.PKCS1v15(), HASHES[header["alg"]]())
    except InvalidSignature as exc:
        raise InvalidInput(f"invalid statement: {at} does not verify with its x5c certificate",
                           fields={at: ["does not verify with its x5c certificate"]}) from exc
