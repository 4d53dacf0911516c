"""Statement queries (xAPI 1.0.3, Communication 2.1.3): ``GET /xapi/statements`` with the
standard filters, newest stored first (``ascending`` turns it), a page at a time with a
``more`` link that carries the filters and a keyset cursor.

Filters match the keys stored with each statement (``app.domain.xapi_keys``), one indexed
lookup each; voided statements are never listed (``voidedStatementId`` fetches them). A
caller reads the statements it stored (a token with ``achievements:admin`` reads all): the
learners' emails in one LMS's statements are not another's business.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Select, and_, exists, or_, select

from app.domain.xapi_keys import agent_ifi, key
from app.errors import InvalidInput
from app.extensions import db
from app.models.xapi import XapiStatement, XapiStatementKey
from app.services.xapi.ingest import as_returned
from app.services.xapi.schema import invalid

MAX_PAGE = 100
FILTERS = frozenset({"agent", "verb", "activity", "registration", "related_activities",
                     "related_agents", "since", "until", "limit", "format", "attachments",
                     "ascending", "cursor"})


@dataclass(frozen=True)
class Page:
    statements: list[dict[str, Any]]
    more: str


def query_statements(args: Mapping[str, str], path: str, reader: str | None) -> Page:
    """One page of the statements matching ``args`` that ``reader`` stored (None: anyone's);
    ``path`` is where ``more`` points."""
    unknown = sorted(set(args) - FILTERS)
    if unknown:
        raise InvalidInput(f"unknown parameter {unknown[0]}",
                           fields={name: ["is not a statement query parameter"]
                                   for name in unknown})
    ascending = flag(args, "ascending")
    limit = _limit(args.get("limit"))
    query = _filtered(args).where(XapiStatement.voided_by.is_(None))
    if reader is not None:
        query = query.where(XapiStatement.source == reader)
    query = _after(query, args.get("cursor"), ascending)
    order = (XapiStatement.stored_at, XapiStatement.id)
    query = query.order_by(*(order if ascending else [column.desc() for column in order]))
    rows = db.session.scalars(query.limit(limit + 1)).all()
    more = ""
    if len(rows) > limit:
        rows = rows[:limit]
        cursor = _cursor(rows[-1])
        kept = {name: value for name, value in args.items() if name != "cursor"}
        more = f"{path}?{urlencode({**kept, 'cursor': cursor})}"
    return Page([as_returned(row) for row in rows], more)


def flag(args: Mapping[str, str], name: str) -> bool:
    value = args.get(name, "false")
    if value not in ("true", "false"):
        raise invalid(name, "must be true or false")
    return value == "true"


def _limit(value: str | None) -> int:
    if value is None:
        return MAX_PAGE
    if not value.isdigit():
        raise invalid("limit", "must be a whole number, 0 for the most a page holds")
    return min(int(value), MAX_PAGE) or MAX_PAGE


def _filtered(args: Mapping[str, str]) -> Select[tuple[XapiStatement]]:
    query = select(XapiStatement)
    wanted: list[list[str]] = []  # each filter: any of these keys
    if "agent" in args:
        wanted.append(_keys("agent", _agent(args["agent"]), flag(args, "related_agents")))
    if "verb" in args:
        wanted.append([key("verb", _iri(args["verb"], "verb"))])
    if "activity" in args:
        iri = _iri(args["activity"], "activity")
        wanted.append(_keys("activity", iri, flag(args, "related_activities")))
    if "registration" in args:
        wanted.append([key("registration", _uuid(args["registration"]))])
    for values in wanted:
        query = query.where(exists().where(XapiStatementKey.statement_id == XapiStatement.id,
                                           XapiStatementKey.key.in_(values)))
    if "since" in args:
        query = query.where(XapiStatement.stored_at > _time(args["since"], "since"))
    if "until" in args:
        query = query.where(XapiStatement.stored_at <= _time(args["until"], "until"))
    return query


def _keys(kind: str, value: str, related: bool) -> list[str]:
    return [key(kind, value), key(kind + "~", value)] if related else [key(kind, value)]


def _agent(text: str) -> str:
    try:
        agent = json.loads(text)
    except ValueError:
        agent = None
    ifi = agent_ifi(agent) if isinstance(agent, dict) else None
    if ifi is None:
        raise invalid("agent", "must be a JSON Agent or identified Group")
    return ifi


def _iri(text: str, name: str) -> str:
    scheme, colon, rest = text.partition(":")
    if not (colon and scheme[:1].isalpha() and rest) or any(ch.isspace() for ch in text):
        raise invalid(name, "must be an IRI")
    return text


def _uuid(text: str) -> str:
    try:
        return str(uuid.UUID(text))
    except ValueError as exc:
        raise invalid("registration", "must be a UUID") from exc


def _time(text: str, name: str) -> datetime:
    try:
        when = datetime.fromisoformat(text)
    except ValueError as exc:
        raise invalid(name, "must be an ISO 8601 timestamp") from exc
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _cursor(row: XapiStatement) -> str:
    text = f"{row.stored_at.isoformat()}|{row.id}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _after(query: Select[tuple[XapiStatement]], cursor: str | None,
           ascending: bool) -> Select[tuple[XapiStatement]]:
    if cursor is None:
        return query
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stored, ident = text.split("|")
        at = datetime.fromisoformat(stored)
    except (ValueError, UnicodeDecodeError, binascii.Error) as exc:
        raise invalid("cursor", "is not a cursor this service made") from exc
    if ascending:
        return query.where(or_(XapiStatement.stored_at > at,
                               and_(XapiStatement.stored_at == at, XapiStatement.id > ident)))
    return query.where(or_(XapiStatement.stored_at < at,
                           and_(XapiStatement.stored_at == at, XapiStatement.id < ident)))
