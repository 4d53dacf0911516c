"""An unmodified xAPI client from PyPI (TinCanPython, package ``tincan``) against the
service on a real port: POST of an array, PUT by id, retrieve, a conflicting repeat.

tincan's quirks are met on our side, never patched: it appends ``?`` to every path
(an empty query string is accepted), it needs lowercase UUIDs back (it parses them),
and it has no timeout of its own (``socket.setdefaulttimeout`` bounds it here).
"""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import make_server

from app.extensions import db
from app.models import ProgressEvent

tincan = pytest.importorskip("tincan")  # a declared test dependency (pyproject.toml)
VERB = "http://adlnet.gov/expapi/verbs/"
ACTIVITIES = "http://127.0.0.1:5000/xapi/activities/"


@pytest.fixture
def endpoint(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(10)
    yield f"http://127.0.0.1:{server.server_port}/xapi/"
    socket.setdefaulttimeout(previous)
    server.shutdown()
    thread.join(5)


@pytest.fixture
def lrs(endpoint: str, make_token) -> tincan.RemoteLRS:
    return tincan.RemoteLRS(endpoint=endpoint, version="1.0.3", username="lms",
                            password=make_token("progress:write"))


def completed(email: str, module: str, **extra) -> tincan.Statement:
    return tincan.Statement(
        actor=tincan.Agent(name="Learner", mbox=f"mailto:{email}"),
        verb=tincan.Verb(id=VERB + "completed", display=tincan.LanguageMap({"en-US": "completed"})),
        object=tincan.Activity(id=ACTIVITIES + "module/" + module,
                               definition=tincan.ActivityDefinition(
                                   name=tincan.LanguageMap({"en-US": module}))),
        **extra)


def kinds() -> list[str]:
    return list(db.session.scalars(select(ProgressEvent.kind).order_by(ProgressEvent.id)))


def test_about(lrs) -> None:
    response = lrs.about()
    assert response.success, response.data
    assert "1.0.3" in response.content.version


def test_an_array_is_posted_and_each_statement_gets_its_id(lrs, catalog, learner) -> None:
    statements = [completed(learner.email, "c1-u1-m1"), completed(learner.email, "c1-u1-m2")]
    response = lrs.save_statements(statements)
    assert response.success, response.data
    assert all(isinstance(s.id, uuid.UUID) for s in response.content)
    assert kinds() == ["module_completed", "module_completed"]


def test_put_by_id_retrieve_and_a_conflicting_repeat(lrs, catalog, learner) -> None:
    ident = uuid.uuid4()
    saved = lrs.save_statement(completed(learner.email, "c1-u1-m1", id=ident))
    assert saved.success, saved.data
    again = lrs.save_statement(completed(learner.email, "c1-u1-m1", id=ident))
    assert again.success, again.data  # the same statement: nothing new
    got = lrs.retrieve_statement(str(ident))
    assert got.success and got.content.id == ident
    assert got.content.object.id == ACTIVITIES + "module/c1-u1-m1"
    other = lrs.save_statement(completed(learner.email, "c1-u1-m2", id=ident))
    assert not other.success and other.response.status == 409
    assert kinds() == ["module_completed"]


def test_a_single_statement_without_an_id_is_posted(lrs, catalog, learner) -> None:
    response = lrs.save_statement(completed(learner.email.upper(), "c1-u1-m2"))
    assert response.success, response.data
    assert isinstance(response.content.id, uuid.UUID)
    assert kinds() == ["module_completed"]
