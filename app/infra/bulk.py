"""PostgreSQL fast paths: many award or counter rows in ONE statement and ONE parameter.

A multi-row VALUES insert makes psycopg parse a statement whose text grows
with the row count (SQLAlchemy's insertmanyvalues), and array parameters are
adapted element by element in Python; one JSON document expanded by
``jsonb_to_recordset`` keeps both the statement and the client work constant
(the C json encoder does the rest), so the work happens on the server. Used by
live detection and backfill alike on PostgreSQL, as plain SQL in the session's
transaction (``app.infra.sql.in_session``); other databases take the portable
path in ``awards``/``stats``.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from psycopg.sql import Literal

from app.infra.sql import in_session

# The rows really inserted are counted as holders by the same statement (one round trip,
# one snapshot), per key in key order, as ``stats.add_holders`` does: no deadlock.
_INSERT_AWARDS = """
WITH inserted AS (
  INSERT INTO achievements (user_id, achievement_type, dedupe_key, title, description,
                            earned_at, metadata, source_event_id, silent, public_id)
  SELECT u, t, k, ti, d, %(earned_at)s, m, e, %(silent)s, p
  FROM jsonb_to_recordset(CAST(%(rows)s AS jsonb)) AS x(u integer, t text, k text, ti text,
                                                    d text, m jsonb, e integer, p text)
  ON CONFLICT (user_id, dedupe_key) DO NOTHING
  RETURNING id, user_id, dedupe_key, achievement_type),
holders AS (
  INSERT INTO achievement_stats (dedupe_key, achievement_type, holders)
  SELECT dedupe_key, min(achievement_type), count(*) FROM inserted
  GROUP BY dedupe_key ORDER BY dedupe_key
  ON CONFLICT (dedupe_key) DO UPDATE SET holders = achievement_stats.holders + EXCLUDED.holders)
SELECT id, user_id, dedupe_key, achievement_type FROM inserted
"""

_UPSERT_HOLDERS = """
INSERT INTO achievement_stats (dedupe_key, achievement_type, holders)
SELECT k, t, GREATEST(n, 0)
FROM jsonb_to_recordset(CAST(%(rows)s AS jsonb)) AS x(k text, t text, n integer)
ON CONFLICT (dedupe_key) DO UPDATE SET holders = achievement_stats.holders + EXCLUDED.holders
"""


def insert_awards_pg(rows: Sequence[dict[str, Any]]) -> list[tuple[int, int, str, str]]:
    """Insert award rows (same earned_at and silence) and count their holders; returns the
    rows inserted (those already held are skipped and not counted)."""
    first = rows[0]
    payload = json.dumps([{"u": r["user_id"], "t": r["achievement_type"], "k": r["dedupe_key"],
                           "ti": r["title"], "d": r["description"], "m": r["metadata"],
                           "e": r["source_event_id"], "p": r["public_id"]} for r in rows])
    params = {"rows": payload, "earned_at": first["earned_at"], "silent": first["silent"]}
    return in_session(_INSERT_AWARDS, params)


def upsert_holders_pg(counts: Sequence[tuple[str, str, int]]) -> None:
    """Add holder deltas per (key, type, delta); rows go in the caller's (sorted) order.

    On a conflict the delta (not GREATEST) is added; GREATEST only guards a
    first row created by a negative delta, which cannot happen in practice.
    """
    payload = json.dumps([{"k": key, "t": kind, "n": n} for key, kind, n in counts])
    in_session(_UPSERT_HOLDERS, {"rows": payload})


_INSERT_AUDIT = """
INSERT INTO audit_events (at, actor, action, target_type, target, reason, details)
SELECT %(at)s, %(actor)s, %(action)s, %(target_type)s, x.target, %(reason)s, x.details
FROM jsonb_to_recordset(CAST(%(rows)s AS jsonb)) AS x(target text, details jsonb)
"""


def insert_audit_pg(common: dict[str, Any], entries: Sequence[tuple[str, dict[str, Any]]]
                    ) -> None:
    """Audit entries of one act (same time, actor, action, target type and reason) per
    ``(target, details)``: a badge given to 500 learners is one statement, not 500 rows
    adapted one by one (that took longer than storing the awards)."""
    payload = json.dumps([{"target": target, "details": details} for target, details in entries])
    in_session(_INSERT_AUDIT, {**common, "rows": payload})


# The channels are chosen by the insert itself (one round trip, not a read of the switches
# and subscriptions, then the insert): per cause, each offered channel that the learner's
# stored switch for the category turns on (no switch: the channel's default) and that can
# reach them (one needing a subscription: they have one). Email rows are due after the
# coalescing window, push rows at once (app.services.notifications). The channels come as
# arrays: ``unnest`` of a bound array is planned at its length, where ``jsonb_to_recordset``
# is guessed at 100 rows, and 100 x 100 guessed rows, each with its look-ups, priced the
# statement past ``jit_above_cost``: 11 ms of JIT compiling for a statement of 0.2 ms.
# The offered channels are written into the statement as constants, a VALUES list per
# combination (a handful: email configured or not, each channel's default): arrays bound
# as parameters are guessed at 100 rows by a generic plan and at their length by a custom
# one, so PostgreSQL planned the statement afresh on every pass (~0.25 ms of its CPU).
# With constants both plans agree and a connection plans it once.
_INSERT_NOTICES = """
WITH wanted AS (
  SELECT x.u, x.k, ch.c, x.ca, x.s, x.d, x.a
    FROM jsonb_to_recordset(CAST(%(rows)s AS jsonb)) AS x(u integer, k text, ca text, s integer,
                                                      d text, a jsonb)
   CROSS JOIN (VALUES {channels}) AS ch(c, on_by_default, needs_subscription)
   WHERE COALESCE((SELECT w.enabled FROM notification_switches w
                    WHERE w.user_id = x.u AND w.category = %(category)s AND w.channel = ch.c),
                  ch.on_by_default)
     AND (NOT ch.needs_subscription
          OR EXISTS (SELECT 1 FROM push_subscriptions p WHERE p.user_id = x.u))),
inserted AS (
  INSERT INTO notifications (user_id, kind, channel, cause, subject_id, detail, award_ids,
                             status, due_at, attempts, created_at)
  SELECT u, k, c, ca, s, d, CAST(a AS json), 'pending',
         CASE WHEN c = 'email' THEN %(email_due)s ELSE %(now)s END, 0, %(now)s
    FROM wanted
  ON CONFLICT (cause, channel, user_id) DO NOTHING
  RETURNING 1)
SELECT (SELECT count(*) FROM wanted), (SELECT count(*) FROM inserted)
"""

NoticeCause = tuple[int, str, str, int | None, str | None, list[int] | None]
Channel = tuple[str, bool, bool]  # name, on by default for the category, needs a subscription


@functools.cache
def notices_sql(channels: tuple[Channel, ...]) -> str:
    """:data:`_INSERT_NOTICES` offering these channels (at least one)."""
    rows = ", ".join(f"({Literal(name).as_string(None)}, {str(on).upper()}, {str(needs).upper()})"
                     for name, on, needs in channels)
    return _INSERT_NOTICES.replace("{channels}", rows)


def insert_notices_pg(causes: Sequence[NoticeCause], category: str,
                      channels: Sequence[Channel], now: datetime,
                      email_due: datetime) -> tuple[int, int]:
    """Outbox rows for causes ``(user_id, kind, cause, subject_id, detail, award_ids)`` of one
    ``category``, one per offered channel the learner wants and can receive, written at
    ``now`` unless their ``(cause, channel, user_id)`` is there already. Returns how many
    rows were wanted and how many went in."""
    if not channels:
        return 0, 0
    payload = json.dumps([{"u": u, "k": k, "ca": ca, "s": s, "d": d, "a": a}
                          for u, k, ca, s, d, a in causes])
    [(wanted, inserted)] = in_session(notices_sql(tuple(channels)), {
        "rows": payload, "category": category, "now": now, "email_due": email_due})
    return int(wanted), int(inserted)
