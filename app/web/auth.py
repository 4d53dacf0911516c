"""Log-in and log-out pages (Flask-Login sessions, Flask-WTF CSRF-protected form)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Flask, redirect, render_template, request, session, url_for
from flask_login import login_required, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Email, Length

from app.accounts import authenticate, get_user
from app.extensions import login

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Email(check_deliverability=False)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


def init_login(app: Flask) -> None:
    login.init_app(app)
    login.login_view = "auth.login_page"
    login.session_protection = "strong"
    login.user_loader(lambda user_id: get_user(int(user_id)))


@bp.route("/login", methods=["GET", "POST"])
def login_page() -> str | Response:
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        user = authenticate(form.email.data or "", form.password.data or "")
        if user is not None:
            session.clear()  # a fresh session on log-in: no fixation
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        error = "Email or password is incorrect."
    status = 401 if error else 200
    return render_template("login.html", form=form, error=error), status  # type: ignore[return-value]


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    logout_user()
    session.clear()
    return redirect(url_for("auth.login_page"))


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths; anything else goes to the dashboard."""
    if target and target.startswith("/") and not target.startswith("//") \
            and not urlsplit(target).netloc:
        return target
    return url_for("pages.dashboard")
