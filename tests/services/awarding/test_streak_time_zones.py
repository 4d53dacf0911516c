"""Streaks count local days in the learner's IANA zone, from the set of all events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.services.awarding.conftest import award_keys, record

pytestmark = pytest.mark.both_databases  # detection's SQL differs per dialect



def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def streaks(user) -> set[str]:
    return {k for k in award_keys(user) if k.startswith("streak:")}


def test_three_local_days_across_berlin_spring_forward(make_user) -> None:
    user = make_user(timezone="Europe/Berlin")  # 2024-03-31 02:00 CET -> 03:00 CEST
    for moment in (utc(2024, 3, 29, 23, 30), utc(2024, 3, 30, 23, 30), utc(2024, 3, 31, 22, 30)):
        record(user, "activity", moment)  # local 00:30 on Mar 30, 31 and Apr 1
    assert streaks(user) == {"streak:3"}


def test_berlin_late_evening_utc_is_already_tomorrow(make_user) -> None:
    user = make_user(timezone="Europe/Berlin")
    for moment in (utc(2024, 3, 31, 21, 59), utc(2024, 3, 31, 22, 0)):  # 23:59 / 00:00 CEST
        record(user, "activity", moment)
    record(user, "activity", utc(2024, 3, 30, 12))
    assert streaks(user) == {"streak:3"}


def test_los_angeles_fall_back_day_has_25_hours(make_user) -> None:
    user = make_user(timezone="America/Los_Angeles")  # 2024-11-03 02:00 PDT -> 01:00 PST
    record(user, "activity", utc(2024, 11, 3, 7, 30))   # Nov 3 00:30 PDT
    record(user, "activity", utc(2024, 11, 4, 7, 59))   # Nov 3 23:59 PST: still Nov 3
    assert streaks(user) == set()
    record(user, "activity", utc(2024, 11, 4, 8, 0))    # Nov 4 00:00 PST
    record(user, "activity", utc(2024, 11, 3, 6, 59))   # Nov 2 23:59 PDT
    assert streaks(user) == {"streak:3"}


def test_auckland_utc_morning_is_the_next_local_day(make_user) -> None:
    user = make_user(timezone="Pacific/Auckland")  # UTC+13 in January
    for moment in (utc(2024, 1, 1, 10, 59), utc(2024, 1, 1, 11, 0), utc(2024, 1, 2, 11, 0)):
        record(user, "activity", moment)  # local Jan 1 23:59, Jan 2 00:00, Jan 3 00:00
    assert streaks(user) == {"streak:3"}


def test_the_same_instants_are_one_utc_day_for_a_utc_learner(make_user) -> None:
    user = make_user(timezone="UTC")
    for moment in (utc(2024, 1, 1, 10, 59), utc(2024, 1, 1, 11, 0), utc(2024, 1, 2, 11, 0)):
        record(user, "activity", moment)
    assert streaks(user) == set()


def test_auckland_dst_end_in_april(make_user) -> None:
    user = make_user(timezone="Pacific/Auckland")  # 2024-04-07 03:00 NZDT -> 02:00 NZST
    for moment in (utc(2024, 4, 5, 11, 30), utc(2024, 4, 6, 11, 30), utc(2024, 4, 7, 12, 30)):
        record(user, "activity", moment)  # local 00:30 on Apr 6, 7 and 8
    assert streaks(user) == {"streak:3"}


@pytest.mark.parametrize(("minute", "earned"), [(29, False), (30, True)])
def test_kolkata_half_hour_offset_midnight(make_user, minute: int, earned: bool) -> None:
    user = make_user(timezone="Asia/Kolkata")  # UTC+05:30: local midnight is 18:30 UTC
    record(user, "activity", utc(2024, 6, 1, 12))                # Jun 1
    record(user, "activity", utc(2024, 6, 2, 12))                # Jun 2
    record(user, "activity", utc(2024, 6, 2, 18, minute))        # Jun 2 23:59 or Jun 3 00:00
    assert (streaks(user) == {"streak:3"}) is earned


def test_late_event_fills_a_gap(make_user) -> None:
    user = make_user()
    for day in (1, 2, 4, 5, 6):
        record(user, "activity", utc(2024, 5, day, 9))
    assert streaks(user) == {"streak:3"}
    record(user, "activity", utc(2024, 5, 7, 9))
    assert streaks(user) == {"streak:3"}
    record(user, "activity", utc(2024, 5, 3, 23, 59))  # arrives last, happened third
    assert streaks(user) == {"streak:3", "streak:7"}


def test_every_event_kind_makes_a_day_active(make_user, catalog) -> None:
    user = make_user()
    record(user, "activity", utc(2024, 5, 1, 9))
    record(user, "module_completed", utc(2024, 5, 2, 9), module="c1-u1-m1")
    record(user, "module_completed", utc(2024, 5, 3, 9), module="c1-u1-m1")  # again: still active
    assert streaks(user) == {"streak:3"}


def test_many_events_on_one_day_are_one_day(make_user) -> None:
    user = make_user()
    for hour in range(0, 24, 2):
        record(user, "activity", utc(2024, 5, 1, hour) + timedelta(minutes=5))
    record(user, "activity", utc(2024, 5, 2, 0))
    assert streaks(user) == set()
