"""The console's CSV downloads in process: what a course team reads in them, who may
download a learner's, the formula guard, and a body that reaches its end with no app
context left over from the test (as under a real server)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from app import create_app
from app.extensions import db
from app.models import User
from app.services.accounts import create_user, enroll
from app.services.awarding.revocation import revoke_award
from tests.conftest import embedded_config
from tests.support.catalog import build_catalog
from tests.web.conftest import award
from tests.web.console.big_course import add_learners

MAY_1, JUNE_2 = datetime(2024, 5, 1, 9, 30, tzinfo=UTC), datetime(2024, 6, 2, 23, 30, tzinfo=UTC)


def table(response: Any) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def learner_url(world: dict[str, Any], course: str = "c1") -> str:
    return f"/console/courses/{course}/learners/{world['ann_id']}/export.csv"


def unit_award(world: dict[str, Any], *, revoked: bool = False) -> None:
    ann = db.session.get(User, world["ann_id"])
    stored = award(ann, "c1-u1", kind="unit_complete", earned_at=MAY_1)
    if revoked:
        revoke_award(stored.id, "+copied the quiz", "Ida")
        stored.revoked_at = JUNE_2
        db.session.commit()


def test_the_course_export_has_a_title_row_for_people(world, client_for) -> None:
    rows = table(client_for("ida").get("/console/courses/c1/export.csv"))
    assert rows[0] == ["Learner id", "Email", "Name", "Modules completed (of 2)",
                       "Course complete: Course c1", "Unit complete: Unit 1"]
    assert rows[1][:4] == [str(world["ann_id"]), "ann@example.com", "", "0"]


def test_stable_keys_on_request(world, client_for) -> None:
    rows = table(client_for("ida").get("/console/courses/c1/export.csv?header=keys"))
    assert rows[0] == ["user_id", "email", "name", "modules_completed", "course_complete:c1",
                       "unit_complete:c1-u1"]


def test_cells_say_earned_or_revoked_and_when(world, client_for) -> None:
    unit_award(world)
    assert table(client_for("ida").get("/console/courses/c1/export.csv"))[1][4:] == [
        "", "earned 2024-05-01"]


def test_a_revoked_cell_gives_the_revocation_date(world, client_for) -> None:
    unit_award(world, revoked=True)
    assert table(client_for("ida").get("/console/courses/c1/export.csv"))[1][5] == \
        "revoked 2024-06-02"


def test_dates_are_in_the_readers_time_zone(world, client_for) -> None:
    unit_award(world, revoked=True)
    db.session.get(User, world["ida"].id).timezone = "Asia/Tokyo"
    db.session.commit()
    assert table(client_for("ida").get("/console/courses/c1/export.csv"))[1][5] == \
        "revoked 2024-06-03"


def test_a_value_a_spreadsheet_would_run_is_quoted_as_text(world, client_for) -> None:
    db.session.get(User, world["ann_id"]).display_name = "=HYPERLINK(\"http://x\")"
    db.session.commit()
    unit_award(world, revoked=True)
    course = table(client_for("ida").get("/console/courses/c1/export.csv"))
    assert course[1][2] == "'=HYPERLINK(\"http://x\")"
    learner = table(client_for("ida").get(learner_url(world)))
    assert "'+copied the quiz" in learner[1]


def test_a_learners_export_lists_their_achievements_in_words(world, client_for) -> None:
    unit_award(world, revoked=True)
    rows = table(client_for("ida").get(learner_url(world)))
    assert rows[0] == ["Achievement", "Type", "Status", "Earned at (UTC)", "Revoked at (UTC)",
                       "Reason for revoking", "Revoked by", "Key"]
    by_key = {row[-1]: row for row in rows[1:]}
    assert by_key["unit_complete:c1-u1"][1:] == [
        "Unit complete", "revoked", "2024-05-01 09:30", "2024-06-02 23:30",
        "'+copied the quiz", "Ida", "unit_complete:c1-u1"]
    assert by_key["module_complete:c1-u1-m1"][1:3] == ["Module complete", "earned"]


def test_a_learners_export_is_a_named_download(world, client_for) -> None:
    response = client_for("ida").get(learner_url(world))
    assert response.headers["Content-Disposition"] == \
        f'attachment; filename="c1-learner-{world["ann_id"]}.csv"'


@pytest.mark.parametrize(("who", "status"), [("ida", 200), ("ada", 200), ("oscar", 404),
                                             ("ann", 403), (None, 302)])
def test_who_may_download_a_learners_export(world, client_for, who, status) -> None:
    """Its course's instructor and admins; another course's instructor finds nothing; a
    learner is refused; anonymous is sent to log in."""
    response = client_for(who).get(learner_url(world))
    assert response.status_code == status
    if who is None:
        assert response.headers["Location"].startswith("/login")


def test_only_learners_of_the_course_can_be_exported(world, client_for) -> None:
    ida = client_for("ida")
    assert ida.get(learner_url(world, course="c2")).status_code == 404
    assert ida.get(f"/console/courses/c1/learners/{world['ida'].id}/export.csv"
                   ).status_code == 404
    assert ida.get("/console/courses/c1/learners/999/export.csv").status_code == 404


def test_the_pages_link_their_downloads(world, client_for) -> None:
    ida = client_for("ida")
    learner_page = ida.get(f"/console/courses/c1/learners/{world['ann_id']}").get_data(
        as_text=True)
    assert learner_url(world) in learner_page
    assert "/console/courses/c1/export.csv" in ida.get("/console/courses/c1").get_data(
        as_text=True)


def test_the_body_reaches_its_end_without_an_app_context_around_it(tmp_path: Path) -> None:
    """A real server reads the body after the view's contexts are gone; so does the test
    client when the test holds no context. Every page is read and no connection is left
    checked out afterwards."""
    app = create_app(embedded_config(tmp_path))
    app.config["WTF_CSRF_ENABLED"] = False
    with app.app_context():
        db.create_all()
        build_catalog("c1")
        teacher = create_user("ida@example.com", "password123", "instructor", "UTC")
        enroll(teacher.id, "c1", "instructor")
        add_learners("c1", 1203)  # three pages of 500 and a bit
        db.session.remove()
    client: FlaskClient = app.test_client()
    assert client.post("/login", data={"email": "ida@example.com", "password": "password123"}
                       ).status_code == 302
    rows = table(client.get("/console/courses/c1/export.csv"))
    assert len(rows) == 1 + 1203
    with app.app_context():
        assert db.engine.pool.checkedout() == 0
