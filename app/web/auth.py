"""Log-in and log-out pages (Flask-Login sessions, Flask-WTF CSRF-protected form)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_babel import lazy_gettext as L_
from flask_login import login_required, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Email, Length

from app.extensions import login
from app.services.accounts import authenticate, get_user
from app.services.accounts.throttle import (
    TooManyAttempts,
    check_allowed,
    clear_failures,
    record_failure,
    throttle_key,
)

bp = Blueprint("auth", __name__)
PROVIDER_SESSION = "signin_provider"  # {name, id_token} of an OpenID Connect sign-in
SIGNED_OUT_OF = "signed_out_of"


class LoginForm(FlaskForm):
    email = EmailField(L_("Email"), validators=[DataRequired(),
                                                Email(check_deliverability=False)])
    password = PasswordField(L_("Password"), validators=[DataRequired(), Length(max=200)])


def init_login(app: Flask) -> None:
    login.init_app(app)
    login.login_view = "auth.login_page"
    # Information, not a success: the flash is drawn by its category (base.html).
    login.login_message = L_("Please log in to see this page.")
    login.login_message_category = "info"
    login.session_protection = "strong"
    login.user_loader(lambda user_id: get_user(int(user_id)))


@bp.route("/login", methods=["GET", "POST"])
def login_page() -> str | Response:
    """Log in; failures are throttled per (email, address) before the password is checked.
    With ``PASSWORD_LOGIN`` off only the institution buttons are offered, and a posted
    password is refused unread, except at ``/login?recovery=1``: the break-glass way in
    for an administrator the CLI made (``users create … --role admin``), admins only."""
    form = LoginForm()
    recovery = not current_app.config.get("PASSWORD_LOGIN", True)
    if recovery and request.args.get("recovery") != "1":
        if request.method == "POST":
            return _refused(form, _("Sign-in with a password is turned off here."), 403)
        return render_template("login.html", form=form, error=None)
    if not form.validate_on_submit():
        return render_template("login.html", form=form, error=None, recovery=recovery)
    return _password_sign_in(form, admins_only=recovery)


def _password_sign_in(form: LoginForm, *, admins_only: bool) -> Response:
    key = throttle_key(form.email.data or "", request.remote_addr)
    try:
        check_allowed(key)
    except TooManyAttempts as exc:
        wait = format_timedelta(timedelta(seconds=exc.retry_after), threshold=1)
        return _refused(form, _("Too many failed log-ins. Try again in %(wait)s.", wait=wait),
                        429, {"Retry-After": str(exc.retry_after)})
    user = authenticate(form.email.data or "", form.password.data or "")
    if user is None:
        record_failure(key)
        return _refused(form, _("Email or password is incorrect."), 401)
    clear_failures(key)
    if admins_only and user.role != "admin":
        return _refused(form, _("Sign-in with a password is turned off here."), 403)
    session.clear()  # a fresh session on log-in: no fixation
    login_user(user)
    return redirect(safe_next(request.args.get("next")))


def _refused(form: LoginForm, error: str, status: int,
             headers: dict[str, str] | None = None) -> Response:
    recovery = not current_app.config.get("PASSWORD_LOGIN", True) \
        and request.args.get("recovery") == "1"
    body = render_template("login.html", form=form, error=error, recovery=recovery)
    return Response(body, status=status, headers=headers, mimetype="text/html")


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    """End our session. Who signed in through a provider keeps only what the login page
    needs to offer ending the provider's session too (``app.web.signin``)."""
    provider_session = session.get(PROVIDER_SESSION)
    logout_user()
    session.clear()
    if provider_session:
        session[SIGNED_OUT_OF] = provider_session
    return redirect(url_for("auth.login_page"))


def safe_next(target: str | None) -> str:
    """Only same-site relative paths; anything else goes to the dashboard."""
    if target and target.startswith("/") and not target.startswith("//") \
            and "\\" not in target and not urlsplit(target).netloc:
        return target
    return url_for("pages.dashboard")


def redirect_next(target: str | None) -> Response:
    """After any sign-in: ``target`` when it is a same-site path, else the dashboard."""
    return redirect(safe_next(target))
