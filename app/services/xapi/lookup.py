"""Find the learners and catalog entries that statements name, a batch at a time.

One query per kind of actor key and per catalog table, whatever the batch
size: a batch of 100 statements from one content package names few learners
and fewer activities.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import current_app
from sqlalchemy import or_, select

from app.domain.xapi import Activity, parse_default_iri
from app.extensions import db
from app.models import Assessment, Course, Module, Unit, User

KIND_MODELS: dict[str, Any] = {"course": Course, "unit": Unit, "module": Module,
                               "assessment": Assessment}


def public_url() -> str:
    return str(current_app.config["ACHIEVEMENTS_CONFIG"].PUBLIC_URL)


def learners(keys: Iterable[str | None]) -> dict[str, int]:
    """Actor key -> learner id, for the keys that name a stored user."""
    by_kind: dict[str, set[str]] = {"mbox": set(), "sha1": set(), "account": set()}
    for key in filter(None, keys):
        kind, _, value = key.partition(":")
        by_kind[kind].add(value)
    found: dict[str, int] = {}
    columns = {"mbox": User.email, "sha1": User.mbox_sha1sum}
    for kind, column in columns.items():
        if by_kind[kind]:
            rows = db.session.execute(select(User.id, column).where(column.in_(by_kind[kind])))
            found.update({f"{kind}:{value}": user_id for user_id, value in rows})
    ids = [int(value) for value in by_kind["account"] if int(value) < 2**31]
    if ids:
        query = select(User.id).where(User.id.in_(ids))
        found.update({f"account:{user_id}": user_id for user_id in db.session.scalars(query)})
    return found


def activities(iris: Iterable[str | None]) -> dict[str, Activity]:
    """Activity IRI -> catalog entry, by an entry's ``activity_id`` or our default IRI."""
    wanted = set(filter(None, iris))
    if not wanted:
        return {}
    defaults = {iri: parse_default_iri(public_url(), iri) for iri in wanted}
    found: dict[str, Activity] = {}
    for kind, model in KIND_MODELS.items():
        keys = {parsed[1]: iri for iri, parsed in defaults.items() if parsed and parsed[0] == kind}
        for row in db.session.execute(_entries(model, keys, wanted)):
            activity = Activity(kind, row.key, getattr(row, "max_score", None))
            if row.activity_id in wanted:
                found[row.activity_id] = activity
            if row.key in keys:
                found[keys[row.key]] = activity
    return found


def _entries(model: Any, keys: dict[str, str], iris: set[str]) -> Any:
    columns = [model.key, model.activity_id]
    if model is Assessment:
        columns.append(Assessment.max_score)
    matches = [model.activity_id.in_(iris)]
    if keys:
        matches.append(model.key.in_(keys))
    return select(*columns).where(or_(*matches))
