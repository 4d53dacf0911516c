"""GET /achievements reads a plain query string without webargs: the same dict the schema
loads, and anything it does not read in canonical form goes to the schema (errors included)."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from app.web.api.achievements import ACHIEVEMENT_QUERY
from app.web.api.schemas import ACHIEVEMENT_TYPES, MAX_ID, canonical_achievement_query

numbers = st.one_of(
    st.integers(-5, 2**32).map(str), st.sampled_from(["", " 3", "+3", "03", "3.0", "1e2", "٣"]),
    st.just(str(MAX_ID)), st.just(str(MAX_ID + 1)))
cursors = st.one_of(st.from_regex(r"[A-Za-z0-9_=-]{0,110}", fullmatch=True), st.text(max_size=8))
types = st.one_of(st.sampled_from(ACHIEVEMENT_TYPES), st.text(max_size=12))
pairs = st.lists(st.one_of(
    st.tuples(st.just("user_id"), numbers), st.tuples(st.just("limit"), numbers),
    st.tuples(st.just("cursor"), cursors), st.tuples(st.just("type"), types),
    st.tuples(st.sampled_from(["since", "until", "other"]), st.just("2025-01-01T00:00:00Z"))),
    max_size=6)


def schema_load(lists: dict[str, list[str]]) -> dict | None:
    """What webargs hands the view for this query (unknown keys excluded), or None on a 422."""
    data = {key: (values if key == "type" else values[0]) for key, values in lists.items()
            if key in ACHIEVEMENT_QUERY.fields}
    try:
        return ACHIEVEMENT_QUERY.load(data)
    except ValidationError:
        return None


@settings(max_examples=500, deadline=None, suppress_health_check=list(HealthCheck))
@given(pairs)
def test_canonical_reading_equals_the_schema_or_defers(query) -> None:
    lists: dict[str, list[str]] = {}
    for key, value in query:
        lists.setdefault(key, []).append(value)
    fast = canonical_achievement_query(lists)
    assert fast is None or fast == schema_load(lists)


@pytest.mark.parametrize("query", [
    {}, {"user_id": ["7"]}, {"user_id": ["7"], "limit": ["100"], "type": ["streak", "milestone"]},
    {"cursor": ["djE6MTIzNDU"], "limit": ["1"]}, {"user_id": [str(MAX_ID)]},
])
def test_plain_queries_take_the_fast_path(query) -> None:
    assert canonical_achievement_query(query) == schema_load(query)


@pytest.mark.parametrize("query", [
    {"since": ["2025-01-01T00:00:00Z"]}, {"user_id": ["7", "8"]}, {"limit": ["0"]},
    {"limit": ["101"]}, {"type": ["nope"]}, {"cursor": [""]}, {"user_id": ["+7"]}, {"x": ["1"]},
])
def test_anything_else_is_left_to_the_schema(query) -> None:
    assert canonical_achievement_query(query) is None


@pytest.mark.parametrize(("query", "field"), [
    ("user_id=1&limit=0", "limit"), ("user_id=1&limit=101", "limit"),
    ("user_id=1&type=nope", "type"), ("user_id=abc", "user_id"), ("user_id=0", "user_id"),
    ("user_id=1&since=yesterday", "since"),
])
def test_invalid_queries_are_still_problem_422(client, bearer, query, field) -> None:
    response = client.get(f"/api/v1/achievements?{query}", headers=bearer)
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert field in str(response.get_json())


def test_unknown_keys_are_ignored_as_before(app: Flask, client, bearer, learner) -> None:
    query = urlencode({"user_id": learner.id, "other": "1"})
    response = client.get(f"/api/v1/achievements?{query}", headers=bearer)
    assert response.status_code == 200 and response.get_json() == {"items": [], "next_cursor": None}
