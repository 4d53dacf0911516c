"""Revocation any verifier can see: a W3C Bitstring Status List the service keeps.

Every award has a fixed place: list ``id // LIST_SIZE``, bit ``id % LIST_SIZE``
(no column to fill, and one list's 131,072 bits are the specification's
minimum for herd privacy). A list is computed from the revoked awards on each
request, so a revocation (or a restore) shows at once; it is served as a
signed ``BitstringStatusListCredential`` VC-JWT, signed once per content
(``app.infra.caches.signed_credentials``).
"""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import Achievement
from app.services.credentials.issuer import Issuer
from app.services.credentials.signatures import signed_jwt

LIST_SIZE = 131_072
VC2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
MAX_LIST = (2**63 - 1) // LIST_SIZE


def list_url(who: Issuer, number: int) -> str:
    return who.url_for(f"/ob/v3/status/{number}")


def status_entry(who: Issuer, award_id: int) -> dict[str, Any]:
    """The ``credentialStatus`` of an award's credential."""
    number, index = divmod(award_id, LIST_SIZE)
    url = list_url(who, number)
    return {"id": f"{url}#{index}", "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation", "statusListIndex": str(index),
            "statusListCredential": url}


def revoked_bits(number: int) -> bytes:
    """The list's bitstring: bit ``i`` (most significant first) set when revoked."""
    low = number * LIST_SIZE
    ids = db.session.scalars(select(Achievement.id).where(
        Achievement.id >= low, Achievement.id < low + LIST_SIZE,
        Achievement.revoked_at.is_not(None)))
    bits = bytearray(LIST_SIZE // 8)
    for award_id in ids:
        index = award_id - low
        bits[index // 8] |= 0x80 >> (index % 8)
    return bytes(bits)


def encode_list(bits: bytes) -> str:
    """Multibase base64url (``u``, no padding) of the GZIP-compressed bitstring."""
    packed = gzip.compress(bits, mtime=0)  # mtime 0: the same bits give the same bytes
    return "u" + base64.urlsafe_b64encode(packed).decode().rstrip("=")


def status_list_jwt(who: Issuer, number: int) -> str:
    """List ``number`` as a signed BitstringStatusListCredential (VC-JWT)."""
    url = list_url(who, number)
    issuer_id = who.url_for("/ob/v3/issuer")
    credential = {
        "@context": [VC2_CONTEXT], "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_id,
        "credentialSubject": {"id": f"{url}#list", "type": "BitstringStatusList",
                              "statusPurpose": "revocation",
                              "encodedList": encode_list(revoked_bits(number))},
    }
    claims = {"iss": issuer_id, "jti": url, "sub": f"{url}#list"}
    return signed_jwt(json.dumps({**credential, **claims}, separators=(",", ":")).encode())
