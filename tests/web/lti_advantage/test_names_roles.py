"""Names and Role Provisioning: the LMS roster (fetched from the test platform's NRPS with a
client-credentials token) becomes the course's enrollments."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Enrollment, Identity, User
from app.models.types import utcnow
from app.services.accounts import create_user, enroll
from app.services.lti import names_roles
from app.services.lti.calls import PlatformError
from tests.web.lti_advantage.conftest import Lms, Member


def people(lms: Lms) -> dict[str, tuple[str, bool]]:
    """LMS user id -> (course role, active) for everyone enrolled from this platform."""
    rows = db.session.execute(
        select(Identity.subject, Enrollment.role, Enrollment.active)
        .join(Enrollment, Enrollment.user_id == Identity.user_id)
        .where(Enrollment.course_id == lms.context.course_id)).all()
    return {subject: (role, active) for subject, role, active in rows}


def five(lms: Lms) -> Lms:
    return lms.roster(
        Member("t1", ["Instructor"], name="Tess Teacher", email="tess@lms.example"),
        Member("s1", ["Learner"], name="Sam One", email="sam1@lms.example"),
        Member("s2", ["Learner"], given_name="Sue", family_name="Two"),
        Member("s3", ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"]),
        Member("m1", ["Mentor"], name="Max Mentor"))


@pytest.mark.both_databases
def test_members_become_learners_and_instructors_across_pages(lms: Lms) -> None:
    result = names_roles.sync_roster(five(lms).context.id)

    assert result is not None and result.members == 5  # three pages of two
    assert people(lms) == {"t1": ("instructor", True), "s1": ("learner", True),
                           "s2": ("learner", True), "s3": ("learner", True)}
    assert result.skipped == 1  # the mentor: no role of ours


def test_names_and_emails_come_from_the_roster(lms: Lms) -> None:
    names_roles.sync_roster(five(lms).context.id)

    sam = db.session.scalar(select(User).join(Identity, Identity.user_id == User.id)
                            .where(Identity.subject == "s1"))
    assert sam is not None and (sam.display_name, sam.email) == ("Sam One", "sam1@lms.example")
    assert sam.role == "learner"  # an LMS instructor is never made a global instructor


def test_sync_time_is_recorded(lms: Lms) -> None:
    names_roles.sync_roster(five(lms).context.id)

    db.session.refresh(lms.context)
    assert lms.context.roster_synced_at is not None


@pytest.mark.both_databases
def test_members_who_left_become_inactive_and_keep_their_awards(lms: Lms) -> None:
    names_roles.sync_roster(five(lms).context.id)
    lms.course.members = [m for m in lms.course.members if m.user_id != "s2"]

    result = names_roles.sync_roster(lms.context.id)

    assert result is not None and result.deactivated == 1
    assert people(lms)["s2"] == ("learner", False)
    assert people(lms)["s1"] == ("learner", True)


def test_a_member_listed_as_inactive_is_inactive(lms: Lms) -> None:
    names_roles.sync_roster(five(lms).context.id)
    lms.course.members[1].status = "Inactive"

    names_roles.sync_roster(lms.context.id)

    assert people(lms)["s1"] == ("learner", False)


def test_a_member_who_returns_is_active_again(lms: Lms) -> None:
    names_roles.sync_roster(five(lms).context.id)
    everyone = list(lms.course.members)
    lms.course.members = everyone[:1]
    names_roles.sync_roster(lms.context.id)
    lms.course.members = everyone

    names_roles.sync_roster(lms.context.id)

    assert all(active for _, active in people(lms).values())


def test_people_enrolled_here_by_hand_are_left_alone(lms: Lms) -> None:
    local = create_user("local@example.com", "password123", "learner", "UTC")
    enroll(local.id, "c1", "learner")

    names_roles.sync_roster(five(lms).context.id)

    row = db.session.scalar(select(Enrollment).where(Enrollment.user_id == local.id))
    assert row is not None and row.active


def test_a_rerun_changes_nothing(lms: Lms) -> None:
    names_roles.sync_roster(five(lms).context.id)
    before = people(lms)

    again = names_roles.sync_roster(lms.context.id)

    assert people(lms) == before and again is not None and again.deactivated == 0


def test_tokens_are_reused_until_they_expire(lms: Lms) -> None:
    names_roles.sync_roster(five(lms).context.id)  # one token for NRPS, one for grades
    issued = lms.platform.tokens_issued

    names_roles.sync_roster(lms.context.id)

    assert lms.platform.tokens_issued == issued


def test_a_token_the_platform_no_longer_takes_is_renewed_once(lms: Lms) -> None:
    names_roles.sync_roster(five(lms).context.id)
    issued = lms.platform.tokens_issued
    lms.platform.rotate_key()  # tokens it signed before are refused from now on (401)

    again = names_roles.sync_roster(lms.context.id)

    assert again is not None and again.members == 5
    assert lms.platform.tokens_issued > issued


def test_a_platform_refusing_our_assertion_changes_nothing(lms: Lms) -> None:
    lms.tool.jwks = {"keys": []}  # the platform no longer knows our key

    with pytest.raises(PlatformError, match="/token answered 401"):
        names_roles.sync_roster(five(lms).context.id)

    assert people(lms) == {}
    db.session.refresh(lms.context)
    assert lms.context.roster_synced_at is None


def test_an_unmapped_context_is_not_synced(lms: Lms) -> None:
    lms.context.course_id = None
    db.session.commit()

    assert names_roles.sync_roster(five(lms).context.id) is None


@pytest.mark.both_databases
def test_beat_asks_for_stale_and_never_synced_rosters_only(lms: Lms) -> None:
    five(lms)
    assert names_roles.request_due(timedelta(hours=1)) == 1  # never synced: synced now (eager)
    assert names_roles.request_due(timedelta(hours=1)) == 0  # fresh
    lms.context.roster_synced_at = utcnow() - timedelta(hours=2)
    db.session.commit()
    assert names_roles.request_due(timedelta(hours=1)) == 1


def test_the_task_gives_up_quietly_in_the_embedded_mode(lms: Lms) -> None:
    from workers.tasks import lti_sync_roster

    lms.tool.jwks = {"keys": []}

    assert lti_sync_roster.delay(five(lms).context.id).get() == 0
