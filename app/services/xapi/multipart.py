"""``multipart/mixed`` bodies as xAPI 1.0.3 uses them (Communication 1.5.2): the statements
in the first part (``application/json``), then one part per attachment named by its hash
in ``X-Experience-API-Hash``.

Parsed by hand rather than with ``email``: the parts are raw binary and the spec's rules
(the first part JSON, every other part carrying a hash) are what decide a 400.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from werkzeug.http import parse_options_header

from app.services.xapi.schema import invalid

HASH_HEADER = "x-experience-api-hash"


@dataclass(frozen=True)
class Part:
    """One attachment part: its declared type and hash, and its bytes."""

    content_type: str
    sha2: str
    content: bytes


def parse(body: bytes, content_type: str) -> tuple[bytes, list[Part]]:
    """``(the JSON of the first part, the attachment parts)``; 400 on a body out of form."""
    boundary = parse_options_header(content_type)[1].get("boundary")
    if not boundary:
        raise invalid("Content-Type", "multipart/mixed needs a boundary parameter")
    chunks = body.split(b"--" + boundary.encode("latin-1"))
    if len(chunks) < 3 or not chunks[-1].startswith(b"--"):
        raise invalid("$", "is not a multipart/mixed body with this boundary")
    parts = [_part(chunk) for chunk in chunks[1:-1]]
    first_type, _, statements = parts[0]
    if parse_options_header(first_type)[0] != "application/json":
        raise invalid("$", "the first part must be the statements, as application/json")
    return statements, [_attachment(index, part) for index, part in enumerate(parts[1:], 1)]


def _part(chunk: bytes) -> tuple[str, dict[str, str], bytes]:
    """``(content type, headers by lowercase name, content)`` of one part."""
    head, separator, content = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
    if not separator:
        raise invalid("$", "a part has no blank line between its headers and its content")
    headers = {}
    for line in head.decode("latin-1").split("\r\n"):
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip().lower()] = value.strip()
    return headers.get("content-type", ""), headers, content.removesuffix(b"\r\n")


def _attachment(index: int, part: tuple[str, dict[str, str], bytes]) -> Part:
    content_type, headers, content = part
    sha2 = headers.get(HASH_HEADER, "").lower()
    if not sha2:
        raise invalid(f"parts[{index}]", "has no X-Experience-API-Hash header")
    if not content_type:
        raise invalid(f"parts[{index}]", "has no Content-Type header")
    if headers.get("content-transfer-encoding", "binary").lower() != "binary":
        raise invalid(f"parts[{index}]", "must be sent with Content-Transfer-Encoding binary")
    return Part(content_type, sha2, content)


def build(statement_json: bytes, parts: list[Part]) -> tuple[bytes, str]:
    """A multipart/mixed answer: the statement(s), then each attachment; and its Content-Type."""
    boundary = uuid.uuid4().hex
    chunks = [f"--{boundary}\r\nContent-Type: application/json\r\n\r\n".encode(),
              statement_json, b"\r\n"]
    for part in parts:
        chunks += [f"--{boundary}\r\nContent-Type: {part.content_type}\r\n"
                   f"Content-Transfer-Encoding: binary\r\nX-Experience-API-Hash: {part.sha2}"
                   "\r\n\r\n".encode(), part.content, b"\r\n"]
    chunks.append(f"--{boundary}--".encode())
    return b"".join(chunks), f"multipart/mixed; boundary={boundary}"
