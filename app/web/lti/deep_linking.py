"""Deep Linking 2.0 pages: the instructor's picker (what the placed link opens) and the
auto-posting page that returns the signed answer to the LMS; and where a placed link's
launch lands (``target_url``). The rules are ``app.services.lti.deep_linking``'s.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, current_app, make_response, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.errors import DomainError, InvalidInput, NotFound
from app.extensions import db
from app.models import Course, LtiPlatform
from app.services.accounts.courses import courses_taught
from app.services.lti import contexts
from app.services.lti import deep_linking as dl
from app.services.lti.launch import Launch
from app.web.lti import bp
from app.web.lti.framing import allow_form_action

LANDINGS = {
    "dashboard": lambda key: url_for("pages.dashboard"),
    "course_player": lambda key: url_for("pages.course_player", course_key=key),
    "course_console": lambda key: url_for("console.course", course_key=key),
    "badge_console": lambda key: url_for("console.edit_badge", key=key),
    "award": lambda key: url_for("pages.achievement_detail", award_id=key),
}


def start(launch: Launch) -> ResponseReturnValue:
    """An ``LtiDeepLinkingRequest``: instructors of a mapped course get the picker."""
    if launch.course_role != "instructor":
        return _not_an_instructor()
    try:
        settings = dl.settings_from(launch.claims)
    except InvalidInput as error:
        return _notice(_("The LMS asked for a link this tool cannot give: %(why)s.",
                         why=error.detail), 400)
    pending = dl.Pending(launch.platform.id, launch.deployment.deployment_id,
                         settings.return_url, settings.data, launch.user.id,
                         _course_key(launch) or "",
                         launch.context.id if launch.context is not None else None)
    if not pending.course_key:
        return _course_chooser(pending)
    return _picker(pending, dl.seal(pending))


@bp.route("/deep-linking/course", methods=["POST"])
@login_required
def deep_linking_course() -> ResponseReturnValue:
    """The LMS course connected to the instructor's choice; then the picker for it."""
    pending = _returned_request(teaching=False)
    try:
        pending = dl.connect(pending, request.form.get("course", ""),
                             current_user._get_current_object())
    except DomainError:
        return _course_chooser(pending, _("Choose one of the courses listed."), 422)
    return _picker(pending, dl.seal(pending))


@bp.route("/deep-linking", methods=["POST"])
@login_required
def deep_linking_choice() -> ResponseReturnValue:
    """The instructor's choice: signed and posted back to the LMS."""
    pending = _returned_request(teaching=True)
    try:
        chosen = dl.placement(pending.course_key, request.form.get("target", ""))
    except (InvalidInput, NotFound):
        return _picker(pending, request.form["request"],
                       error=_("Choose one of the pages below."), status=422)
    platform = db.session.get(LtiPlatform, pending.platform_id)
    if platform is None:
        return _notice(_("This LMS is no longer registered here."), 400)
    launch_url = current_app.config["PUBLIC_URL"] + url_for("lti.launch")
    token = dl.response_jwt(platform, pending.deployment_id, pending.settings, chosen,
                            launch_url, _title(chosen))
    parts = urlsplit(pending.return_url)
    allow_form_action(f"{parts.scheme}://{parts.netloc}")
    return render_template("lti/deep_linking_return.html", return_url=pending.return_url,
                           jwt=token, title=_title(chosen))


def target_url(launch: Launch, course_key: str) -> str:
    """Where a launch of a placed link goes (its custom ``target``; none: the dashboard)."""
    found = dl.landing(launch.custom.get("target", "dashboard"), course_key, launch.user.id,
                       launch.course_role == "instructor")
    return LANDINGS[found.page](found.key)


def _returned_request(teaching: bool) -> dl.Pending:
    """The request a picker form carried back; a page in words ends the request instead
    when it was altered or expired (400), is another person's, or (``teaching``) names a
    course they do not teach (403)."""
    try:
        pending = dl.unseal(request.form.get("request", ""))
    except InvalidInput:
        abort(make_response(_notice(_("This choice expired or was altered. Add the tool again "
                                      "from the LMS course."), 400)))
    if pending.user_id != current_user.id or (teaching and not _teaches(pending.course_key)):
        abort(make_response(_not_an_instructor()))
    return pending


def _not_an_instructor() -> ResponseReturnValue:
    return _notice(_("Only the course's instructors can choose what this link opens."), 403)


def _course_chooser(pending: dl.Pending, error: str | None = None,
                    status: int = 200) -> ResponseReturnValue:
    courses = (contexts.claimable_courses(pending.context_id, pending.user_id)
               if pending.context_id is not None else [])
    if not courses:
        return _notice(_("This LMS course is not connected to a course here, and there is "
                         "no course you may connect it to. Ask an administrator."), 409)
    page = render_template("lti/deep_linking_course.html", courses=courses, error=error,
                           request_token=dl.seal(pending))
    return page, status


def _picker(pending: dl.Pending, token: str, error: str | None = None,
            status: int = 200) -> ResponseReturnValue:
    choices = dl.choices(pending.course_key)
    page = render_template("lti/deep_linking.html", choices=choices, request_token=token,
                           course=choices[0].title, error=error)
    return page, status


def _title(chosen: dl.Placement) -> str:
    if chosen.target == "course":
        return _("Achievements in %(course)s", course=chosen.title)
    if chosen.target == "dashboard":
        return _("My achievements")
    return chosen.title


def _course_key(launch: Launch) -> str | None:
    if launch.context is not None and launch.context.course_id is not None:
        course = db.session.get(Course, launch.context.course_id)
        return course.key if course else None
    return None


def _teaches(course_key: str) -> bool:
    return current_user.role == "admin" or course_key in courses_taught(current_user.id)


def _notice(message: str, status: int) -> ResponseReturnValue:
    return render_template("lti/deep_linking_notice.html", message=message), status
