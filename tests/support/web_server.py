"""The web app under gunicorn as production runs it, for e2e, fault and observability tests
and the benchmarks (``tests.support.services`` has the other processes)."""

from __future__ import annotations

import json
import sys
import urllib.request
import uuid
from contextlib import suppress
from typing import Any

from flask import Flask

from tests.support.services import PASSWORD, Worker, flask_command, free_port, wait_for


class WebServer(Worker):
    """The web app under gunicorn with gevent workers, as production runs it, and what tests
    do to it from outside: learners and a service token made by an app of their own on the
    same database, progress posted over HTTP as an LMS would."""

    ready_marker = b"Booting worker"

    def __init__(self, settings: dict[str, str], workers: int = 1, name: str = "web") -> None:
        super().__init__({"SECRET_KEY": f"test-{uuid.uuid4().hex}", **settings},
                         concurrency=workers, name=name)
        self.port = free_port()
        self._app: Flask | None = None
        self._token: str | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        return [sys.executable, "-m", "gunicorn", "-k", "gevent", "-w", str(self.concurrency),
                "--worker-connections", "2000", "-b", f"127.0.0.1:{self.port}",
                "--graceful-timeout", "5", "--log-level", "info", "wsgi:app"]

    def seed_demo(self) -> WebServer:
        """The demo catalog in the server's database (``flask seed-demo``), before start."""
        flask_command(self.settings, "seed-demo")
        return self

    def start(self, timeout: float = 30.0) -> WebServer:
        super().start(timeout)
        wait_for(self._answers, timeout=timeout, interval=0.1, what=f"gunicorn on {self.port}")
        return self

    def stop(self) -> None:
        super().stop()
        if self._app is not None:
            from app.extensions import db

            with self._app.app_context():
                db.engine.dispose()

    @property
    def app(self) -> Flask:
        """The same deployment, in this process: to make learners and tokens."""
        if self._app is None:
            from app import create_app
            from app.config import Config

            shared = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "CHANNEL_PREFIX", "CELERY_QUEUE")
            self._app = create_app(Config(TASKS_EAGER=False, **{
                key: self.settings[key] for key in shared if key in self.settings}))
        return self._app

    @property
    def token(self) -> str:
        """A service token that may record progress and read achievements."""
        if self._token is None:
            from app.services.accounts import create_token

            with self.app.app_context():
                self._token = create_token("tests", ["progress:write", "achievements:read"])[1]
        return self._token

    def new_learner(self, timezone: str = "UTC") -> dict[str, Any]:
        from app.extensions import db
        from app.services.accounts import create_user

        email = f"learner-{uuid.uuid4().hex[:10]}@example.com"
        with self.app.app_context():
            user = create_user(email, PASSWORD, "learner", timezone)
            db.session.commit()
            return {"id": user.id, "email": email, "password": PASSWORD}

    def complete_module(self, user_id: int, module: str) -> dict[str, Any]:
        """Record a completion as an LMS would: POST /api/v1/progress-events."""
        body = {"user_id": user_id, "kind": "module_completed", "module": module,
                "idempotency_key": uuid.uuid4().hex}
        request = urllib.request.Request(
            f"{self.url}/api/v1/progress-events", data=json.dumps(body).encode(), method="POST",
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=15) as response:
            assert response.status == 202, response.status
            return json.loads(response.read())

    def _answers(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {self.log()[-3000:]}")
        with suppress(OSError), urllib.request.urlopen(f"{self.url}/login", timeout=2) as reply:
            return reply.status == 200
        return False
