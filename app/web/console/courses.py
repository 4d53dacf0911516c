"""Console pages for a course an instructor teaches: learners by achievements (paged), each
achievement's holders and rarity, the completion funnel, CSV export, and revoke/restore
with a reason (logged in the audit trail by the service)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from app.errors import InvalidInput
from app.extensions import db
from app.infra.caches.catalog import catalog
from app.models import User
from app.read.course_report import (
    course_award_keys,
    course_columns,
    enrolled_count,
    funnel,
    holder_page,
    holders,
    learner_awards,
    learner_page,
)
from app.services.teaching import (
    course_for,
    learner_of,
    restore_in_course,
    revoke_in_course,
    visible_courses,
)
from app.web.console import bp, principal

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@bp.route("/courses")
def courses() -> str:
    return render_template("console/courses.html", courses=visible_courses(principal()))


@bp.route("/courses/<course_key>")
def course(course_key: str) -> str:
    info = course_for(principal(), course_key)
    view = catalog().view
    columns = course_columns(view, course_key)
    rows, next_after = learner_page(course_key, columns, request.args.get("after", 0, int))
    enrolled = enrolled_count(course_key)
    return render_template("console/course.html", course=info, columns=columns, rows=rows,
                           next_after=next_after, enrolled=enrolled,
                           holders=holders(course_key, [c.key for c in columns]),
                           funnel=funnel(view, course_key))


@bp.route("/courses/<course_key>/achievements/<path:dedupe_key>")
def holders_page(course_key: str, dedupe_key: str) -> str:
    info = course_for(principal(), course_key)
    column = next((c for c in course_columns(catalog().view, course_key)
                   if c.key == dedupe_key), None)
    if column is None:
        return render_template("errors/404.html"), 404  # type: ignore[return-value]
    found, next_after = holder_page(course_key, dedupe_key, request.args.get("after", 0, int))
    return render_template("console/holders.html", course=info, column=column, found=found,
                           next_after=next_after, enrolled=enrolled_count(course_key),
                           held=holders(course_key, [dedupe_key]).get(dedupe_key, 0))


@bp.route("/courses/<course_key>/learners/<int:user_id>")
def learner(course_key: str, user_id: int) -> str:
    learner_of(principal(), course_key, user_id)
    info = course_for(principal(), course_key)
    awards = learner_awards(user_id, course_award_keys(catalog().view, course_key))
    return render_template("console/learner.html", course=info, awards=awards,
                           person=db.session.get(User, user_id))


@bp.route("/courses/<course_key>/awards/<int:award_id>/revoke", methods=["POST"])
def revoke(course_key: str, award_id: int) -> BaseResponse:
    return _change(course_key, award_id, revoke=True)


@bp.route("/courses/<course_key>/awards/<int:award_id>/restore", methods=["POST"])
def restore(course_key: str, award_id: int) -> BaseResponse:
    return _change(course_key, award_id, revoke=False)


def _change(course_key: str, award_id: int, *, revoke: bool) -> BaseResponse:
    reason = request.form.get("reason", "")
    try:
        award = (revoke_in_course(principal(), course_key, award_id, reason) if revoke
                 else restore_in_course(principal(), course_key, award_id, reason))
    except InvalidInput as exc:
        flash(_("Not changed: %(why)s.", why=exc.detail))
        return redirect(request.referrer or url_for("console.course", course_key=course_key))
    flash(_("“%(title)s” revoked.", title=award.title) if revoke
          else _("“%(title)s” restored.", title=award.title))
    return redirect(url_for("console.learner", course_key=course_key, user_id=award.user_id))


@bp.route("/courses/<course_key>/export.csv")
def export(course_key: str) -> Response:
    """Every learner of the course, one row each: modules done and each achievement."""
    course_for(principal(), course_key)
    columns = course_columns(catalog().view, course_key)
    response = Response(_csv(course_key, columns), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{course_key}.csv"'
    return response


def _csv(course_key: str, columns: list) -> Iterator[str]:  # type: ignore[type-arg]
    yield _line(["user_id", "email", "modules_completed", *[c.key for c in columns]])
    after: int | None = 0
    while after is not None:
        rows, after = learner_page(course_key, columns, after, limit=500)
        for row in rows:
            cells = [_cell(row.cells.get(c.key)) for c in columns]
            yield _line([str(row.user_id), row.email, str(row.modules_done), *cells])


def _cell(cell) -> str:  # type: ignore[no-untyped-def]
    return "" if cell is None else ("revoked" if cell.revoked else "earned")


def _line(values: list[str]) -> str:
    """One CSV line; a value a spreadsheet would run as a formula is quoted as text."""
    out = io.StringIO()
    csv.writer(out).writerow(["'" + v if v.startswith(FORMULA_START) else v for v in values])
    return out.getvalue()
