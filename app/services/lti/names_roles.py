"""LTI Names and Role Provisioning Services 2.0: the LMS course's roster becomes the
mapped course's enrollments (and, with it, the course's grades are posted: ``grades``).

On an instructor's launch and then periodically (Celery beat), the context's membership
is fetched with an OAuth 2 token (``tokens``), following ``Link: rel="next"`` pages.
Members become learners or instructors of the course, created as a launch creates them
(``people``); people of this platform who are no longer listed, or listed as inactive,
are marked ``enrollments.active = false`` — their awards stay. People who never came from
this platform (enrolled by hand or by a local account) are left alone.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
from sqlalchemy import func, or_, select, update

from app.extensions import celery, db
from app.models import Course, Enrollment, Identity, LtiContext, LtiPlatform
from app.models.types import utcnow
from app.services.accounts.courses import set_course_role
from app.services.lti import grades, people
from app.services.lti.calls import PlatformError, call, json_object
from app.services.lti.tokens import access_token, forget

SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
MEDIA_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
SYNC_TASK = "achievements.lti_sync_roster"
ROSTER_MAX_AGE = timedelta(hours=1)  # beat re-syncs a roster older than this
MAX_PAGES = 1000  # a platform paging forever cannot keep a worker forever

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RosterSync:
    """What one sync did, for logs and tests."""

    members: int
    enrolled: int
    deactivated: int
    skipped: int
    scores_posted: int = 0


@dataclass(frozen=True)
class RosterStatus:
    """For the console: does an LMS course map to this course, and when was it synced."""

    from_lms: bool
    synced_at: datetime | None


def roster_status(course_key: str) -> RosterStatus:
    """The latest sync of any LMS context mapped to this course (None: not yet synced)."""
    found = db.session.execute(
        select(func.count(LtiContext.id), func.max(LtiContext.roster_synced_at))
        .join(Course, Course.id == LtiContext.course_id).where(Course.key == course_key)).one()
    return RosterStatus(from_lms=found[0] > 0, synced_at=found[1])


def request_sync(context_id: int) -> None:
    """Sync this context's roster in a worker (at once in the embedded mode)."""
    celery.signature(SYNC_TASK, args=(context_id,)).apply_async()


def request_due(max_age: timedelta) -> int:
    """Beat: ask a sync of every mapped context with NRPS not synced within ``max_age``."""
    cutoff = utcnow() - max_age
    query = (select(LtiContext.id).join(LtiPlatform, LtiPlatform.id == LtiContext.platform_id)
             .where(LtiContext.course_id.is_not(None),
                    LtiContext.context_memberships_url.is_not(None),
                    LtiPlatform.status == "active",
                    or_(LtiContext.roster_synced_at.is_(None),
                        LtiContext.roster_synced_at < cutoff)))
    due = list(db.session.scalars(query))
    for context_id in due:
        request_sync(context_id)
    return len(due)


def sync_roster(context_id: int) -> RosterSync | None:
    """Fetch the roster and apply it; None when the context has no course or no NRPS.
    Idempotent: a rerun (a redelivered task) finds everyone already as they should be."""
    context = db.session.get(LtiContext, context_id)
    if context is None or context.course_id is None or not context.context_memberships_url:
        return None
    platform = db.session.get(LtiPlatform, context.platform_id)
    if platform is None or platform.status != "active":
        return None
    members = list(fetch_members(platform, context.context_memberships_url))
    present, skipped = _enroll_members(platform, context.course_id, members)
    deactivated = _deactivate_absent(platform, context.course_id, present)
    context.roster_synced_at = utcnow()
    db.session.commit()
    result = RosterSync(len(members), len(present), deactivated, skipped,
                        _post_scores(context, platform))
    log.info("lti roster synced", extra={"lti_context": context_id, **result.__dict__})
    return result


def _post_scores(context: LtiContext, platform: LtiPlatform) -> int:
    """Grades ride on the roster sync; a gradebook that fails leaves the roster synced."""
    try:
        return grades.post_scores(context, platform)
    except PlatformError as error:
        log.warning("lti scores not posted: %s", error, extra={"lti_context": context.id})
        return 0


def fetch_members(platform: LtiPlatform, url: str) -> Iterator[dict[str, Any]]:
    """Every member on every page; ``next`` pages must stay on the platform's origin."""
    origin = _origin(url)
    for _ in range(MAX_PAGES):
        reply = _get(platform, url)
        body = json_object(reply)
        members = body.get("members")
        if not isinstance(members, list):
            raise PlatformError(f"{url}: the membership container has no members list")
        yield from (m for m in members if isinstance(m, Mapping) and m.get("user_id"))
        following = reply.links.get("next", {}).get("url")
        if not following:
            return
        if _origin(following) != origin:
            raise PlatformError(f"{url}: next page {following} is on another origin")
        url = following
    raise PlatformError(f"{url}: more than {MAX_PAGES} pages")


def _get(platform: LtiPlatform, url: str, retry: bool = True) -> requests.Response:
    headers = {"Authorization": f"Bearer {access_token(platform, [SCOPE])}",
               "Accept": MEDIA_TYPE}
    try:
        return call("GET", url, headers=headers)
    except PlatformError as error:
        if not retry or error.status != 401:
            raise
    forget(platform)  # a token revoked or expired early: once more with a new one
    return _get(platform, url, retry=False)


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


def _enroll_members(platform: LtiPlatform, course_id: int,
                    members: list[dict[str, Any]]) -> tuple[set[int], int]:
    """Enroll the active members with a role we map; their user ids, and how many were
    skipped (an unmapped role, or an email held by an unlinked local account)."""
    present: set[int] = set()
    skipped = 0
    for member in members:
        if str(member.get("status", "Active")) != "Active":
            continue
        role = people.course_role([str(r) for r in member.get("roles") or []])
        user = people.person_for(platform, str(member["user_id"]), member) if role else None
        if user is None or role is None:
            skipped += 1
            continue
        set_course_role(user.id, course_id, role)
        present.add(user.id)
    return present, skipped


def _deactivate_absent(platform: LtiPlatform, course_id: int, present: set[int]) -> int:
    """People of this platform enrolled here but not on the roster: inactive."""
    from_platform = select(Identity.user_id).where(
        Identity.provider == people.provider(platform))
    query = (update(Enrollment)
             .where(Enrollment.course_id == course_id, Enrollment.active.is_(True),
                    Enrollment.user_id.in_(from_platform),
                    Enrollment.user_id.not_in(present or {0}))
             .values(active=False))
    return db.session.execute(query).rowcount or 0
