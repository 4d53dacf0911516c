"""The demo course player: complete modules and take a server-graded quiz.

Both actions record progress through :func:`app.services.recording.record_progress` as
the logged-in learner, exactly as an LMS would over the API; awards then
arrive live like any other. Each rendered form carries a one-time request id,
so a double submit is one idempotent event.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from flask import abort, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app.errors import DomainError
from app.models import Assessment
from app.services.recording import ProgressInput, record_progress
from app.web.pages import ActionForm, bp
from app.web.pages.learning import (
    assessment_by_key,
    course_for,
    course_of_module,
    courses_for,
    module_by_key,
)
from app.web.pages.quiz import answered, grade, quiz_for

REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")


def request_id() -> str:
    return uuid.uuid4().hex


bp.add_app_template_global(request_id, "request_id")


@bp.route("/learn")
@login_required
def courses() -> str:
    return render_template("courses.html", courses=courses_for(current_user.id))


@bp.route("/learn/<course_key>")
@login_required
def course_player(course_key: str) -> str:
    progress = course_for(current_user.id, course_key)
    if progress is None:
        abort(404)
    quizzes = [(a, quiz_for(a.key)) for a in progress.assessments()]
    return render_template("player.html", progress=progress, quizzes=quizzes, form=ActionForm())


@bp.route("/modules/<key>/complete", methods=["POST"])
@login_required
def complete_module(key: str) -> Response:
    """The player's "complete" button; answers JSON to ``live.js``, redirects otherwise."""
    module = module_by_key(key)
    if module is None:
        abort(404)
    result = _record(kind="module_completed", module=key, idempotency=f"module:{key}")
    if request.accept_mimetypes.best == "application/json":
        return jsonify({"event_id": result.event.id, "module": key})
    flash(_("Completed %(module)s.", module=module.title))
    if request.form.get("return_to") == "dashboard":
        return redirect(url_for("pages.dashboard"))
    return redirect(url_for("pages.course_player", course_key=course_of_module(module).key))


@bp.route("/learn/quiz/<assessment_key>", methods=["GET", "POST"])
@login_required
def quiz(assessment_key: str) -> str | Response:
    assessment = assessment_by_key(assessment_key)
    questions = quiz_for(assessment_key)
    if assessment is None or questions is None:
        abort(404)
    if request.method == "POST" and ActionForm().validate_on_submit():
        if not answered(questions, request.form):  # nothing chosen: no attempt, no 0 score
            return render_template("quiz.html", assessment=assessment, questions=questions,
                                   result=None, form=ActionForm(),
                                   error=_("Choose an answer to at least one question before "
                                           "submitting.")), 400
        outcome = grade(questions, request.form, assessment.max_score)
        _record(kind="assessment_scored", assessment=assessment_key, score=outcome.score,
                idempotency=f"quiz:{assessment_key}")
        session["quiz_result"] = {"assessment": assessment_key, "score": outcome.score,
                                  "max_score": outcome.max_score, "correct": outcome.correct}
        return redirect(url_for("pages.quiz", assessment_key=assessment_key, result=1))
    result = _result_for(assessment) if request.args.get("result") else None
    return render_template("quiz.html", assessment=assessment, questions=questions,
                           result=result, form=ActionForm())


def _result_for(assessment: Assessment) -> dict[str, Any] | None:
    result = session.get("quiz_result")
    if not result or result.get("assessment") != assessment.key:
        return None
    result = dict(result)
    result["passed"] = result["score"] >= assessment.pass_ratio * assessment.max_score
    return result


def _record(*, kind: str, idempotency: str, **fields: Any) -> Any:
    """Record as the learner; the form's request id makes a double submit one event."""
    rid = request.form.get("request_id", "")
    key = f"web:{idempotency}:{rid if REQUEST_ID.match(rid) else uuid.uuid4().hex}"
    try:
        return record_progress(ProgressInput(user_id=current_user.id, kind=kind,
                                             occurred_at=None, idempotency_key=key,
                                             source="web", **fields))
    except DomainError as exc:
        abort(422, exc.detail)
