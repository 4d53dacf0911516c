"""Console pages to give a published badge by hand (find learners or upload a list,
preview, confirm), to follow a long job, and to manage a badge's holders (revoke or
restore several at once with one reason). The badge services decide who may."""

from __future__ import annotations

from typing import Any

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from app.errors import InvalidInput
from app.services.badges.authoring import get_badge, publish_badge
from app.services.badges.by_hand import (
    awardable,
    check_note,
    give,
    holders_among,
    reach,
)
from app.services.badges.holders import badge_holders, change_badge_awards
from app.services.badges.jobs import (
    INLINE_LIMIT,
    job_for,
    learner_count,
    start_award,
    start_publish,
)
from app.services.badges.recipients import (
    MAX_RECIPIENTS,
    resolve_items,
    resolve_lines,
    search_learners,
)
from app.web.console import bp, principal

LIST_LIMIT = 1024 * 1024  # an uploaded list of 10,000 addresses, with room to spare
SHOWN = 100  # rows of each preview group listed on the page (all are counted)
ENDPOINTS = {"console.award_preview", "console.award_confirm"}


@bp.url_value_preprocessor
def _allow_long_lists(endpoint: str | None, values: dict | None) -> None:
    if endpoint in ENDPOINTS and request.method == "POST":
        request.max_content_length = LIST_LIMIT


@bp.route("/badges/<key>/award")
def award_form(key: str) -> str:
    badge = awardable(principal(), key)
    query = request.args.get("q", "")
    found = search_learners(query, reach(principal(), badge)) if query else []
    return render_template("console/award.html", badge=badge, query=query, found=found,
                           limit=MAX_RECIPIENTS)


@bp.route("/badges/<key>/award/preview", methods=["POST"])
def award_preview(key: str) -> str | tuple[str, int]:
    badge = awardable(principal(), key)
    try:
        note = check_note(request.form.get("narrative"), request.form.get("evidence_url"),
                          request.form.get("notify") == "1")
        lines, source = _lines(request.form, request.files.get("file"))
    except InvalidInput as exc:
        return render_template("console/award.html", badge=badge, query="", found=[],
                               limit=MAX_RECIPIENTS, error=exc, form=request.form), 422
    resolved = resolve_lines(lines, reach(principal(), badge))
    ids = [person.user_id for person in resolved.found]
    held = holders_among(badge.dedupe_key, ids)
    return render_template(
        "console/award_preview.html", badge=badge, note=note, source=source,
        receive=[p for p in resolved.found if p.user_id not in held],
        holding=[p for p in resolved.found if p.user_id in held],
        unknown=resolved.unknown, shown=SHOWN, inline_limit=INLINE_LIMIT)


@bp.route("/badges/<key>/award/confirm", methods=["POST"])
def award_confirm(key: str) -> Response:
    badge = awardable(principal(), key)
    note = check_note(request.form.get("narrative"), request.form.get("evidence_url"),
                      request.form.get("notify") == "1")
    ids = _user_ids(request.form.get("user_ids", ""))
    resolved = resolve_items([{"user_id": i} for i in ids], reach(principal(), badge))
    if resolved.unknown:
        raise InvalidInput(_("Some learners can no longer be awarded; preview again."))
    if len(ids) > INLINE_LIMIT:
        job = start_award(principal(), key, ids, note)
        return redirect(url_for("console.job", job_id=job.id))
    outcome = give(principal(), badge, ids, note)
    flash(_given(len(outcome.awarded), len(outcome.already_held)))
    return redirect(url_for("console.badge_holders_page", key=key))


@bp.route("/badges/<key>/count", methods=["POST"])
def count(key: str) -> Response:
    """How many learners would earn the latest version now: inline for a few learners, a
    background job past INLINE_LIMIT (the console's "Count" button; awards nothing)."""
    if learner_count() > INLINE_LIMIT:
        job = start_publish(principal(), key, notify=False, dry_run=True)
        return redirect(url_for("console.job", job_id=job.id))
    answer = publish_badge(principal(), key, dry_run=True)
    flash(ngettext("%(num)s learner would earn it now.", "%(num)s learners would earn it now.",
                   answer["would_earn"]))
    return redirect(url_for("console.edit_badge", key=key))


@bp.route("/jobs/<int:job_id>")
def job(job_id: int) -> str:
    found = job_for(principal(), job_id)
    title = get_badge(principal(), found.badge_key).latest.title
    return render_template("console/job.html", job=found, title=title)


@bp.route("/jobs/<int:job_id>.json")
def job_state(job_id: int) -> Response:
    found = job_for(principal(), job_id)
    return jsonify({"status": found.status, "done": found.done, "total": found.total,
                    "result": found.result, "error": found.error})


@bp.route("/badges/<key>/holders")
def badge_holders_page(key: str) -> str:
    view = badge_holders(principal(), key, request.args.get("after", 0, int))
    return render_template("console/badge_holders.html", view=view)


@bp.route("/badges/<key>/holders/<action>", methods=["POST"])
def badge_holders_change(key: str, action: str) -> Response:
    if action not in ("revoke", "restore"):
        return redirect(url_for("console.badge_holders_page", key=key))
    ids = [int(v) for v in request.form.getlist("award") if v.isdigit()]
    try:
        changed = change_badge_awards(principal(), key, ids, request.form.get("reason", ""),
                                      revoke=action == "revoke")
    except InvalidInput as exc:
        flash(_("Not changed: %(why)s.", why=exc.detail))
        return redirect(url_for("console.badge_holders_page", key=key))
    flash(ngettext("%(num)s award revoked.", "%(num)s awards revoked.", len(changed))
          if action == "revoke" else
          ngettext("%(num)s award restored.", "%(num)s awards restored.", len(changed)))
    return redirect(url_for("console.badge_holders_page", key=key))


def _lines(form: Any, upload: FileStorage | None) -> tuple[list[str], str]:
    """The addresses typed, picked from the search, or uploaded (one per line)."""
    if upload is not None and upload.filename:
        data = upload.read()
        try:
            return data.decode("utf-8-sig").splitlines(), upload.filename
        except UnicodeDecodeError as exc:
            raise InvalidInput(_("The file is not UTF-8 text: save it as CSV (UTF-8)."),
                               fields={"file": ["not UTF-8"]}) from exc
    lines = form.get("emails", "").splitlines() + form.getlist("user_id")
    if not any(line.strip() for line in lines):
        raise InvalidInput(_("Choose learners, type their emails or upload a list."),
                           fields={"emails": ["required"]})
    return lines, ""


def _user_ids(text: str) -> list[int]:
    ids = [int(part) for part in text.split(",") if part.strip().isdigit()]
    if not ids:
        raise InvalidInput(_("No learner to award."), fields={"user_ids": ["required"]})
    return list(dict.fromkeys(ids))


def _given(awarded: int, held: int) -> str:
    text = ngettext("Awarded to %(num)s learner.", "Awarded to %(num)s learners.", awarded)
    if held:
        text += " " + ngettext("%(num)s already held it.", "%(num)s already held it.", held)
    return text

