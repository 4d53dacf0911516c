"""Property: any shuffle and duplication of a progress history, recorded through the real
``record_progress`` path (SQLite, eager detection), yields exactly the awards of an
independent from-scratch recomputation of design section 2 written here.
"""

from __future__ import annotations

import itertools
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.services.accounts import create_user
from app.services.catalog import import_catalog
from tests.services.awarding.conftest import award_keys, record
from tests.services.awarding.oracle import Event, expected_awards, leaves

ZONES = ["UTC", "Europe/Berlin", "America/Los_Angeles", "Pacific/Auckland", "Asia/Kolkata"]
MAX_SCORES = [1, 3, 10, 7.5, 30]
SMALL_RULES = {"streak": {"thresholds": [2, 3, 5]},
               "milestone": {"modules": [1, 2, 4, 7], "courses": [1, 2]}}
EPOCH = datetime(2024, 3, 25, tzinfo=UTC)  # spans the European DST change


# ---- generated inputs ---------------------------------------------------------------------

@st.composite
def assessments(draw: st.DrawFn, prefix: str, count: int) -> list[dict[str, Any]]:
    return [{"key": f"{prefix}-a{i}", "title": f"A {prefix} {i}",
             "max_score": draw(st.sampled_from(MAX_SCORES)), "required": draw(st.booleans()),
             "pass_ratio": draw(st.sampled_from([0.5, 0.6, 0.9, 1.0]))}
            for i in range(count)]


@st.composite
def catalogs(draw: st.DrawFn) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:6]
    courses = []
    for c in range(draw(st.integers(1, 2))):
        ck = f"{tag}c{c}"
        units = []
        for u in range(draw(st.integers(0, 2))):
            uk = f"{ck}u{u}"
            modules = [{"key": f"{uk}m{m}", "title": f"M {m}",
                        "assessments": draw(assessments(f"{uk}m{m}", draw(st.integers(0, 1))))}
                       for m in range(draw(st.integers(0, 3)))]
            units.append({"key": uk, "title": f"U {u}", "modules": modules,
                          "assessments": draw(assessments(uk, draw(st.integers(0, 1))))})
        courses.append({"key": ck, "title": f"C {c}", "units": units,
                        "assessments": draw(assessments(ck, draw(st.integers(0, 1))))})
    return {"courses": courses}


@st.composite
def histories(draw: st.DrawFn, doc: dict[str, Any]) -> list[Event]:
    modules, maxima = leaves(doc)
    kinds = ["activity"] + (["module_completed"] * 2 if modules else []) + (
        ["assessment_scored"] * 2 if maxima else [])
    events = []
    for _ in range(draw(st.integers(0, 14))):
        when = EPOCH + timedelta(hours=draw(st.integers(0, 24 * 8)),
                                 minutes=draw(st.sampled_from([0, 29, 30, 59])))
        kind = draw(st.sampled_from(kinds))
        if kind == "module_completed":
            events.append(Event(kind, when, module=draw(st.sampled_from(modules))))
        elif kind == "assessment_scored":
            key = draw(st.sampled_from(sorted(maxima)))
            top = maxima[key]
            score = draw(st.sampled_from([0, top * 0.5, top * 0.6, top * 0.9, top - 0.01, top]))
            events.append(Event(kind, when, assessment=key, score=max(score, 0)))
        else:
            events.append(Event(kind, when))
    return events


# ---- the property --------------------------------------------------------------------------

_users = itertools.count()


def feed(doc: dict[str, Any], events: list[Event], zone: str, seed: int) -> int:
    """Import the catalog, then record the events shuffled, with duplicates and replays."""
    import_catalog(doc)
    user = create_user(f"prop{next(_users)}-{uuid.uuid4().hex[:6]}@example.com", "password123",
                       "learner", zone)
    rng = random.Random(seed)
    keyed = [(f"e{i}", e) for i, e in enumerate(events)]
    keyed += [(f"dup{i}", e) for i, e in enumerate(rng.sample(events, len(events) // 3))]
    keyed += rng.sample(keyed, len(keyed) // 4)  # the same idempotency key sent again
    rng.shuffle(keyed)
    for key, e in keyed:
        record(user, e.kind, e.when, key=key, module=e.module, assessment=e.assessment,
               score=e.score)
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
