"""Take statements in: validate, store all or none, then record the events they become.

The statement id is the idempotency key: the same id with the same statement
stores nothing new, with another statement it is a 409. An array is checked
whole (schema, cross-field rules, attachments and signatures) before anything is
written, and stored in one transaction with its attachments, its query keys and the
voiding it does. Each stored statement becomes at most one progress event, recorded
after that commit through ``app.services.recording`` (detection, the outbox and the
gate as for any event); one left ``due`` by a crash in between is recorded by the sweep.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from app.domain.xapi import StatementError, fingerprint, occurred_at
from app.domain.xapi_rules import check_rules, normalized
from app.errors import Conflict, InvalidInput
from app.extensions import db
from app.models.types import utcnow
from app.models.xapi import DUE, XapiStatement
from app.services.recording.facts import time_errors
from app.services.xapi.attachments import check_parts, store_parts
from app.services.xapi.keys import store_keys
from app.services.xapi.lookup import activities, learners, public_url
from app.services.xapi.multipart import Part
from app.services.xapi.plan import Pending, Plan, keys_of, plan, record_events
from app.services.xapi.schema import check_statements, invalid
from app.services.xapi.voiding import mark_voided, voids, withdraw_events


@dataclass(frozen=True)
class Incoming:
    """A checked statement, ready to store (``body`` normalized, ``sent`` as received);
    ``at`` labels it in errors (``$[3]``)."""

    id: str
    body: dict[str, Any]
    sent: dict[str, Any]
    hash: str
    actor_key: str | None
    iri: str | None
    occurred_at: datetime | None
    at: str


def store_statements(statements: list[Any], source: str, *, in_array: bool,
                     statement_id: str | None = None, parts: list[Part] | None = None
                     ) -> list[str]:
    """Store ``statements`` from the caller ``source`` (all or none); their ids, in order.

    ``statement_id`` is the id a PUT names (the body may repeat it, never contradict it);
    ``parts`` are the attachment parts of a multipart/mixed request (None: a JSON body).
    """
    check_statements(statements, in_array)
    authority = caller_authority(source)
    incoming = [_incoming(body, f"$[{i}]" if in_array else "$", statement_id, authority)
                for i, body in enumerate(statements)]
    _unique_ids(incoming)
    attached = check_parts([(item.at, item.sent) for item in incoming], parts)
    plans = _plans(incoming)
    stored_at = utcnow()
    fresh, voided = _store(incoming, plans, source, stored_at, attached)
    record_events([_pending(item, plans[item.id], source, stored_at) for item in incoming
                   if item.id in fresh and item.id not in voided
                   and plans[item.id].state == DUE])
    withdraw_events(voided)
    return [item.id for item in incoming]


def caller_authority(source: str) -> dict[str, Any]:
    """The Agent a caller's statements are asserted by when they name no authority."""
    return {"objectType": "Agent", "account": {"homePage": public_url(), "name": source}}


def _incoming(body: dict[str, Any], at: str, statement_id: str | None,
              authority: dict[str, Any]) -> Incoming:
    given = body.get("id")
    if statement_id is not None and given is not None and given.lower() != statement_id:
        raise invalid(f"{at}.id", "differs from the statementId parameter")
    ident = (given or statement_id or str(uuid.uuid4())).lower()
    try:
        check_rules(body)
    except StatementError as exc:
        raise invalid(at + exc.field[1:], exc.message) from exc
    sent = {**body, "id": ident}
    stored = normalized(sent, authority)
    actor, iri = keys_of(stored)
    when = _occurred_at(stored, at)
    return Incoming(ident, stored, sent, fingerprint(stored), actor, iri, when, at)


def _occurred_at(body: dict[str, Any], at: str) -> datetime | None:
    """When the event happened; a timestamp in the future (xAPI allows one) counts as now."""
    try:
        when = occurred_at(body)
    except StatementError as exc:
        raise invalid(at + exc.field[1:], exc.message) from exc
    if when is None or when > utcnow():
        return None
    if errors := time_errors(when):
        raise invalid(f"{at}.timestamp", next(iter(errors.values()))[0])
    return when


def _unique_ids(incoming: list[Incoming]) -> None:
    seen: set[str] = set()
    for item in incoming:
        if item.id in seen:
            raise invalid(f"{item.at}.id", "repeats the id of another statement in the array")
        seen.add(item.id)


def _plans(incoming: list[Incoming]) -> dict[str, Plan]:
    users = learners(item.actor_key for item in incoming)
    found = activities(item.iri for item in incoming)
    plans = {}
    for item in incoming:
        try:
            plans[item.id] = plan(item.body, users.get(item.actor_key or ""), item.iri, found)
        except StatementError as exc:
            raise invalid(item.at + exc.field[1:], exc.message) from exc
    return plans


def _store(incoming: list[Incoming], plans: dict[str, Plan], source: str,
           stored_at: datetime, attached: list[Part]) -> tuple[set[str], set[str]]:
    """Insert the statements not stored yet, with their keys and attachments, and void what
    they void, in one transaction; ``(their ids, the ids voided now)``.

    A concurrent request storing one of the ids first makes the insert fail:
    the whole batch is then checked again against what that request stored.
    """
    for _attempt in range(2):
        fresh = _new_ids(incoming)
        new = [item for item in incoming if item.id in fresh]
        try:
            if new:
                db.session.execute(insert(XapiStatement),
                                   [_row(item, plans[item.id], source, stored_at, index)
                                    for index, item in enumerate(new)])
                store_keys({item.id: item.body for item in new})
            store_parts(attached)
            voided = mark_voided({target: item.id for item in new
                                  if (target := voids(item.body)) is not None}, source)
            db.session.commit()
            return fresh, voided
        except IntegrityError:
            db.session.rollback()
    raise Conflict("statements with these ids are being stored concurrently; retry")


def _new_ids(incoming: list[Incoming]) -> set[str]:
    """Ids not stored yet; a stored id with another statement is a 409 for the whole batch."""
    ids = [item.id for item in incoming]
    query = select(XapiStatement.id, XapiStatement.body_hash).where(XapiStatement.id.in_(ids))
    stored = {ident: digest for ident, digest in db.session.execute(query)}
    for item in incoming:
        if item.id in stored and stored[item.id] != item.hash:
            db.session.rollback()
            raise Conflict(f"statement {item.id} was already stored with other content",
                           fields={f"{item.at}.id": ["already stored with other content"]})
    return set(ids) - set(stored)


def _row(item: Incoming, step: Plan, source: str, stored_at: datetime,
         index: int) -> dict[str, Any]:
    """A batch's statements are stored a microsecond apart, in their order: queries and late
    matching (both by ``stored_at``) then see them as sent."""
    return {"id": item.id, "body": item.body, "body_hash": item.hash, "source": source,
            "actor_key": item.actor_key, "activity_iri": item.iri, "state": step.state,
            "progress_event_id": None, "note": step.note,
            "stored_at": stored_at + timedelta(microseconds=index)}


def _pending(item: Incoming, step: Plan, source: str, stored_at: datetime) -> Pending:
    assert step.user_id is not None and step.event is not None
    return Pending(item.id, source, item.occurred_at or stored_at, step.user_id, step.event)


def get_statement(statement_id: str, *, voided: bool = False,
                  reader: str | None = None) -> dict[str, Any] | None:
    """The statement as stored, plus the ``id``, ``stored`` (and ``timestamp`` when it had
    none) an LRS sets; None if unknown. A voided statement is found only with ``voided``,
    and only a voided one then (``voidedStatementId``). ``reader`` (a caller key) sees only
    the statements it stored; None sees all."""
    row = db.session.get(XapiStatement, statement_id.lower())
    if row is None or (row.voided_by is not None) != voided:
        return None
    if reader is not None and row.source != reader:
        return None
    return as_returned(row)


def as_returned(row: XapiStatement) -> dict[str, Any]:
    stored = row.stored_at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {"timestamp": stored, **row.body, "id": row.id, "stored": stored}


def check_statement_id(value: str | None) -> str:
    """A ``statementId`` parameter as stored (lowercase); 400 unless it is a UUID."""
    try:
        return str(uuid.UUID(value or ""))
    except ValueError as exc:
        raise InvalidInput("statementId must be a UUID",
                           fields={"statementId": ["must be a UUID"]}) from exc
