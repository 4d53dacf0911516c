"""On PostgreSQL detection reads a batch's facts in one statement; it must read what the
per-kind statements (the reference, used on every other database) read."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import insert

from app.domain.registry import AwardDue
from app.extensions import db
from app.models import ProgressEvent
from app.read.learner_state import Learner, facts_by_kind, facts_in_one_statement
from app.services.accounts import create_user
from app.services.awarding.awards import store_awards
from app.services.catalog import import_catalog
from app.services.recording import ProgressInput, record_progress
from tests.support.catalog import catalog_doc

pytestmark = pytest.mark.integration
START = datetime(2024, 5, 1, 22, 30, tzinfo=UTC)


def record(user_id: int, key: str, **fields: object) -> None:
    record_progress(ProgressInput(user_id=user_id, idempotency_key=key, **fields))  # type: ignore[arg-type]


def test_one_statement_reads_what_the_per_kind_reads_read(services_app: Flask) -> None:
    document = catalog_doc("c1", units=2, modules=3)
    document["courses"][0]["assessments"] = [{"key": "c1-quiz", "title": "Quiz", "max_score": 10,
                                              "required": True}]
    import_catalog(document)
    learners = [Learner(create_user(f"loader{i}@example.com", "password123",
                                    timezone=zone).id, zone)
                for i, zone in enumerate(("Pacific/Auckland", "America/Denver", "UTC"))]
    for index, learner in enumerate(learners[:2]):
        for day in range(index + 2):
            record(learner.id, f"m{index}-{day}", kind="module_completed",
                   module=f"c1-u1-m{day + 1}", occurred_at=START + timedelta(days=day))
        record(learner.id, f"q{index}", kind="assessment_scored", assessment="c1-quiz",
               score=7 + index, occurred_at=START)
        record(learner.id, f"q{index}b", kind="assessment_scored", assessment="c1-quiz",
               score=4, occurred_at=START)
    store_awards({learners[0].id: [AwardDue("milestone", "milestone:modules:1", "First", "", {})]},
                 source_event_id=None)
    db.session.commit()

    expected = facts_by_kind(learners)
    db.session.rollback()
    found = facts_in_one_statement(learners)

    assert found[0] is expected[0]  # the same cached catalog revision
    assert {k: (v.days, v.events, sorted(v.pending)) for k, v in found[1].items()} == \
        {k: (v.days, v.events, sorted(v.pending)) for k, v in expected[1].items()}
    assert dict(found[2]) == dict(expected[2]) and dict(found[3]) == dict(expected[3])
    assert found[3][learners[1].id] == {"c1-quiz": 8.0}
    assert len(found[1][learners[0].id].pending) == 4  # nothing evaluated: no worker runs
    assert dict(found[4]) == dict(expected[4]) == {learners[0].id: {"milestone:modules:1": True}}


# Zones a quarter or half an hour off the hour, with DST changes at midnight, and two that
# fell back at 00:01 local (the local date steps back a day: America/St_Johns until 2011).
ZONES = (("Europe/Paris", 2024), ("America/St_Johns", 2024), ("Asia/Kathmandu", 2024),
         ("Australia/Lord_Howe", 2024), ("America/Santiago", 2024), ("Pacific/Chatham", 2024),
         ("Asia/Kolkata", 2024), ("UTC", 2024), ("America/St_Johns", 2009),
         ("America/Goose_Bay", 2010))


def changes_of(zone: ZoneInfo, year: int) -> list[datetime]:
    """The instants of ``year`` at which the zone's offset changes (to the second)."""
    found, moment = [], datetime(year, 1, 1, tzinfo=UTC)
    while moment.year == year:
        later = moment + timedelta(hours=1)
        if moment.astimezone(zone).utcoffset() != later.astimezone(zone).utcoffset():
            while later - moment > timedelta(seconds=1):
                middle = moment + (later - moment) / 2
                same = middle.astimezone(zone).utcoffset() == moment.astimezone(zone).utcoffset()
                moment, later = (middle, later) if same else (moment, middle)
            found.append(later)
        moment += timedelta(hours=1)
    return found


def moments_near(zone: ZoneInfo, year: int) -> list[datetime]:
    """Events a minute or a few around the zone's offset changes of ``year`` and the local
    midnights beside them: the edges of the quarter-hour slots detection reads activity in."""
    changes = changes_of(zone, year)
    days = {change.astimezone(zone).date() + timedelta(days=shift)
            for change in changes for shift in (0, 1)} or {datetime(year, 6, 1).date()}
    midnights = [datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)
                 for day in days]
    steps = (-16, -14, -8, -1, 0, 1, 7, 13, 14, 29, 65)
    return [edge + timedelta(minutes=step) for edge in changes + midnights for step in steps]


def test_activity_read_by_slot_has_the_days_of_every_event(services_app: Flask) -> None:
    """On PostgreSQL events are read as 15-minute slots (count, first, last): the local days
    and counts must be exactly those of the events one by one (:data:`ZONES`)."""
    learners = [Learner(create_user(f"zones{i}@example.com", "password123", timezone=zone).id,
                        zone) for i, (zone, _) in enumerate(ZONES)]
    rows = [{"user_id": learner.id, "kind": "activity", "payload": {},
             "idempotency_key": f"z{index}", "request_hash": "", "source": "test",
             "occurred_at": moment, "recorded_at": moment,
             "processed_at": None if index % 3 else moment, "attempts": 0}
            for learner, (zone, year) in zip(learners, ZONES, strict=True)
            for index, moment in enumerate(moments_near(ZoneInfo(zone), year))]
    # Goose Bay fell back at 00:01 on 2009-11-01 (03:01 UTC): 00:00:30 is the 1st, ten
    # minutes later the 31st again, two hours on the 1st: the 31st is neither first nor last
    # of that UTC day, only of its quarter hour.
    edge = Learner(create_user("goose@example.com", "password123",
                               timezone="America/Goose_Bay").id, "America/Goose_Bay")
    learners.append(edge)
    rows += [{**rows[0], "user_id": edge.id, "idempotency_key": f"g{index}",
              "occurred_at": moment, "recorded_at": moment, "processed_at": moment}
             for index, moment in enumerate(datetime(2009, 11, 1, hour, minute, second, tzinfo=UTC)
                                            for hour, minute, second in ((3, 0, 30), (3, 10, 0),
                                                                         (5, 0, 0)))]
    db.session.execute(insert(ProgressEvent), rows)
    db.session.commit()

    expected = facts_by_kind(learners)
    db.session.rollback()
    found = facts_in_one_statement(learners)

    assert {k: (v.days, v.events, sorted(v.pending)) for k, v in found[1].items()} == \
        {k: (v.days, v.events, sorted(v.pending)) for k, v in expected[1].items()}
    assert all(len(found[1][learner.id].days) >= 2 for learner in learners)
    assert found[1][edge.id].days == {date(2009, 10, 31), date(2009, 11, 1)}
