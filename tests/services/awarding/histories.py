"""Generated inputs for the property tests: random catalogs, random progress histories
across time zones, and recording them shuffled with duplicates through the real path."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from tests.services.awarding.conftest import record
from tests.services.awarding.oracle import Event, leaves

ZONES = ["UTC", "Europe/Berlin", "America/Los_Angeles", "Pacific/Auckland", "Asia/Kolkata"]
MAX_SCORES = [1, 3, 10, 7.5, 30]
EPOCH = datetime(2024, 3, 25, tzinfo=UTC)  # spans the European DST change


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


def record_shuffled(user_id: int, events: list[Event], seed: int) -> None:
    """Record the events shuffled, with duplicates (new keys) and replays (the same key)."""
    rng = random.Random(seed)
    keyed = [(f"e{i}", e) for i, e in enumerate(events)]
    keyed += [(f"dup{i}", e) for i, e in enumerate(rng.sample(events, len(events) // 3))]
    keyed += rng.sample(keyed, len(keyed) // 4)  # the same idempotency key sent again
    rng.shuffle(keyed)
    for key, e in keyed:
        record(user_id, e.kind, e.when, key=key, module=e.module, assessment=e.assessment,
               score=e.score)
