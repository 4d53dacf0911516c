"""Evidence: why a badge given by hand was given, as both Open Badges versions carry it.

An award given by hand (``app.services.badges.by_hand``) records
``metadata["by_hand"] = {"by", "narrative", "evidence_url"}``. Its narrative and URL
are what a verifier should see next to the badge, so they leave the service as the
Assertion's ``evidence`` (2.0) and the credential's ``evidence`` (3.0). Who gave it
(``by``, possibly an email) stays inside: public documents never name staff by address.
Awards made by detection, or given by hand without a note, carry no evidence at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SAFE_SCHEMES = ("https://", "http://")  # never javascript:, data: ... on a public page


@dataclass(frozen=True)
class Evidence:
    narrative: str | None  # Markdown in both specifications; shown as plain text here
    url: str | None


def evidence_of(award_type: str, metadata: dict[str, Any] | None) -> Evidence | None:
    """The evidence an award carries: only a badge given by hand with a narrative or URL."""
    note = (metadata or {}).get("by_hand") if award_type == "badge" else None
    if not isinstance(note, dict):
        return None
    narrative = _text(note.get("narrative"))
    url = _text(note.get("evidence_url"))
    if url is not None and not url.lower().startswith(SAFE_SCHEMES):
        url = None
    return Evidence(narrative, url) if narrative or url else None


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def ob2_evidence(evidence: Evidence) -> list[dict[str, Any]]:
    """Open Badges 2.0 ``evidence``: Evidence objects (``id`` the URL, ``narrative``)."""
    return [{"type": "Evidence", **_fields(evidence)}]


def ob3_evidence(evidence: Evidence) -> list[dict[str, Any]]:
    """Open Badges 3.0 ``evidence``: a list of Evidence (``type`` is a list there)."""
    return [{"type": ["Evidence"], **_fields(evidence)}]


def _fields(evidence: Evidence) -> dict[str, str]:
    fields = {"id": evidence.url, "narrative": evidence.narrative}
    return {name: value for name, value in fields.items() if value}
