"""Assignment and Grade Services: with each roster sync, one line item "Achievements earned
in this course" on the test platform, and each learner's count of the course's awards."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Identity, User
from app.services.lti import names_roles
from tests.web.conftest import award
from tests.web.lti_advantage.conftest import Lms, Member


def learner(subject: str) -> User:
    user = db.session.scalar(select(User).join(Identity, Identity.user_id == User.id)
                             .where(Identity.subject == subject))
    assert user is not None
    return user


def synced(lms: Lms) -> Lms:
    lms.roster(Member("t1", ["Instructor"]), Member("s1", ["Learner"]),
               Member("s2", ["Learner"]))
    names_roles.sync_roster(lms.context.id)
    return lms


def latest(lms: Lms) -> dict[str, float]:
    return {str(s["userId"]): s["scoreGiven"] for s in lms.course.gradebook.scores}


def test_one_line_item_for_the_course(lms: Lms) -> None:
    synced(lms)
    names_roles.sync_roster(lms.context.id)

    items = list(lms.course.gradebook.items.values())
    assert [i["label"] for i in items] == ["Achievements earned in this course"]
    assert items[0]["scoreMaximum"] > 1


@pytest.mark.both_databases
def test_each_learner_gets_their_count_of_the_course_awards(lms: Lms) -> None:
    synced(lms)
    award(learner("s1"), "c1-u1-m1")
    award(learner("s1"), "c1-u1-m2")

    names_roles.sync_roster(lms.context.id)

    assert latest(lms) == {"s1": 2.0, "s2": 0.0}  # instructors get no score


def test_unchanged_scores_are_not_posted_again(lms: Lms) -> None:
    synced(lms)
    posted = len(lms.course.gradebook.scores)

    again = names_roles.sync_roster(lms.context.id)

    assert again is not None and again.scores_posted == 0
    assert len(lms.course.gradebook.scores) == posted


def test_a_revoked_award_no_longer_counts(lms: Lms) -> None:
    from app.models.types import utcnow

    synced(lms)
    earned = award(learner("s1"), "c1-u1-m1")
    names_roles.sync_roster(lms.context.id)
    earned.revoked_at = utcnow()
    db.session.commit()

    names_roles.sync_roster(lms.context.id)

    assert latest(lms)["s1"] == 0.0


def test_a_failing_gradebook_leaves_the_roster_synced(lms: Lms) -> None:
    lms.context.lineitems_url = lms.course.lineitems_url.replace("/contexts/", "/nowhere/")
    db.session.commit()

    result = synced(lms) and names_roles.sync_roster(lms.context.id)

    assert result is not None and result.members == 3 and result.scores_posted == 0
