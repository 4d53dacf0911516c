"""Console pages for a course an instructor teaches: learners by achievements (paged), each
achievement's holders and rarity, the completion funnel, and revoke/restore
with a reason (logged in the audit trail by the service). CSV downloads: exports.py."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response as BaseResponse

from app.errors import InvalidInput
from app.extensions import db
from app.infra.caches.catalog import catalog
from app.models import User
from app.read.badge_holders import Holder, Person
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
from app.services.lti.names_roles import roster_status
from app.services.teaching import (
    change_in_course,
    course_for,
    learner_of,
    restore_in_course,
    revoke_in_course,
    visible_courses,
)
from app.web.console import bp, principal


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
                           roster=roster_status(course_key),
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
    rows = [Holder(award, Person(award.user_id, email, None)) for award, email in found]
    return render_template("console/holders.html", course=info, column=column, rows=rows,
                           next_after=next_after, enrolled=enrolled_count(course_key),
                           held=holders(course_key, [dedupe_key]).get(dedupe_key, 0))


@bp.route("/courses/<course_key>/learners/<int:user_id>")
def learner(course_key: str, user_id: int) -> str:
    learner_of(principal(), course_key, user_id)
    info = course_for(principal(), course_key)
    awards = learner_awards(user_id, course_award_keys(catalog().view, course_key))
    person = db.session.get(User, user_id)
    who = Person(user_id, person.email, person.display_name) if person else None
    return render_template("console/learner.html", course=info, person=person,
                           rows=[Holder(award, who) for award in awards])


@bp.route("/courses/<course_key>/awards/<any(revoke, restore):action>", methods=["POST"])
def change_many(course_key: str, action: str) -> BaseResponse:
    """Revoke or restore the awards chosen on a holders or learner page, with one reason."""
    ids = [int(value) for value in request.form.getlist("award") if value.isdigit()]
    back = request.form.get("back", "")
    if not back.startswith(f"/console/courses/{course_key}/") or "//" in back:
        back = url_for("console.course", course_key=course_key)
    try:
        changed = change_in_course(principal(), course_key, ids, request.form.get("reason", ""),
                                   revoke=action == "revoke")
    except InvalidInput as exc:
        flash(_("Not changed: %(why)s.", why=exc.detail))
        return redirect(back)
    flash(ngettext("%(num)s award revoked.", "%(num)s awards revoked.", len(changed))
          if action == "revoke" else
          ngettext("%(num)s award restored.", "%(num)s awards restored.", len(changed)))
    return redirect(back)


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
