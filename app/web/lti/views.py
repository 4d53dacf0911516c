"""``/lti/login`` (OIDC login initiation), ``/lti/launch``, ``/lti/jwks.json`` and the
pages a launch may end on: choose the course (instructors of an unmapped LMS course),
"not set up yet" (its learners), refused (every failed check, 400/401 naming it).

A launch signs the person in afresh (no session fixation) in a session whose pages the
launching platform may frame (app.web.lti.framing). When the browser sent no cookie
back (third-party cookies blocked in the frame), the state is read from the
platform's client-side storage by a same-origin request; a session cookie would not
stick in that frame either, so the launch ends on an "open in a new window" link
carrying a one-time handoff.
"""

from __future__ import annotations

import logging

from flask import current_app, jsonify, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import current_user, login_required, login_user
from werkzeug.wrappers import Response

from app.errors import DomainError
from app.extensions import db
from app.infra.metrics import record
from app.models import Course, LtiContext, User
from app.services.accounts.identities import LinkRequired
from app.services.lti import claims as c
from app.services.lti import contexts, handoff, keys, names_roles, state
from app.services.lti import launch as launches
from app.services.lti.launch import Launch, LaunchForm, StoredStateNeeded, origin_of
from app.services.lti.login import start_login
from app.services.signin import SignInRefused
from app.web.lti import bp, deep_linking
from app.web.lti.framing import (
    delete_cross_site_cookie,
    remember_launch,
    set_cross_site_cookie,
)

log = logging.getLogger(__name__)
TEACHES = "lti_teaches"  # LMS contexts this session launched into as an instructor
STORAGE_HEADER = "X-LTI-Storage"  # only our own page's same-origin fetch can send it


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Answer the platform's login initiation with an authentication request to it."""
    public_url = current_app.config["PUBLIC_URL"]
    try:
        start = start_login(request.values.to_dict(), public_url,
                            public_url + url_for(".launch"))
    except SignInRefused as exc:
        return refused_page(exc)
    answer: Response = redirect(start.auth_url)
    if start.storage_target:  # also keep the state in the platform's storage
        answer = _response(render_template(
            "lti/storage.html", mode="put", auth_url=start.auth_url, state=start.state,
            target=start.storage_target, origin=start.platform_origin))
    set_cross_site_cookie(answer, state.cookie_name(start.state),
                          state.cookie_value(start.state), state.STATE_SECONDS)
    return answer


@bp.post("/launch")
def launch() -> ResponseReturnValue:
    """Check the platform's id_token completely, then sign in and land (or refuse)."""
    form = LaunchForm(request.form.get("id_token"), request.form.get("state"),
                      request.cookies.to_dict(), _stored_state())
    try:
        done = launches.launch(form)
    except StoredStateNeeded as need:
        return render_template("lti/storage.html", mode="get", state=form.state,
                               id_token=form.id_token, target=need.storage_target,
                               origin=need.platform_origin)
    except SignInRefused as exc:
        return refused_page(exc)
    except LinkRequired as exc:
        return render_template("signin_link.html", email=exc.claims.email, verified=False,
                               error=None), 409
    if done.via_storage:  # no cookie sticks in this frame: continue in a window of its own
        target = _destination(done) or url_for("pages.dashboard")
        return jsonify(open=handoff.link(done.user.id, target, _taught_context(done)))
    answer = _sign_in(done)
    delete_cross_site_cookie(answer, state.cookie_name(form.state or ""))
    return answer


@bp.get("/open/<token>")
def open_in_window(token: str) -> ResponseReturnValue:
    """The one-time handoff of a launch whose frame keeps no cookies: signed in here, in a
    window of its own, where the session cookie is first-party."""
    found = handoff.take(token)
    if found is None:
        return _notice(_("This link has expired"), _("Open the tool from your course again."),
                       410)
    user = db.session.get(User, found.user_id)
    if user is None:
        return _notice(_("This link has expired"), _("Open the tool from your course again."),
                       410)
    session.clear()
    login_user(user)
    if found.context_id is not None:
        session[TEACHES] = [found.context_id]
    return redirect(found.target)


@bp.get("/jwks.json")
def jwks() -> ResponseReturnValue:
    """The tool's public keys, for platforms verifying what it signs."""
    answer = jsonify(keys.public_jwks())
    answer.cache_control.public, answer.cache_control.max_age = True, 300
    return answer


@bp.route("/contexts/<int:context_id>/course", methods=["GET", "POST"])
@login_required
def choose_course(context_id: int) -> ResponseReturnValue:
    """An instructor connects their LMS course to one of ours (CSRF-protected form)."""
    context = db.session.get(LtiContext, context_id)
    if context is None or context_id not in session.get(TEACHES, []):
        return _notice(_("Not allowed"), _("Only an instructor who opened the tool from this "
                                            "LMS course can connect it."), 403)
    if request.method == "POST":
        return _map(context, request.form.get("course", ""))
    return _chooser(context)


def _map(context: LtiContext, course_key: str) -> ResponseReturnValue:
    try:
        course = contexts.connect(context.id, course_key, current_user._get_current_object())
    except DomainError:
        return _chooser(context, _("Choose one of the courses listed."), 422)
    log.info("lti context %s mapped to course %s by user %s", context.id, course.key,
             current_user.id)
    return redirect(url_for("console.course", course_key=course.key))


def _chooser(context: LtiContext, error: str | None = None,
             status: int = 200) -> ResponseReturnValue:
    courses = contexts.claimable_courses(context.id, current_user.id)
    return render_template("lti/choose_course.html", context=context, courses=courses,
                           error=error), status


def _sign_in(done: Launch) -> Response:
    """A fresh session for the launched person, framed by their platform only."""
    session.clear()
    login_user(done.user)
    remember_launch(_frame_origins(done))
    record.signed_in("lti", done.created)
    if _taught_context(done) is not None:
        session[TEACHES] = [_taught_context(done)]
    if done.message_type == c.DEEP_LINKING_REQUEST:
        return _response(deep_linking.start(done))
    target = _destination(done)
    if target is None:
        return _response(_notice(_("Not set up yet"), _(
            "Your course has not been connected to its achievements yet. Please check "
            "back later, or ask your instructor."), 200))
    return redirect(target)


def _destination(done: Launch) -> str | None:
    """A resource link's page: the placed one, or the course choice (an instructor of an
    unmapped LMS course); None for a learner there ("not set up yet"). An instructor's
    launch of a mapped course also asks for the roster."""
    course = _course(done)
    if done.context is not None and course is None:
        if done.course_role != "instructor":
            return None
        return url_for(".choose_course", context_id=done.context.id)
    taught = _taught_context(done)
    if course is not None and taught is not None:
        _request_roster_sync(taught)
    return _landing(done, course)


def _taught_context(done: Launch) -> int | None:
    """The LMS context an instructor launched into (they may connect it)."""
    if done.context is not None and done.course_role == "instructor":
        return done.context.id
    return None


def _landing(done: Launch, course: Course | None = None) -> str:
    course = course or _course(done)
    if course is None:
        return url_for("pages.dashboard")
    return deep_linking.target_url(done, course.key)


def _course(done: Launch) -> Course | None:
    if done.context is None or done.context.course_id is None:
        return None
    return db.session.get(Course, done.context.course_id)


def _request_roster_sync(context_id: int) -> None:
    """The roster from the platform's Names and Roles service, in the background."""
    names_roles.request_sync(context_id)


def _frame_origins(done: Launch) -> list[str]:
    """The platform's origins as registered, and where its signed claims say the person
    came from (an LMS may serve its pages from another host than its issuer's)."""
    origins = {origin_of(done.platform.issuer), origin_of(done.platform.auth_login_url)}
    presentation = done.claims.get(c.LAUNCH_PRESENTATION)
    back = presentation.get("return_url") if isinstance(presentation, dict) else None
    if isinstance(back, str) and back.startswith("https://"):
        origins.add(origin_of(back))
    return sorted(origins)


def _stored_state() -> str | None:
    """The state our launch page read from the platform's storage; only from our own
    page's request (a custom header: a cross-site form cannot send one)."""
    if request.headers.get(STORAGE_HEADER) != "1":
        return None
    return request.form.get("stored_state", "")


def _notice(title: str, message: str, status: int) -> ResponseReturnValue:
    return render_template("lti/notice.html", title=title, message=message), status


def _response(value: ResponseReturnValue) -> Response:
    return current_app.make_response(value)


def refused_page(exc: SignInRefused) -> ResponseReturnValue:
    """What was wrong, in words; the log and the metrics carry the reason code."""
    return render_template("lti/refused.html", reason=exc.reason,
                           explanation=REFUSALS.get(exc.reason, "")), exc.status


REFUSALS = {
    "state": lazy_gettext("The launch did not come back to the browser that started it, "
                          "or took too long."),
    "format": lazy_gettext("The LMS sent no valid launch token."),
    "nonce": lazy_gettext("The launch token was not made for this sign-in."),
    "replay": lazy_gettext("This launch was used already."),
    "issuer": lazy_gettext("This LMS is not registered with this tool."),
    "registration": lazy_gettext("This LMS awaits an administrator's confirmation."),
    "signature": lazy_gettext("The launch token's signature does not match the LMS's keys."),
    "platform_keys": lazy_gettext("The LMS's keys could not be fetched."),
    "deployment": lazy_gettext("This installation of the tool is not registered."),
    "message": lazy_gettext("The LMS sent a kind of launch this tool does not take."),
    "audience": lazy_gettext("The launch token was made for another tool."),
    "expired": lazy_gettext("The launch token has expired."),
    "issued_in_future": lazy_gettext("The launch token is dated in the future."),
    "login": lazy_gettext("The LMS's sign-in request was incomplete."),
    "nonce_store": lazy_gettext("The tool cannot check launches right now."),
}
