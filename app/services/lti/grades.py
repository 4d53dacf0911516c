"""LTI Assignment and Grade Services 2.0: one line item per LMS course, "Achievements earned
in this course", whose score for each learner is how many of the course's achievements
(its modules, units and the course completed, assessments' high and perfect scores, the
course's badges) they hold unrevoked.

Posted with the roster sync (an instructor's launch, then beat), only for learners whose
score differs from what the LMS's results already say: a sync re-posts nothing unchanged.
A revoked award lowers the score at the next sync.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import func, select

from app.extensions import db
from app.infra.caches.catalog import catalog
from app.models import Achievement, Course, Enrollment, Identity, LtiContext, LtiPlatform
from app.read.course_report import course_award_keys
from app.services.lti import people
from app.services.lti.calls import call, json_of
from app.services.lti.tokens import access_token

LINEITEM_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
RESULT_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCOPES = (LINEITEM_SCOPE, RESULT_SCOPE, SCORE_SCOPE)
RESOURCE_ID = "achievements"
LINEITEM_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
CONTAINER_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"
RESULTS_TYPE = "application/vnd.ims.lis.v2.resultcontainer+json"
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"


def post_scores(context: LtiContext, platform: LtiPlatform) -> int:
    """Post the changed scores of this context's learners; how many were posted."""
    if not context.lineitems_url or context.course_id is None:
        return 0
    course_key = db.session.scalar(select(Course.key).where(Course.id == context.course_id))
    if course_key is None:
        return 0
    keys = course_award_keys(catalog().view, course_key)
    item = _line_item(platform, context.lineitems_url, max(len(keys), 1))
    posted = _results(platform, item["id"])
    changed = {subject: score for subject, score in scores(platform, context, keys).items()
               if posted.get(subject) != score}
    for subject, score in changed.items():
        _post_score(platform, item["id"], subject, score, max(len(keys), 1))
    return len(changed)


def scores(platform: LtiPlatform, context: LtiContext, keys: set[str]) -> dict[str, float]:
    """LMS user id -> achievements of the course held, for the active learners."""
    held = (select(Identity.subject, func.count(Achievement.id))
            .join(Enrollment, Enrollment.user_id == Identity.user_id)
            .outerjoin(Achievement, (Achievement.user_id == Identity.user_id)
                       & Achievement.dedupe_key.in_(keys or {""})
                       & Achievement.revoked_at.is_(None))
            .where(Identity.provider == people.provider(platform),
                   Enrollment.course_id == context.course_id, Enrollment.role == "learner",
                   Enrollment.active.is_(True))
            .group_by(Identity.subject))
    return {subject: float(count) for subject, count in db.session.execute(held)}


def _line_item(platform: LtiPlatform, url: str, maximum: int) -> dict[str, Any]:
    """Our line item in this course, made on first use; its maximum kept current."""
    query = urlencode({"resource_id": RESOURCE_ID})
    found = _call(platform, "GET", f"{url}{'&' if '?' in url else '?'}{query}", CONTAINER_TYPE)
    items = [i for i in found if isinstance(i, dict) and i.get("resourceId") == RESOURCE_ID] \
        if isinstance(found, list) else []
    body = {"label": "Achievements earned in this course", "scoreMaximum": maximum,
            "resourceId": RESOURCE_ID, "tag": RESOURCE_ID}
    if not items:
        return _call(platform, "POST", url, LINEITEM_TYPE, body)
    if items[0].get("scoreMaximum") != maximum:
        return _call(platform, "PUT", items[0]["id"], LINEITEM_TYPE, {**items[0], **body})
    return items[0]


def _results(platform: LtiPlatform, item_url: str) -> dict[str, float]:
    found = _call(platform, "GET", _under(item_url, "results"), RESULTS_TYPE)
    return {str(r["userId"]): r.get("resultScore") for r in found or []
            if isinstance(r, dict) and "userId" in r}


def _post_score(platform: LtiPlatform, item_url: str, subject: str, score: float,
                maximum: int) -> None:
    body = {"userId": subject, "scoreGiven": score, "scoreMaximum": maximum,
            "activityProgress": "Completed" if score >= maximum else "InProgress",
            "gradingProgress": "FullyGraded",
            "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")}
    _call(platform, "POST", _under(item_url, "scores"), SCORE_TYPE, body)


def _under(item_url: str, part: str) -> str:
    """``<line item>/<part>``, keeping any query string after it (AGS §3.4)."""
    path, _, query = item_url.partition("?")
    return f"{path.rstrip('/')}/{part}" + (f"?{query}" if query else "")


def _call(platform: LtiPlatform, method: str, url: str, media_type: str,
          body: dict[str, Any] | None = None) -> Any:
    headers = {"Authorization": f"Bearer {access_token(platform, SCOPES)}",
               "Accept": media_type}
    if body is not None:
        headers["Content-Type"] = media_type
    return json_of(call(method, url, headers=headers, json=body))
