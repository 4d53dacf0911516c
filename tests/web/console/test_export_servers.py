"""The course export of 5,000 learners over real HTTP, read to its last byte, under gunicorn
with gevent workers (production) and under ``flask run`` (werkzeug): both servers read the
body after the view's contexts are gone, which cut the download after its header row.

One PostgreSQL database is seeded once (in bulk) and both servers serve it.
"""

from __future__ import annotations

import csv
import io
import re
import sys
from collections.abc import Iterator

import pytest
import requests

from app import create_app
from app.config import Config
from app.extensions import db
from app.services.accounts import create_user, enroll
from tests.support.catalog import build_catalog
from tests.support.services import fresh_database
from tests.support.web_server import WebServer
from tests.web.console.big_course import BigCourse, add_learners

pytestmark = pytest.mark.integration
LEARNERS = 5000
TEACHER, PASSWORD = "ida@example.com", "teach-them-42"


class FlaskRunServer(WebServer):
    """The same app under ``flask run`` (werkzeug's threaded development server)."""

    ready_marker = b"Running on"

    def command(self) -> list[str]:
        return [sys.executable, "-m", "flask", "--app", "wsgi", "run", "--host", "127.0.0.1",
                "--port", str(self.port)]


@pytest.fixture(scope="module")
def seeded() -> Iterator[tuple[str, BigCourse]]:
    with fresh_database() as url:
        app = create_app(Config(DATABASE_URL=url, SECRET_KEY="seed"))
        with app.app_context():
            build_catalog("c1")
            enroll(create_user(TEACHER, PASSWORD, "instructor", "UTC").id, "c1", "instructor")
            course = add_learners("c1", LEARNERS)
            db.session.remove()
            db.engine.dispose()
        yield url, course


@pytest.fixture(scope="module")
def servers(seeded: tuple[str, BigCourse]) -> Iterator[dict[str, WebServer]]:
    started: dict[str, WebServer] = {}
    try:
        for name, kind in (("gunicorn", WebServer), ("flask", FlaskRunServer)):
            started[name] = kind({"DATABASE_URL": seeded[0]}, name=f"export-{name}").start()
        yield started
    finally:
        for server in started.values():
            server.stop()


def logged_in(server: WebServer) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{server.url}/login", timeout=10).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token is not None
    reply = session.post(f"{server.url}/login", allow_redirects=False, timeout=10,
                         data={"email": TEACHER, "password": PASSWORD,
                               "csrf_token": token.group(1)})
    assert reply.status_code == 302
    return session


@pytest.mark.parametrize("kind", ["gunicorn", "flask"])
def test_every_learner_arrives(servers: dict[str, WebServer], seeded: tuple[str, BigCourse],
                               kind: str) -> None:
    server, course = servers[kind], seeded[1]
    with logged_in(server).get(f"{server.url}/console/courses/c1/export.csv", stream=True,
                               timeout=60) as response:
        assert response.status_code == 200
        assert "Content-Length" not in response.headers  # streamed, not built in memory
        body = b"".join(response.iter_content(64 * 1024)).decode()
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:4] == ["Learner id", "Email", "Name", "Modules completed (of 2)"]
    assert len(rows) == 1 + course.learners
    assert len({row[0] for row in rows[1:]}) == course.learners
    unit = rows[0].index("Unit complete: Unit 1")
    cells = [row[unit] for row in rows[1:]]
    assert sum(cell.startswith("earned 2024-05-01") for cell in cells) == course.earned
    assert sum(cell.startswith("revoked 2024-06-02") for cell in cells) == course.revoked
