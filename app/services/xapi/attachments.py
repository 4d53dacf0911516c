"""Attachments (xAPI 1.0.3, Data 2.4.11 and Communication 1.5): each declared without a
``fileUrl`` comes as a part of a ``multipart/mixed`` request whose bytes match its
``sha2``; no part may be left over. Stored once per hash, in the same transaction as the
statements, and answered by ``GET ?attachments=true``.

The ``sha2`` is the part's identity and its integrity check: a truncated or altered part
fails it. A declared ``length`` that differs from the part's byte count is logged, not
refused: the spec makes no LRS requirement of it, ADL's conformance suite sends such a
part (the image's byte length, its hex text as the body, the hash of that text) and
expects it stored, and the stored attachment records the bytes really received.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from sqlalchemy import select

from app.domain.xapi_rules import attachments_of
from app.extensions import db
from app.infra.inserts import insert_ignore_stmt
from app.models.types import utcnow
from app.models.xapi import XapiAttachment
from app.services.xapi.multipart import Part
from app.services.xapi.schema import invalid
from app.services.xapi.signature import SIGNATURE_TYPE, SIGNATURE_USAGE, check_signature

log = logging.getLogger(__name__)
ALGORITHMS = {64: "sha256", 96: "sha384", 128: "sha512"}  # by hex length, as the spec allows


def check_parts(statements: list[tuple[str, dict[str, Any]]], parts: list[Part] | None
                ) -> list[Part]:
    """The parts to store, each checked against what the statements declare.

    ``statements`` are ``(label, statement)`` (``$[2]``); ``parts`` is None for a JSON body.
    """
    by_hash = {part.sha2: part for part in parts or []}
    used: dict[str, Part] = {}
    for label, statement in statements:
        for path, attachment in attachments_of(statement):
            at = label + path[1:]
            part = _part_for(attachment, by_hash, parts is not None, at)
            if part is not None:
                used[part.sha2] = part
                _check_signature(statement, attachment, part, at)
    for part in parts or []:
        if part.sha2 not in used:
            raise invalid("parts", f"the part with hash {part.sha2} is no statement's attachment")
    return list(used.values())


def _part_for(attachment: dict[str, Any], by_hash: dict[str, Part], multipart: bool,
              at: str) -> Part | None:
    sha2 = attachment["sha2"].lower()
    part = by_hash.get(sha2)
    if part is None:
        if "fileUrl" in attachment:
            return None
        why = ("has no part with its sha2" if multipart else
               "has no fileUrl: send its bytes in a multipart/mixed request")
        raise invalid(at, why)
    if hashlib.new(ALGORITHMS[len(sha2)], part.content).hexdigest() != sha2:
        raise invalid(f"{at}.sha2", "does not match the hash of its part's bytes")
    if len(part.content) != attachment["length"]:
        log.warning("attachment %s declares %s bytes; its part has %s (stored as received)",
                    at, attachment["length"], len(part.content))
    return part


def _check_signature(statement: dict[str, Any], attachment: dict[str, Any], part: Part,
                     at: str) -> None:
    if attachment["usageType"] != SIGNATURE_USAGE:
        return
    if attachment["contentType"] != SIGNATURE_TYPE or part.content_type != SIGNATURE_TYPE:
        raise invalid(f"{at}.contentType", f"must be {SIGNATURE_TYPE} for a signature")
    check_signature(statement, part.content, at)


def store_parts(parts: list[Part]) -> None:
    """Add the parts not stored yet (in the caller's transaction)."""
    if parts:
        db.session.execute(insert_ignore_stmt(XapiAttachment, ["sha2"]), [
            {"sha2": part.sha2, "content_type": part.content_type, "length": len(part.content),
             "content": part.content, "stored_at": utcnow()} for part in parts])


def parts_of(statement: dict[str, Any]) -> list[Part]:
    """The stored parts of a statement's attachments (those sent with it, not fileUrls)."""
    hashes = {item["sha2"].lower() for _path, item in attachments_of(statement)}
    if not hashes:
        return []
    rows = db.session.execute(select(XapiAttachment.content_type, XapiAttachment.sha2,
                                     XapiAttachment.content)
                              .where(XapiAttachment.sha2.in_(hashes)))
    return [Part(content_type, sha2, bytes(content)) for content_type, sha2, content in rows]
