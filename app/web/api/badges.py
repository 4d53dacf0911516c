"""/api/v1/badges: author-defined badges, over the badge service.

Authorization is the service's (an admin, a ``badges:write`` token, or an instructor
for badges whose criteria name only courses they teach; others' badges are not
found for them); a session write also needs its CSRF header (app/web/__init__.py).
"""

from __future__ import annotations

from typing import Any

from flask import request, url_for
from flask_smorest import Blueprint

from app.services.badges import (
    archive_badge,
    badge_as_dict,
    create_badge,
    get_badge,
    list_badges,
    publish_badge,
    update_badge,
)
from app.services.badges.by_hand import award_by_hand
from app.web.api.badge_schemas import (
    AwardIn,
    AwardOut,
    BadgeEdit,
    BadgeIn,
    BadgeOut,
    PublishIn,
    PublishOut,
)
from app.web.api.docs import BEARER_OR_SESSION, problem_responses
from app.web.api.security import current_principal

blp = Blueprint("badges", __name__, description="Author-defined badges (scope badges:write)")
# Instances: given a class, webargs builds a new schema (deep-copying its fields) per request.
BADGE_IN, BADGE_EDIT, PUBLISH_IN, AWARD_IN = BadgeIn(), BadgeEdit(), PublishIn(), AwardIn()
WRITES = (400, 403, 413, 415, 422)
AWARDS_BODY_LIMIT = 1024 * 1024  # 10,000 learners by email fit with room to spare


@blp.before_request
def _award_lists_may_be_long() -> None:
    if request.endpoint == "badges.post_awards":
        request.max_content_length = AWARDS_BODY_LIMIT


@blp.route("/badges", methods=["GET"])
@blp.response(200, BadgeOut(many=True))
@blp.doc(security=BEARER_OR_SESSION, responses=problem_responses(403))
def get_badges() -> Any:
    """Every badge the caller may author, by key, with its latest definition."""
    return [badge_as_dict(badge) for badge in list_badges(current_principal())]


@blp.route("/badges", methods=["POST"])
@blp.arguments(BADGE_IN)
@blp.response(201, BadgeOut)
@blp.doc(security=BEARER_OR_SESSION, responses=problem_responses(*WRITES, 409))
def post_badge(body: dict[str, Any]) -> Any:
    """A new draft badge (version 1); it awards nothing until published.

    A definition that names an unknown key, nests badly or makes a ``holds``
    cycle is 422 with ``errors`` keyed by path (``criteria.all[1].holds``); a
    key in use is 409.
    """
    badge = create_badge(current_principal(), body)
    return badge_as_dict(badge), {"Location": url_for(".get_one_badge", key=badge.key)}


@blp.route("/badges/<key>", methods=["GET"])
@blp.response(200, BadgeOut)
@blp.doc(security=BEARER_OR_SESSION, responses=problem_responses(403, 404))
def get_one_badge(key: str) -> Any:
    """One badge with every version's date and author."""
    return badge_as_dict(get_badge(current_principal(), key))


@blp.route("/badges/<key>", methods=["PUT"])
@blp.arguments(BADGE_EDIT)
@blp.response(200, BadgeOut)
@blp.doc(security=BEARER_OR_SESSION, responses=problem_responses(*WRITES, 404, 409))
def put_badge(body: dict[str, Any], key: str) -> Any:
    """A new version of the definition. Detection keeps the published version until
    the badge is published again; earlier awards keep the version they record.
    An archived badge is 409."""
    return badge_as_dict(update_badge(current_principal(), key, body))


@blp.route("/badges/<key>/publish", methods=["POST"])
@blp.arguments(PUBLISH_IN, required=False)
@blp.response(200, PublishOut)
@blp.doc(security=BEARER_OR_SESSION, responses=problem_responses(*WRITES, 404, 409))
def post_publish(body: dict[str, Any], key: str) -> Any:
    """Publish the latest version and award it to every learner who qualifies now
    (silently, unless ``notify``). ``dry_run`` answers ``would_earn`` and awards nothing."""
    return publish_badge(current_principal(), key, dry_run=body["dry_run"],
                         notify=body["notify"])


@blp.route("/badges/<key>/archive", methods=["POST"])
@blp.response(200, BadgeOut)
@blp.doc(security=BEARER_OR_SESSION, responses=problem_responses(400, 403, 404))
def post_archive(key: str) -> Any:
    """Award the badge no more; the awards already made stay."""
    return badge_as_dict(archive_badge(current_principal(), key))


@blp.route("/badges/<key>/awards", methods=["POST"])
@blp.arguments(AWARD_IN)
@blp.response(200, AwardOut)
@blp.doc(security=BEARER_OR_SESSION, responses=problem_responses(*WRITES, 404, 409))
def post_awards(body: dict[str, Any], key: str) -> Any:
    """Give a published badge by hand (who may: as for publishing).

    Every learner is resolved first: one that names no one (or, for an instructor,
    no learner of the badge's courses) is 422 with ``errors`` keyed ``learners[i]``,
    and nobody is awarded. A draft or archived badge is 409. Learners who hold it
    already (revoked included) are listed in ``already_held``; the others get it once
    (the same dedupe key as the automatic path), marked as given by hand, by whom,
    with the narrative and evidence URL.
    """
    return award_by_hand(current_principal(), key, body)
