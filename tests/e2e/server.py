"""The real web app under gunicorn + gevent as a subprocess, and what tests do to it.

Embedded mode: a temp SQLite file, eager tasks, in-process pub/sub (one web
process). Services mode: PostgreSQL, Redis and a real Celery worker. Either
way the browser talks to ``gunicorn -k gevent -w 1 wsgi:app`` exactly as
production runs it; the test process reaches the same database through its
own app to create learners and service tokens.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
import uuid
from contextlib import suppress
from pathlib import Path
from typing import Any

from flask import Flask

from app import create_app
from app.config import Config
from app.extensions import db
from app.services.accounts import create_token, create_user
from tests.support.services import ROOT, WebServer, service_env, wait_for

ARTIFACTS = ROOT / "test-artifacts"
PASSWORD = "correct-horse-42"
DEMO_MODULES = ["demo-python-variables", "demo-python-control-flow", "demo-python-collections",
                "demo-python-defining-functions", "demo-python-arguments"]


class LiveServer:
    """A ``WebServer`` (gunicorn + gevent, one worker) plus what the browser tests do to it."""

    def __init__(self, settings: dict[str, str], name: str) -> None:
        self.settings = {"SECRET_KEY": f"e2e-{uuid.uuid4().hex}", "SSE_PING_SECONDS": "2",
                         **settings}
        self.web = WebServer(self.settings, name=f"e2e-web-{name}")
        self.port = self.web.port
        self.url = self.web.url
        self._app: Flask | None = None
        self._token: str | None = None

    def prepare(self, migrate: bool = True) -> LiveServer:
        if migrate:
            self._flask("db", "upgrade")
        self._flask("seed-demo")
        return self

    def start(self, timeout: float = 30.0) -> LiveServer:
        self.web.start(timeout)
        wait_for(self._answers, timeout=timeout, interval=0.1, what=f"gunicorn on {self.port}")
        return self

    def stop(self) -> None:
        self.web.stop()

    @property
    def app(self) -> Flask:
        """The same deployment, in this process: to create learners and tokens."""
        if self._app is None:
            s = self.settings
            config = Config(DATABASE_URL=s["DATABASE_URL"], REDIS_URL=s.get("REDIS_URL"),
                            SECRET_KEY=s["SECRET_KEY"], TASKS_EAGER=False,
                            CHANNEL_PREFIX=s.get("CHANNEL_PREFIX", "achievements"),
                            CELERY_QUEUE=s.get("CELERY_QUEUE", "achievements"))
            self._app = create_app(config)
        return self._app

    def new_learner(self, timezone: str = "UTC") -> dict[str, Any]:
        email = f"e2e-{uuid.uuid4().hex[:10]}@example.com"
        with self.app.app_context():
            user = create_user(email, PASSWORD, "learner", timezone)
            db.session.commit()
            return {"id": user.id, "email": email, "password": PASSWORD}

    def complete_module(self, user_id: int, module: str) -> dict[str, Any]:
        """Record a completion as an LMS would: POST /api/v1/progress-events."""
        return self.post_event({"user_id": user_id, "kind": "module_completed",
                                "module": module, "idempotency_key": uuid.uuid4().hex})

    def post_event(self, body: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(
            f"{self.url}/api/v1/progress-events", data=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self.token}",
                     "Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(request, timeout=15) as response:
            assert response.status == 202, response.status
            return json.loads(response.read())

    @property
    def token(self) -> str:
        if self._token is None:
            with self.app.app_context():
                self._token = create_token("e2e", ["progress:write", "achievements:read"])[1]
        return self._token

    def log(self) -> str:
        return self.web.log() if self.web.log_path.exists() else ""

    def _flask(self, *args: str) -> None:
        subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT,
                       env=service_env(self.settings), check=True, capture_output=True,
                       timeout=120)

    def _answers(self) -> bool:
        if self.web.process is not None and self.web.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {self.log()[-3000:]}")
        with suppress(OSError), urllib.request.urlopen(f"{self.url}/login", timeout=2) as reply:
            return reply.status == 200
        return False


def sqlite_settings(directory: Path) -> dict[str, str]:
    return {"DATABASE_URL": f"sqlite:///{directory / 'e2e.db'}"}
