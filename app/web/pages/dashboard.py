"""The dashboard: newest badges large and first, counts by type, the next locked levels."""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_login import current_user, login_required

from app.domain.types import achievement_types
from app.read.history import HistoryFilter, list_achievements
from app.read.summary import learner_summary
from app.read.wording import localize_summary
from app.web.localized import current_locale
from app.web.pages import ActionForm, bp
from app.web.pages.learning import courses_for

NEWEST = 8


@bp.route("/")
@login_required
def dashboard() -> str:
    newest = list_achievements(current_user.id, HistoryFilter(), limit=NEWEST).items
    summary = localize_summary(learner_summary(current_user.id), current_locale())
    return render_template("dashboard.html", newest=newest, summary=summary,
                           types=achievement_types(), **_continue_learning())


@bp.route("/dashboard/continue")
@login_required
def continue_fragment() -> str:
    """The "Continue learning" card alone: ``live.js`` swaps it in after a completion."""
    return render_template("partials/continue.html", **_continue_learning())


def _continue_learning() -> dict[str, Any]:
    courses = courses_for(current_user.id)
    return {"courses": courses, "up_next": next((c for c in courses if c.next_module), None),
            "form": ActionForm()}


@bp.route("/dashboard/milestones")
@login_required
def milestones_fragment() -> str:
    """The next-milestones list alone: ``live.js`` swaps it in after a celebration."""
    summary = localize_summary(learner_summary(current_user.id), current_locale())
    return render_template("partials/milestones.html", summary=summary)
