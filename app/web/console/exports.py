"""CSV downloads for course teams: a course's learners by achievement, and one learner's
achievements in a course.

Why ``stream_with_context``: a response body is read after the view returns, once Flask
has popped the request and app contexts (and removed their database session). A plain
generator then met "working outside of application context" after its header line and
the download ended short ("transfer closed with outstanding read data remaining"). With
it, Flask pushes both contexts again around the generator, so its queries have a session,
and the teardown after its last row (or after the client hangs up) removes that session.
The course export reads 500 learners a page and gives the connection back before sending
each page (``learner_pages``), so a slow download holds neither memory nor a connection.

Cells are for a spreadsheet: a title row in the reader's language ("Unit complete:
Basics"), "earned 2024-05-01" / "revoked 2024-06-02" cells, dates in the reader's time
zone; ``?header=keys`` gives the stable keys instead of titles, for scripts. A value a
spreadsheet would run as a formula is quoted as text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import datetime

from flask import Response, request, stream_with_context
from flask_babel import get_timezone
from flask_babel import gettext as _
from werkzeug.utils import secure_filename

from app.infra.caches.catalog import catalog
from app.models import Achievement
from app.read.course_report import (
    Cell,
    Column,
    Row,
    course_award_keys,
    course_columns,
    learner_awards,
    learner_pages,
    module_count,
)
from app.services.teaching import course_for, learner_of
from app.web.console import bp, principal
from app.web.localized import award_title, type_label

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
EXPORT_PAGE = 500


@bp.route("/courses/<course_key>/export.csv")
def export(course_key: str) -> Response:
    """Every learner of the course, one row each: modules done and each achievement."""
    course_for(principal(), course_key)
    view = catalog().view
    columns = course_columns(view, course_key)
    header = (_key_header(columns) if request.args.get("header") == "keys"
              else _title_header(columns, module_count(view, course_key)))
    return _download(stream_with_context(_course_lines(course_key, columns, header)),
                     f"{course_key}.csv")


@bp.route("/courses/<course_key>/learners/<int:user_id>/export.csv")
def learner_export(course_key: str, user_id: int) -> Response:
    """One learner's achievements in the course, newest first, revoked ones included."""
    learner_of(principal(), course_key, user_id)
    awards = learner_awards(user_id, course_award_keys(catalog().view, course_key))
    zone = str(get_timezone())
    header = [_("Achievement"), _("Type"), _("Status"), _("Earned at (%(zone)s)", zone=zone),
              _("Revoked at (%(zone)s)", zone=zone), _("Reason for revoking"),
              _("Revoked by"), _("Key")]
    body = "".join([_line(header), *(_line(_award_cells(award)) for award in awards)])
    return _download(body, f"{course_key}-learner-{user_id}.csv")


def _download(body: str | Iterable[str], filename: str) -> Response:
    response = Response(body, mimetype="text/csv")
    name = secure_filename(filename) or "export.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _title_header(columns: list[Column], modules: int) -> list[str]:
    return [_("Learner id"), _("Email"), _("Name"),
            _("Modules completed (of %(n)s)", n=modules),
            *[f"{type_label(c.kind)}: {c.title}" for c in columns]]


def _key_header(columns: list[Column]) -> list[str]:
    return ["user_id", "email", "name", "modules_completed", *[c.key for c in columns]]


def _course_lines(course_key: str, columns: list[Column], header: list[str]
                  ) -> Iterator[str]:
    yield _line(header)
    for rows in learner_pages(course_key, columns, EXPORT_PAGE):
        yield "".join(_line(_row_cells(row, columns)) for row in rows)


def _row_cells(row: Row, columns: list[Column]) -> list[str]:
    cells = [_cell(row.cells.get(c.key)) for c in columns]
    return [str(row.user_id), row.email, row.name or "", str(row.modules_done), *cells]


def _cell(cell: Cell | None) -> str:
    if cell is None:
        return ""
    if cell.revoked:
        return _("revoked %(date)s", date=_day(cell.revoked_at))
    return _("earned %(date)s", date=_day(cell.earned_at))


def _award_cells(award: Achievement) -> list[str]:
    status = _("revoked") if award.revoked_at else _("earned")
    return [award_title(award), type_label(award.achievement_type), status,
            _moment(award.earned_at), _moment(award.revoked_at), award.revoked_reason or "",
            award.revoked_by or "", award.dedupe_key]


def _day(value: datetime | None) -> str:
    return value.astimezone(get_timezone()).strftime("%Y-%m-%d") if value else ""


def _moment(value: datetime | None) -> str:
    return value.astimezone(get_timezone()).strftime("%Y-%m-%d %H:%M") if value else ""


def _line(values: list[str]) -> str:
    """One CSV line; a value a spreadsheet would run as a formula is quoted as text."""
    out = io.StringIO()
    csv.writer(out).writerow(["'" + v if v.startswith(FORMULA_START) else v for v in values])
    return out.getvalue()
