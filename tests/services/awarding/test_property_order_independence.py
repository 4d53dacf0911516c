"""Property: any shuffle and duplication of a progress history, recorded through the real
``record_progress`` path (SQLite, eager detection), yields exactly the awards of an
independent from-scratch recomputation of design section 2 written here.
"""

from __future__ import annotations

import itertools
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.services.accounts import create_user
from app.services.catalog import import_catalog
from tests.services.awarding.conftest import award_keys
from tests.services.awarding.histories import ZONES, catalogs, histories, record_shuffled
from tests.services.awarding.oracle import SMALL_RULES, Event, expected_awards

# ---- the property --------------------------------------------------------------------------

_users = itertools.count()


def feed(doc: dict[str, Any], events: list[Event], zone: str, seed: int) -> int:
    """Import the catalog, then record the events shuffled, with duplicates and replays."""
    import_catalog(doc)
    user = create_user(f"prop{next(_users)}-{uuid.uuid4().hex[:6]}@example.com", "password123",
                       "learner", zone)
    record_shuffled(user.id, events, seed)
    return user.id


@pytest.fixture
def small_rules(use_rules) -> dict[str, Any]:
    use_rules(SMALL_RULES)
    return SMALL_RULES


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data(), zone=st.sampled_from(ZONES), seed=st.integers(0, 2**16))
def test_awards_equal_the_from_scratch_recomputation(small_rules, data, zone, seed) -> None:
    doc = data.draw(catalogs())
    events = data.draw(histories(doc))
    user_id = feed(doc, events, zone, seed)
    assert award_keys(user_id) == expected_awards(doc, events, zone, small_rules)


@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data(), zone=st.sampled_from(ZONES))
def test_default_thresholds_match_too(app, data, zone) -> None:
    defaults = {"streak": {"thresholds": [3, 7, 14, 30, 60, 100, 365]},
                "milestone": {"modules": [1, 10, 25, 50, 100, 250, 500],
                              "courses": [1, 5, 10, 25]}}
    doc = data.draw(catalogs())
    events = data.draw(histories(doc))
    user_id = feed(doc, events, zone, seed=1)
    assert award_keys(user_id) == expected_awards(doc, events, zone, defaults)
