"""The learner's settings: their name, the language pages speak and the time zone dates
follow."""

from __future__ import annotations

from babel import Locale
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as L_
from flask_babel import refresh
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from app.errors import InvalidInput
from app.infra.translations import shipped_locales
from app.services.accounts import set_preferences
from app.services.notifications.settings import push_key, switches
from app.web.pages import bp


def language_choices() -> list[tuple[str, str]]:
    """"Browser" first, then each shipped language named in itself (Deutsch, العربية)."""
    own = [(code, Locale.parse(code).get_display_name(code).capitalize())
           for code in shipped_locales()]
    return [("", _("Same as my browser")), *own]


class SettingsForm(FlaskForm):
    display_name = StringField(L_("Your name"), validators=[Length(max=120)])
    locale = SelectField(L_("Language"), choices=[], validate_choice=True)
    timezone = StringField(L_("Time zone"), validators=[DataRequired(), Length(max=64)])


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings() -> str | Response:
    form = SettingsForm(locale=current_user.locale or "", timezone=current_user.timezone,
                        display_name=current_user.display_name or "")
    form.locale.choices = language_choices()
    if form.validate_on_submit():
        try:
            set_preferences(current_user, form.locale.data or None, form.timezone.data or "",
                            form.display_name.data)
        except InvalidInput as exc:
            _show_errors(form, exc)
        else:
            refresh()  # confirm in the language just chosen
            flash(_("Your settings are saved."))
            return redirect(url_for("pages.settings"))
    return render_template("settings.html", form=form, notices=switches(current_user.id),
                           push_key=push_key()), 200 if not form.errors else 400


def _show_errors(form: SettingsForm, error: InvalidInput) -> None:
    fields = getattr(error, "fields", None) or {}
    if "display_name" in fields:
        form.display_name.errors = [_("Enter a name of at most 120 letters, without "
                                      "control characters.")]
    else:
        form.timezone.errors = [_("Enter a time zone such as Europe/Berlin.")]
