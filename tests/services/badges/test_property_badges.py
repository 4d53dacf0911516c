"""Property: random criteria trees over random histories, recorded through the real
``record_progress`` path shuffled with duplicates and replays, award exactly the badges
the reference evaluation written from the design text says (tests/services/badges/oracle.py).

Each example creates 1-4 badges over a fresh random catalog: later ones may hold earlier
ones (so ``holds`` chains but never cycles); each is published before the learner's events
arrive (live detection), after them (the publish's backfill), or left a draft (awards
nothing, and a ``holds`` of it never holds). The example's badges are archived at its end
so the next example's learner is judged by its own badges only.
"""

from __future__ import annotations

import itertools
import uuid
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from app.services.accounts import create_user
from app.services.accounts.principal import Principal
from app.services.badges import archive_badge, create_badge, publish_badge
from app.services.catalog import import_catalog
from tests.services.awarding.conftest import award_keys
from tests.services.awarding.histories import ZONES, catalogs, histories, record_shuffled
from tests.services.awarding.oracle import SMALL_RULES, leaves
from tests.services.badges.oracle import expected_with_badges

ADMIN = Principal(kind="admin", id=0, name="test")
RATIOS = [0.3, 0.5, 0.6, 0.9, 1.0]
LEVELS = ["streak:2", "streak:3", "streak:4", "milestone:modules:1", "milestone:modules:2",
          "milestone:courses:1"]  # streak:4 is a valid key no rule awards under SMALL_RULES
WHEN = ["before", "after", "draft"]
SETTINGS = settings(deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])
_users = itertools.count()


# ---- generated criteria --------------------------------------------------------------------

def award_keys_of(doc: dict[str, Any]) -> list[str]:
    """Built-in dedupe keys this catalog can make, and the level keys."""
    modules, maxima = leaves(doc)
    units = [u["key"] for c in doc["courses"] for u in c["units"]]
    return ([f"module_complete:{m}" for m in modules] + [f"unit_complete:{u}" for u in units]
            + [f"course_complete:{c['key']}" for c in doc["courses"]]
            + [f"{kind}:{a}" for a in maxima for kind in ("high_score", "perfect_score")]
            + LEVELS)


def leaf_criteria(doc: dict[str, Any], earlier: list[str]) -> st.SearchStrategy[dict]:
    modules, maxima = leaves(doc)
    units = [u["key"] for c in doc["courses"] for u in c["units"]]
    courses = [c["key"] for c in doc["courses"]]
    options = [
        st.builds(lambda c: {"course_complete": c}, st.sampled_from(courses)),
        st.builds(lambda n, c: {"modules_completed": n, **({"course": c} if c else {})},
                  st.integers(1, 4), st.sampled_from([None, *courses])),
        st.builds(lambda n: {"streak_days": n}, st.integers(1, 4)),
        st.builds(lambda k: {"holds": k},
                  st.sampled_from(award_keys_of(doc) + [f"badge:{k}" for k in earlier])),
    ]
    if modules:
        options.append(st.builds(lambda m: {"module_complete": m}, st.sampled_from(modules)))
    if units:
        options.append(st.builds(lambda u: {"unit_complete": u}, st.sampled_from(units)))
    if maxima:
        options.append(st.builds(lambda a, r: {"score_at_least": {"assessment": a, "ratio": r}},
                                 st.sampled_from(sorted(maxima)), st.sampled_from(RATIOS)))
    return st.one_of(options)


@st.composite
def criteria(draw: st.DrawFn, doc: dict[str, Any], earlier: list[str], depth: int = 0) -> dict:
    kind = draw(st.sampled_from(["leaf", "all", "any", "at_least"] if depth < 2 else ["leaf"]))
    if kind == "leaf":
        return draw(leaf_criteria(doc, earlier))
    children = draw(st.lists(criteria(doc, earlier, depth + 1), min_size=1, max_size=3))
    if kind == "at_least":
        return {"at_least": draw(st.integers(1, len(children))), "of": children}
    return {kind: children}


@st.composite
def badge_sets(draw: st.DrawFn, doc: dict[str, Any]) -> list[tuple[dict[str, Any], str]]:
    """(definition, when published) pairs; badge i may hold only badges before it."""
    tag = doc["courses"][0]["key"][:6]
    found: list[tuple[dict[str, Any], str]] = []
    for index in range(draw(st.integers(1, 4))):
        key = f"{tag}b{index}"
        tree = draw(criteria(doc, [d["key"] for d, _ in found]))
        found.append(({"key": key, "title": f"Badge {index}", "criteria": tree},
                      draw(st.sampled_from(WHEN))))
    return found


# ---- the property --------------------------------------------------------------------------

@pytest.fixture
def small_rules(app: Flask) -> dict[str, Any]:
    app.config["ACHIEVEMENTS_CONFIG"].RULES = SMALL_RULES
    return SMALL_RULES


def publish(badges: list[tuple[dict[str, Any], str]], when: str, order: list[int]) -> None:
    for index in order:
        definition, moment = badges[index]
        if moment == when:
            publish_badge(ADMIN, definition["key"])


def check(data: st.DataObject, zone: str, seed: int) -> None:
    doc = data.draw(catalogs())
    events = data.draw(histories(doc))
    badges = data.draw(badge_sets(doc))
    order = data.draw(st.permutations(range(len(badges))))
    import_catalog(doc)
    for definition, _ in badges:
        create_badge(ADMIN, definition)
    try:
        publish(badges, "before", order)
        user = create_user(f"badge{next(_users)}-{uuid.uuid4().hex[:6]}@example.com",
                           "password123", "learner", zone)
        record_shuffled(user.id, events, seed)
        publish(badges, "after", order)
        live = [d for d, when in badges if when != "draft"]
        expected = expected_with_badges(doc, events, zone, SMALL_RULES, live)
        assert award_keys(user.id) == expected
        earned = sum(key.startswith("badge:") for key in expected)
        event(f"badges earned: {min(earned, 2)}{'+' if earned > 2 else ''} of {len(live)}")
    finally:
        for definition, _ in badges:
            archive_badge(ADMIN, definition["key"])


@settings(SETTINGS, max_examples=50)
@given(data=st.data(), zone=st.sampled_from(ZONES), seed=st.integers(0, 2**16))
def test_badges_awarded_equal_the_reference_evaluation(small_rules, data, zone, seed) -> None:
    check(data, zone, seed)


@pytest.mark.both_databases
@settings(SETTINGS, max_examples=8)
@given(data=st.data(), zone=st.sampled_from(ZONES), seed=st.integers(0, 2**16))
def test_badges_match_on_both_databases(small_rules, data, zone, seed) -> None:
    check(data, zone, seed)
