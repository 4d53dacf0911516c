"""The REST history read path: the PostgreSQL prepared statement returns exactly what
``list_achievements`` returns, and the hand-built JSON is byte for byte the schema's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from flask import Flask, jsonify
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.extensions import db
from app.models import Achievement
from app.read.history import (
    HistoryFilter,
    HistoryRow,
    Page,
    encode_cursor,
    list_achievements,
    list_history,
)
from app.read.shapes import award_as_dict
from app.services.accounts import create_token, create_user
from app.services.awarding.revocation import revoke_award
from app.web.api.achievements import page_response
from app.web.api.schemas import ACHIEVEMENT_TYPES, AchievementPage
from tests.web.conftest import award, utc

TYPES = ["module_complete", "unit_complete", "streak", "milestone"]


def seed_history(count: int = 30) -> tuple[int, list[int]]:
    """A learner with ``count`` awards of mixed types and days (two revoked), and a neighbour."""
    ann = create_user("ann@pg.example", "password123")
    bob = create_user("bob@pg.example", "password123")
    ids = []
    for i in range(count):
        stored = award(ann, f"k{i}", TYPES[i % len(TYPES)], earned_at=utc(2025, 1, 1 + i % 28))
        award(bob, f"k{i}", TYPES[i % len(TYPES)])
        ids.append(stored.id)
    for award_id in ids[3:5]:
        revoke_award(award_id, "test", "admin")
    db.session.commit()
    return ann.id, ids


FILTERS = [
    HistoryFilter(),
    HistoryFilter(types=["unit_complete"]),
    HistoryFilter(types=["streak", "milestone"]),
    HistoryFilter(since=utc(2025, 1, 5)),
    HistoryFilter(until=utc(2025, 1, 20)),
    HistoryFilter(types=["module_complete"], since=utc(2025, 1, 2), until=utc(2025, 1, 9)),
    HistoryFilter(since=datetime(2025, 1, 5, 3, tzinfo=timezone(timedelta(hours=5)))),
]


@pytest.mark.parametrize("filters", FILTERS)
@pytest.mark.parametrize("limit", [1, 7, 100])
def test_postgres_pages_equal_list_achievements(services_app: Flask, filters, limit) -> None:
    user_id, _ = seed_history()
    cursor: str | None = None
    while True:
        fast = list_history(user_id, filters, cursor, limit)
        slow = list_achievements(user_id, filters, cursor, limit)
        assert [tuple(row) for row in fast.items] == [tuple(row) for row in slow.items]
        assert fast.next_cursor == slow.next_cursor
        if (cursor := fast.next_cursor) is None:
            return


def test_postgres_rows_read_like_awards(services_app: Flask) -> None:
    user_id, ids = seed_history(3)
    assert db.session.connection().dialect.driver == "psycopg"  # the prepared-statement path
    row = list_history(user_id, HistoryFilter(), None, 1).items[0]
    assert row.id == ids[-1] and row.meta == {"key": "k2"} and row.earned_at.tzinfo == UTC


def test_postgres_cursor_beyond_integer_ids_is_a_page_not_an_error(services_app: Flask) -> None:
    user_id, ids = seed_history(3)
    page = list_history(user_id, HistoryFilter(), encode_cursor(2**40), 20)
    assert [row.id for row in page.items] == sorted(ids, reverse=True)


def test_postgres_api_walks_every_visible_award_once(services_app: Flask) -> None:
    user_id, ids = seed_history()
    headers = {"Authorization": f"Bearer {create_token('lms', ['achievements:read'])[1]}"}
    client, seen, cursor = services_app.test_client(), [], None
    while True:
        params = {"user_id": user_id, "limit": 4, **({"cursor": cursor} if cursor else {})}
        response = client.get("/api/v1/achievements", query_string=params, headers=headers)
        assert response.status_code == 200 and response.mimetype == "application/json"
        seen += [item["id"] for item in response.get_json()["items"]]
        if (cursor := response.get_json()["next_cursor"]) is None:
            break
    assert seen == sorted(set(ids) - set(ids[3:5]), reverse=True)


def test_postgres_read_inside_a_transaction_sees_its_writes(services_app: Flask) -> None:
    user_id = seed_history(2)[0]
    db.session.add(Achievement(user_id=user_id, achievement_type="streak", dedupe_key="streak:3",
                               title="3 days", meta={}))
    db.session.flush()  # uncommitted: only this transaction sees it
    page = list_history(user_id, HistoryFilter(), None, 20)
    assert len(page.items) == 3 and page.items[0].dedupe_key == "streak:3"
    db.session.rollback()


def test_postgres_pooled_read_hands_back_a_transactional_connection(services_app: Flask) -> None:
    user_id = seed_history(2)[0]
    db.session.remove()
    assert len(list_history(user_id, HistoryFilter(), None, 20).items) == 2  # pooled, autocommit
    db.session.add(Achievement(user_id=user_id, achievement_type="streak", dedupe_key="streak:7",
                               title="7 days", meta={}))
    db.session.flush()
    db.session.rollback()  # on the pooled connection: must undo, not have autocommitted
    assert len(list_history(user_id, HistoryFilter(), None, 20).items) == 2


def test_postgres_logged_in_learner_reads_own_history_only(services_app: Flask) -> None:
    user_id, ids = seed_history(3)
    client = services_app.test_client()
    login = client.post("/login", data={"email": "ann@pg.example", "password": "password123"})
    assert login.status_code == 302
    own = client.get("/api/v1/achievements")
    assert [item["id"] for item in own.get_json()["items"]] == sorted(ids, reverse=True)
    other = client.get("/api/v1/achievements", query_string={"user_id": user_id + 1})
    assert other.status_code == 403 and other.mimetype == "application/problem+json"


texts = st.text(max_size=30)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**53, 2**53) | st.floats(allow_nan=False) | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=8)
metadata = st.dictionaries(st.sampled_from(["days", "counter", "threshold", "title", "x"]),
                           json_values, max_size=4)
zones = st.sampled_from([UTC, timezone(timedelta(hours=-7)), timezone(timedelta(minutes=330))])
rows = st.builds(
    lambda i, uid, kind, key, title, text, earned, zone, meta, public_id, public: HistoryRow(
        i, uid, kind, key, title, text, earned.replace(tzinfo=zone), meta,
        None, False, None, None, None, None, public_id, public),
    st.integers(1, 2**31 - 1), st.integers(1, 2**31 - 1), st.sampled_from(ACHIEVEMENT_TYPES),
    texts, texts, texts, st.datetimes(), zones, st.none() | metadata, st.uuids().map(str),
    st.booleans())


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=st.lists(rows, max_size=5), cursor=st.none() | texts)
def test_json_is_the_schema_dump_byte_for_byte(app: Flask, items, cursor) -> None:
    with app.test_request_context():
        page = Page(items, cursor)
        fast = page_response(page)
        body = {"items": [award_as_dict(row) for row in items], "next_cursor": cursor}
        assert fast.get_data() == jsonify(AchievementPage().dump(body)).get_data()
        assert fast.status_code == 200 and fast.mimetype == "application/json"
