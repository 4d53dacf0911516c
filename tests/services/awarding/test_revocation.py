"""Revocation: hidden from the learner, kept for audit, never re-awarded, restorable."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.errors import InvalidInput, NotFound
from app.read.history import HistoryFilter, list_achievements
from app.read.summary import learner_summary
from app.services.awarding.revocation import restore_award, revoke_award
from tests.services.awarding.conftest import award, award_keys, record

pytestmark = pytest.mark.both_databases  # detection's SQL differs per dialect


WHEN = datetime(2024, 5, 1, 9, tzinfo=UTC)


@pytest.fixture
def earned(catalog, learner):
    record(learner, "module_completed", WHEN, module="c1-u1-m1")
    return award(learner, "module_complete:c1-u1-m1")


def listed(user_id: int) -> set[str]:
    return {a.dedupe_key for a in list_achievements(user_id, HistoryFilter(), limit=100).items}


def test_revoked_award_disappears_from_views_but_stays_stored(learner, earned) -> None:
    revoked = revoke_award(earned.id, "awarded by mistake", "admin@example.com")
    assert "module_complete:c1-u1-m1" not in listed(learner.id)
    assert "module_complete:c1-u1-m1" in award_keys(learner)
    assert (revoked.revoked_reason, revoked.revoked_by) == ("awarded by mistake",
                                                            "admin@example.com")
    assert revoked.revoked_at is not None


def test_revoked_award_is_not_awarded_again(learner, earned) -> None:
    revoke_award(earned.id, "mistake", "admin")
    record(learner, "module_completed", WHEN, module="c1-u1-m1")
    record(learner, "module_completed", WHEN, module="c1-u1-m2")
    assert "module_complete:c1-u1-m1" not in listed(learner.id)
    assert "module_complete:c1-u1-m2" in listed(learner.id)


def test_restore_brings_it_back(learner, earned) -> None:
    revoke_award(earned.id, "mistake", "admin")
    restored = restore_award(earned.id, "admin")
    assert restored.revoked_at is None
    assert "module_complete:c1-u1-m1" in listed(learner.id)


def test_revoking_twice_keeps_the_first_audit_record(earned) -> None:
    first = revoke_award(earned.id, "first reason", "alice")
    again = revoke_award(earned.id, "second reason", "bob")
    assert (again.revoked_at, again.revoked_reason, again.revoked_by) == (
        first.revoked_at, "first reason", "alice")


def test_a_reason_is_required(earned) -> None:
    with pytest.raises(InvalidInput):
        revoke_award(earned.id, "  ", "admin")


def test_unknown_award_is_not_found(app) -> None:
    with pytest.raises(NotFound):
        revoke_award(424242, "reason", "admin")
    with pytest.raises(NotFound):
        restore_award(424242, "admin")


def test_holder_counts_follow_revoke_and_restore(learner, earned) -> None:
    def share() -> float:
        return learner_summary(learner.id)["rarity"].get("module_complete:c1-u1-m1", 0.0)

    assert share() == 1.0
    revoke_award(earned.id, "mistake", "admin")
    revoke_award(earned.id, "mistake", "admin")
    assert share() == 0.0
    restore_award(earned.id, "admin")
    restore_award(earned.id, "admin")
    assert share() == 1.0
