"""A burst of learners' progress driven through the public path, and the checks every fault shares.

The expected awards are computed here from the rules in DESIGN.md §2, not by
the app's registry, and stored awards are read with plain SQL, so a bug in
detection cannot make its own test pass.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import psycopg
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.services.accounts import create_token, create_user
from tests.support.catalog import build_catalog, module_keys
from tests.support.services import wait_for

MODULE_MILESTONES = (1, 10, 25, 50, 100, 250, 500)
PASSWORD = "password123"


def expected_keys(course: str, units: int, modules: int) -> set[str]:
    """Every award of a learner who completed every module of one course on one day."""
    unit_keys = [f"{course}-u{u}" for u in range(1, units + 1)]
    keys = {f"module_complete:{unit}-m{m}" for unit in unit_keys for m in range(1, modules + 1)}
    keys |= {f"unit_complete:{unit}" for unit in unit_keys}
    keys |= {f"course_complete:{course}", "milestone:courses:1"}
    keys |= {f"milestone:modules:{n}" for n in MODULE_MILESTONES if n <= units * modules}
    return keys


@dataclass
class Learner:
    user_id: int
    email: str
    course: str
    modules: list[str]


@dataclass
class Burst:
    """N learners, each finishing their own course (``units`` x ``modules``) through REST."""

    app: Flask
    database_url: str
    units: int = 2
    modules: int = 5
    learners: list[Learner] = field(default_factory=list)
    token: str = ""
    refused: int = 0  # 503 answers retried by ``post``: proof a fault reached the writer

    def setup(self, count: int) -> Burst:
        self.token = create_token("faults", ["progress:write", "achievements:read"])[1]
        for index in range(1, count + 1):
            course = f"c{index}"
            document = build_catalog(course, units=self.units, modules=self.modules)
            user = create_user(f"learner{index}@example.com", PASSWORD)
            self.learners.append(Learner(user.id, user.email, course, module_keys(document)))
        db.session.remove()  # hold no connection a fault could kill under the test's own context
        return self

    def events(self) -> list[tuple[Learner, str]]:
        """Every (learner, module) pair, interleaved across learners."""
        rounds = zip(*(learner.modules for learner in self.learners), strict=True)
        return [(learner, module) for row in rounds
                for learner, module in zip(self.learners, row, strict=True)]

    def post(self, client: FlaskClient, learner: Learner, module: str,
             retry_until: float = 20.0) -> dict[str, Any]:
        """POST one completion; like a real client, retry the same key while the service
        answers 503 (a database fault), until it is accepted."""
        deadline = time.monotonic() + retry_until
        while True:
            response = self.post_once(client, learner, module)
            if response.status_code != 503 or time.monotonic() > deadline:
                assert response.status_code == 202, response.get_data(as_text=True)
                return response.get_json()
            assert response.headers["Retry-After"]
            self.refused += 1
            time.sleep(0.05)

    def post_once(self, client: FlaskClient, learner: Learner, module: str) -> Any:
        """One POST in an app context of its own, popped after, as a web process has per
        request: the test's own context (which the client would reuse) keeps no session."""
        with self.app.app_context():
            return post_completion(client, self.token, learner.user_id, module)

    def post_all(self, client: FlaskClient, pairs: Iterable[tuple[Learner, str]]) -> None:
        for learner, module in pairs:
            self.post(client, learner, module)

    def expected(self) -> dict[int, set[str]]:
        return {learner.user_id: expected_keys(learner.course, self.units, self.modules)
                for learner in self.learners}

    def stored(self) -> dict[int, Counter[str]]:
        rows = sql(self.database_url, "SELECT user_id, dedupe_key FROM achievements")
        found: dict[int, Counter[str]] = {learner.user_id: Counter() for learner in self.learners}
        for user_id, key in rows:
            found.setdefault(user_id, Counter())[key] += 1
        return found

    def unprocessed(self) -> int:
        return sql(self.database_url,
                   "SELECT count(*) FROM progress_events WHERE processed_at IS NULL")[0][0]

    def event_count(self) -> int:
        return sql(self.database_url, "SELECT count(*) FROM progress_events")[0][0]

    def settled(self) -> bool:
        stored = self.stored()
        return self.unprocessed() == 0 and all(
            set(stored[user_id]) == keys for user_id, keys in self.expected().items())

    def assert_exact(self, timeout: float = 45.0) -> None:
        """0 lost and 0 duplicate awards, once every event has been evaluated."""
        wait_for(self.settled, timeout=timeout, interval=0.2, what="every award stored")
        for user_id, keys in self.expected().items():
            counts = self.stored()[user_id]
            assert set(counts) == keys, f"learner {user_id}: lost {keys - set(counts)}"
            assert max(counts.values()) == 1, f"learner {user_id}: duplicates {counts}"


def post_completion(client: FlaskClient, token: str, user_id: int, module: str,
                    key: str | None = None) -> Any:
    return client.post("/api/v1/progress-events", headers={"Authorization": f"Bearer {token}"},
                       json={"user_id": user_id, "kind": "module_completed", "module": module,
                             "idempotency_key": key or f"done-{module}"})


def sql(url: str, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
        return conn.execute(query, params).fetchall()


class SSEClient:
    """A logged-in browser's EventSource on /api/v1/achievements/stream, in a thread.

    Like ``live.js`` it always asks for ``?after=`` its resume point — the page's
    latest award id (``page_latest_id``) until an award arrives, then the last one
    received — and, like EventSource, it reconnects when the stream ends, sending
    ``Last-Event-ID``. Without ``?after=`` the server starts at the learner's latest
    award, so a stream broken before its first award would skip what came meanwhile.
    ``disconnect``/``resume`` drop and re-open the connection on purpose.
    """

    def __init__(self, app: Flask, learner: Learner, page_latest_id: int = 0) -> None:
        self.client = app.test_client()
        login_as(self.client, learner.email)
        self.page_latest_id = page_latest_id
        self.received: list[dict[str, Any]] = []
        self.connections = 0
        self.resumed_from: list[int | None] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def last_id(self) -> int | None:
        return self.received[-1]["id"] if self.received else None

    def connect(self) -> SSEClient:
        self._stop.clear()
        before = self.connections
        self._thread = threading.Thread(target=self._run, daemon=True, name="sse-client")
        self._thread.start()
        wait_for(lambda: self.connections > before, timeout=10, what="SSE connected")
        return self

    def disconnect(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            assert not self._thread.is_alive(), "SSE client did not stop"

    def resume(self) -> SSEClient:
        return self.connect()

    def keys(self) -> Counter[str]:
        return Counter(award["dedupe_key"] for award in self.received)

    def has(self, keys: set[str]) -> bool:
        return set(self.keys()) >= keys

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._read_one_connection()
            except Exception:  # the stream broke (database or Redis fault): reconnect
                time.sleep(0.2)

    def _read_one_connection(self) -> None:
        headers = {"Last-Event-ID": str(self.last_id)} if self.last_id else {}
        self.resumed_from.append(self.last_id)
        after = self.last_id or self.page_latest_id
        response = self.client.get(f"/api/v1/achievements/stream?after={after}",
                                   headers=headers, buffered=False)
        if response.status_code != 200:  # e.g. 503 while the database is down
            response.close()
            time.sleep(0.2)  # EventSource waits its retry interval too
            return
        self.connections += 1
        try:
            for chunk in response.response:
                self._parse(chunk.decode() if isinstance(chunk, bytes) else chunk)
                if self._stop.is_set():
                    return
        finally:
            response.close()

    def _parse(self, chunk: str) -> None:
        fields = dict(line.split(": ", 1) for line in chunk.splitlines() if ": " in line)
        if fields.get("event") == "achievement":
            award = json.loads(fields["data"])
            assert str(award["id"]) == fields["id"]
            self.received.append(award)


def login_as(client: FlaskClient, email: str) -> None:
    """Log in through the real form, CSRF token included.

    Runs in its own thread: the test's pushed app context would otherwise be
    shared by the request (and Flask-WTF caches the CSRF token on ``g``).
    """
    join_ok(in_background(lambda: _login(client, email)), timeout=10)


def _login(client: FlaskClient, email: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token, "no CSRF token on the login page"
    data = {"email": email, "password": PASSWORD, "csrf_token": token.group(1)}
    response = client.post("/login", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)


def assert_stream_complete(clients: dict[int, SSEClient], expected: dict[int, set[str]],
                           timeout: float = 30.0) -> None:
    """Every award reached its learner's stream exactly once and in id order."""
    for user_id, keys in expected.items():
        client = clients[user_id]
        wait_for(lambda c=client, k=keys: c.has(k), timeout=timeout,
                 what=f"learner {user_id}'s stream to show every award")
        ids = [award["id"] for award in client.received]
        assert ids == sorted(set(ids)), f"learner {user_id}: repeated or out of order {ids}"
        assert set(client.keys()) == keys


def in_background(fn: Callable[[], None]) -> threading.Thread:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            fn()
        except BaseException as exc:  # surfaced by join_ok
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.errors = errors  # type: ignore[attr-defined]
    thread.start()
    return thread


def join_ok(thread: threading.Thread, timeout: float = 60.0) -> None:
    thread.join(timeout)
    assert not thread.is_alive(), "background burst did not finish"
    errors = thread.errors  # type: ignore[attr-defined]
    assert not errors, errors
