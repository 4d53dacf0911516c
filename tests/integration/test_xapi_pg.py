"""xAPI on PostgreSQL under concurrency: requests racing to store one statement id."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import Flask

from app.errors import Conflict
from app.services.xapi import store_statements
from tests.services.xapi.test_statements import events, statement, stored
from tests.support.databases import pg_app_context
from tests.support.services import module_database  # noqa: F401 (fixture pg_url)

pytestmark = pytest.mark.integration


@pytest.fixture
def app(pg_url: str) -> Iterator[Flask]:
    with pg_app_context(pg_url) as application:
        yield application


def test_one_statement_posted_at_once_is_stored_once(app, catalog, learner) -> None:
    body = {**statement(), "id": str(uuid.uuid4())}

    def post(_: int) -> str:
        with app.app_context():
            try:
                return store_statements([body], "service:1", in_array=False)[0]
            except Conflict:  # lost the race twice while the winner was storing: retry later
                return "retry"

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(post, range(12)))
    assert set(answers) - {"retry"} == {body["id"]}
    assert stored() == 1 and len(events()) == 1
