"""GET /achievements/summary, GET /achievement-types and the admin revoke."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_smorest import Blueprint

from app.errors import NotFound
from app.read.achievement_types import listed_types
from app.read.history import read_without_transaction
from app.read.shapes import award_as_dict
from app.read.summary import learner_summary
from app.read.wording import localize_summary, localize_type
from app.services.accounts import require_scope, subject_for_read
from app.services.accounts.principal import ADMIN
from app.services.awarding.revocation import revoke_award
from app.web.api.docs import BEARER_OR_SESSION, problem_responses
from app.web.api.schemas import (
    MAX_ID,
    AchievementTypeOut,
    RevokedOut,
    RevokeIn,
    SubjectQuery,
    SummaryOut,
)
from app.web.api.security import current_principal
from app.web.localized import current_locale, shown

blp = Blueprint("insights", __name__, description="Summaries, types and revocation")
# Instances: given a class, webargs builds a new schema (deep-copying its fields) per request.
SUBJECT_QUERY, REVOKE_IN = SubjectQuery(), RevokeIn()


@blp.route("/achievements/summary", methods=["GET"])
@blp.arguments(SUBJECT_QUERY, location="query")
@blp.response(200, SummaryOut)
@blp.doc(security=BEARER_OR_SESSION, responses=problem_responses(403, 404, 422))
def get_summary(args: dict[str, Any]) -> Any:
    """Counts by type, progress toward the next locked milestones, and rarity."""
    read_without_transaction()
    summary = learner_summary(subject_for_read(current_principal(), args.get("user_id")))
    return localize_summary(summary, current_locale())


@blp.route("/achievement-types", methods=["GET"])
@blp.response(200, AchievementTypeOut(many=True))
@blp.doc(security=BEARER_OR_SESSION, responses=problem_responses())
def get_types() -> Any:
    """Every achievement type with its effective thresholds and badge image, then each
    published badge (key ``badge:<key>``; a hidden one as "Hidden badge", undescribed)."""
    current_principal()
    types = listed_types(current_app.config["ACHIEVEMENTS_CONFIG"].RULES)
    locale = current_locale()
    return [{**localize_type(kind, locale), "badge_url": f"/static/badges/{kind['badge']}.svg"}
            for kind in types]


@blp.route("/achievements/<int:award_id>/revoke", methods=["POST"])
@blp.arguments(REVOKE_IN)
@blp.response(200, RevokedOut)
@blp.doc(security=BEARER_OR_SESSION,
         responses=problem_responses(400, 403, 404, 413, 415, 422))
def post_revoke(body: dict[str, Any], award_id: int) -> Any:
    """Revoke an award with a reason (admin users and ``achievements:admin`` tokens).

    It leaves the learner's lists (their own page of it stays, with the date and
    reason), their open pages get a ``revoked`` event, and it is never awarded
    again; revoking a revoked award answers with it unchanged.
    """
    principal = current_principal()
    require_scope(principal, ADMIN)
    if award_id > MAX_ID:
        raise NotFound(f"no achievement {award_id}")
    award = revoke_award(award_id, body["reason"], f"{principal.caller_key} {principal.name}")
    return {**shown(award_as_dict(award)), "revoked_at": award.revoked_at,
            "revoked_reason": award.revoked_reason, "revoked_by": award.revoked_by}
