"""Reading awards: keyset-paginated history and single awards, revoked ones hidden unless
asked for (a learner still sees their own revoked award's page, and history can show
revoked ones with a filter)."""

from __future__ import annotations

import base64
import binascii
from collections import namedtuple
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Integer, Select, String, any_, bindparam, inspect, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import psycopg as postgresql_psycopg

from app.errors import InvalidInput, NotFound
from app.extensions import db
from app.infra.sql import fetch_all, on_postgresql
from app.models import Achievement, User

MAX_LIMIT = 100
# Every mapped column under its attribute name (``meta``, not ``metadata``): a history
# row reads like an Achievement (award_as_dict, templates) without ORM entity loading,
# which cost more per page than the keyset query itself.
AWARD_COLUMNS = tuple(getattr(Achievement, column.key)
                      for column in inspect(Achievement).column_attrs)


@dataclass(frozen=True)
class Page:
    items: list[Any]  # read-only rows with Achievement's attributes
    next_cursor: str | None
    learner_name: str | None = None  # history_versions on PostgreSQL: "" when unset


@dataclass(frozen=True)
class HistoryFilter:
    types: Sequence[str] = ()
    since: datetime | None = None
    until: datetime | None = None
    after_id: int | None = None
    include_revoked: bool = False


def encode_cursor(award_id: int) -> str:
    return base64.urlsafe_b64encode(f"v1:{award_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        version, value = raw.split(":", 1)
        award_id = int(value)
        if version != "v1" or not 0 < award_id < 2**63:
            raise ValueError(version)
        return award_id
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidInput("cursor is not valid", fields={"cursor": ["invalid"]}) from exc


def read_without_transaction() -> None:
    """Run this request's reads on PostgreSQL in autocommit: no BEGIN and ROLLBACK round trips.

    Call it first thing in a read-only request (REST GET, gRPC read RPC). Each
    statement already sees its own snapshot under READ COMMITTED, so results
    are the same; a ListAchievements call goes from three round trips to one.
    Does nothing when the session already began a transaction (a token or
    login lookup ran first) or on SQLite. Never use it before a write: each
    statement would commit on its own.
    """
    session = db.session()
    if session.in_transaction() or session.get_bind().dialect.name != "postgresql":
        return
    session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def visible(user_id: int) -> Select[tuple[Achievement]]:
    """A learner's awards as they may see them: revoked ones are hidden."""
    return select(Achievement).where(*_seen_by(user_id))


def _seen_by(user_id: Any, include_revoked: bool = False) -> tuple[Any, ...]:
    if include_revoked:
        return (Achievement.user_id == user_id,)
    return Achievement.user_id == user_id, Achievement.revoked_at.is_(None)


def check_limit(limit: int) -> None:
    """A page holds 1..``MAX_LIMIT`` awards, whichever read path serves it."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be 1..{MAX_LIMIT}", fields={"limit": ["out of range"]})


def list_achievements(user_id: int, filters: HistoryFilter, cursor: str | None = None,
                      limit: int = 20) -> Page:
    """Newest first by award id; the cursor is the last id seen, so inserts never shift pages."""
    check_limit(limit)
    rows = list(db.session.execute(history_query(user_id, filters, cursor, limit + 1)))
    more = len(rows) > limit
    items = rows[:limit]
    return Page(items, encode_cursor(items[-1].id) if more and items else None)


def history_query(user_id: int, filters: HistoryFilter, cursor: str | None,
                  limit: int) -> Select[Any]:
    """The keyset query; on PostgreSQL REST runs it as ``history_statement`` (see below)."""
    query = _filtered(select(*AWARD_COLUMNS).where(*_seen_by(user_id, filters.include_revoked)),
                      filters)
    if cursor:
        query = query.where(Achievement.id < decode_cursor(cursor))
    return query.order_by(Achievement.id.desc()).limit(limit)


def _filtered(query: Select[Any], f: HistoryFilter) -> Select[Any]:
    if f.types:
        query = query.where(Achievement.achievement_type.in_(list(f.types)))
    if f.since is not None:
        query = query.where(Achievement.earned_at >= f.since)
    if f.until is not None:
        query = query.where(Achievement.earned_at < f.until)
    if f.after_id is not None:
        query = query.where(Achievement.id > f.after_id)
    return query


def get_readable_achievement(award_id: int, may_read: Callable[[int], bool],
                             owner: int | None = None) -> Achievement:
    """An unrevoked award whose learner the caller may read, or a revoked one of ``owner``
    (its learner keeps it, with the date and reason); any other id is not found, so
    guessing ids reveals nothing about other learners."""
    award = None
    if 0 < award_id < 2**63:
        award = db.session.scalar(select(Achievement).where(Achievement.id == award_id))
    if award is not None and award.revoked_at is not None and award.user_id != owner:
        award = None
    if award is None or not may_read(award.user_id):
        raise NotFound(f"no achievement {award_id}")
    return award


def get_achievement(user_id: int, award_id: int, include_revoked: bool = False) -> Achievement:
    """One of the learner's awards (revoked ones too, when asked: its learner keeps its
    page); another learner's id is simply not found."""
    query = select(Achievement).where(*_seen_by(user_id, include_revoked),
                                      Achievement.id == award_id)
    award = db.session.scalar(query)
    if award is None:
        raise NotFound(f"no achievement {award_id}")
    return award


def awards_after(user_id: int | None, after_id: int, limit: int = 500) -> list[Any]:
    """Live (non-silent, unrevoked) awards after ``after_id``, oldest first: the replay
    (rows with Achievement's attributes). On psycopg one prepared statement per feed
    shape on the read pool, as :func:`list_history`: an SSE stream replays on every award
    it is told of, and the ORM's session, BEGIN and ROLLBACK around the SELECT cost the
    web process more than the read itself."""
    params = {"after_id": after_id, "limit": limit}
    if user_id is not None:
        params["user_id"] = user_id
    if db.engine.dialect.driver != "psycopg":
        query = _awards_after(user_id).order_by(Achievement.id).limit(limit)
        return list(db.session.scalars(query, params))
    sql = _AFTER_SQL.get(user_id is None) or _AFTER_SQL.setdefault(
        user_id is None, str(_awards_after(user_id, AWARD_COLUMNS).order_by(Achievement.id)
                             .limit(bindparam("limit", type_=Integer)).compile(dialect=_PG)))
    return [_history_row(tuple(row)) for row in fetch_rows(sql, params)]


def _awards_after(user_id: int | None, columns: Sequence[Any] = (Achievement,)) -> Select[Any]:
    query = select(*columns).where(Achievement.id > bindparam("after_id", type_=BigInteger),
                                   Achievement.silent.is_(False),
                                   Achievement.revoked_at.is_(None))
    if user_id is not None:
        query = query.where(Achievement.user_id == bindparam("user_id", type_=Integer))
    return query


# PostgreSQL read path for REST history and gRPC ListAchievements (``raw_sql.history_ids``);
# ``list_achievements`` is the reference they are tested against.
# Building and compiling ``history_query`` and the ORM execution around it cost more per
# request than the keyset query itself. Here each filter shape is compiled once, with
# named parameters (the type list as one array), and run on the session's own psycopg
# connection with ``prepare=True``: no SQL is built per request and the server plans
# each shape once per connection. Rows get the same result processing SQLAlchemy applies.

HistoryRow = namedtuple("HistoryRow", [column.key for column in AWARD_COLUMNS])  # type: ignore[misc]
_PG = postgresql_psycopg.dialect()
_PROCESSORS = [(index, processor) for index, column in enumerate(AWARD_COLUMNS)
               if (processor := column.type.dialect_impl(_PG).result_processor(_PG, None))]
_OPTIONAL = ("type", "types", "since", "until", "after_id", "before_id")
_HISTORY_SQL: dict[tuple[bool, ...], str] = {}
_AFTER_SQL: dict[bool, str] = {}  # awards_after's SQL, by "every learner's feed"


def history_statement(user_id: int, filters: HistoryFilter, cursor: str | None,
                      limit: int, ids_only: bool = False) -> tuple[str, dict[str, Any]]:
    """``history_query`` as SQL text and parameters for psycopg (bench/history.py's baseline).

    ``ids_only`` selects just the award ids and sharing flags (gRPC keeps built messages
    per award and flag).
    """
    kinds = list(filters.types)
    values = {"type": kinds[0] if len(kinds) == 1 else None,
              "types": kinds if len(kinds) > 1 else None, "since": filters.since,
              "until": filters.until, "after_id": filters.after_id,
              "before_id": decode_cursor(cursor) if cursor else None}
    shape = (*(values[name] is not None for name in _OPTIONAL), ids_only)
    sql = _HISTORY_SQL.get(shape) or _HISTORY_SQL.setdefault(shape, _compile_history(shape))
    params = {name: value for name, value in values.items() if value is not None}
    return sql, {"user_id": user_id, "limit": limit, **params}


# The learner's display name on every row of an ids-only page (an uncorrelated subquery:
# PostgreSQL runs it once), so gRPC names the learner without a second round trip.
_LEARNER_NAME = select(User.display_name).where(User.id == bindparam("user_id")).scalar_subquery()


def _compile_history(shape: tuple[bool, ...]) -> str:
    one_type, types, since, until, after_id, before_id, ids_only = shape
    a = Achievement
    columns = [a.id, a.public, _LEARNER_NAME] if ids_only else AWARD_COLUMNS
    query = select(*columns).where(*_seen_by(bindparam("user_id")))  # type: ignore[arg-type]
    if one_type:  # "=", not "= ANY": the (user_id, type, id) index then yields id order
        query = query.where(a.achievement_type == bindparam("type", type_=String))
    if types:
        query = query.where(a.achievement_type == any_(bindparam("types", type_=ARRAY(String))))
    if since:
        query = query.where(a.earned_at >= bindparam("since"))
    if until:
        query = query.where(a.earned_at < bindparam("until"))
    if after_id:
        query = query.where(a.id > bindparam("after_id", type_=BigInteger))
    if before_id:  # BIGINT: a cursor may name any id below 2**63 (int4 < int8 uses the index)
        query = query.where(a.id < bindparam("before_id", type_=BigInteger))
    query = query.order_by(a.id.desc()).limit(bindparam("limit", type_=Integer))
    return str(query.compile(dialect=_PG))


def list_history(user_id: int, filters: HistoryFilter, cursor: str | None = None,
                 limit: int = 20) -> Page:
    """:func:`list_achievements`, the same rows and cursor; on psycopg one prepared statement
    per filter shape (see above), elsewhere exactly ``list_achievements``.

    Outside a session transaction the read runs on the process's read pool in
    autocommit (``app.infra.sql.fetch_all``): no Session, no BEGIN/ROLLBACK. Inside
    one (a token or user was just loaded, or the caller wrote) it reads through it.
    """
    if db.engine.dialect.driver != "psycopg" or filters.include_revoked:
        return list_achievements(user_id, filters, cursor, limit)
    check_limit(limit)
    sql, params = history_statement(user_id, filters, cursor, limit + 1)
    rows = [_history_row(tuple(row)) for row in fetch_rows(sql, params)]
    items = rows[:limit]
    return Page(items, encode_cursor(items[-1].id) if len(rows) > limit and items else None)


def fetch_rows(sql: str, params: dict[str, Any]) -> list[Any]:
    """Rows of a psycopg statement: through the session's transaction when one is open
    (it sees that transaction's writes), else on the read pool in autocommit."""
    if db.session.registry.has() and db.session().in_transaction():
        return list(db.session.connection().exec_driver_sql(sql, params))
    return fetch_all(sql, params)


def _history_row(values: tuple[Any, ...]) -> Any:
    processed = list(values)
    for index, processor in _PROCESSORS:
        if processed[index] is not None:  # every processor here maps None to None
            processed[index] = processor(processed[index])
    return HistoryRow._make(processed)


def history_ids(user_id: int, filters: HistoryFilter, cursor: str | None = None,
                limit: int = 20) -> Page:
    """:func:`~app.read.history.list_achievements` as award ids (newest first)."""
    page = history_versions(user_id, filters, cursor, limit)
    return Page([award_id for award_id, _ in page.items], page.next_cursor)


def history_versions(user_id: int, filters: HistoryFilter, cursor: str | None = None,
                     limit: int = 20) -> Page:
    """:func:`~app.read.history.list_achievements` as ``(id, public)`` pairs, newest first.

    What an award shows changes only when its learner shares or unshares it
    (revocation the query filters), so a transport may keep each award's
    message per ``(id, public)`` and ask only for these pairs.
    """
    if not on_postgresql() or filters.include_revoked:
        page = list_achievements(user_id, filters, cursor, limit)
        return Page([(row.id, row.public) for row in page.items], page.next_cursor)
    check_limit(limit)
    sql, params = history_statement(user_id, filters, cursor, limit + 1, ids_only=True)
    rows = fetch_all(sql, params)
    pairs = [(row[0], row[1]) for row in rows[:limit]]
    return Page(pairs, encode_cursor(pairs[-1][0]) if len(rows) > limit and pairs else None,
                (rows[0][2] or "") if rows else None)


def awards_by_ids(ids: Sequence[int]) -> list[Any]:
    """Award rows (``AWARD_COLUMNS``, readable by ``award_as_dict``) for these ids, any order."""
    if not ids:
        return []
    return list(db.session.execute(select(*AWARD_COLUMNS).where(Achievement.id.in_(list(ids)))))
