"""The two apps the SSE fan-out benchmark serves: this service and a flask-sse app.

How each is configured for gunicorn, how its learners or channels are set up,
and how an award is published to it the way its own code would.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import ROOT
from sse_procs import source_address

WARM_UP = 100
"""Streams opened and closed before the RSS baseline (first-request caches, imports)."""

FSSE_APP = '''
import os
from flask import Flask
from flask_sse import sse
app = Flask(__name__)
app.config["REDIS_URL"] = os.environ["FSSE_REDIS_URL"]
app.register_blueprint(sse, url_prefix="/stream")
'''


def our_app(workdir: Path, redis_url: str) -> tuple[Any, dict[str, str]]:
    """The in-process app (seeding, awards) and the environment of its gunicorn."""
    from app import create_app
    from app.config import Config

    settings = {"DATABASE_URL": f"sqlite:///{workdir / 'bench.db'}", "REDIS_URL": redis_url,
                "SECRET_KEY": "bench-secret", "CHANNEL_PREFIX": "bench"}
    app = create_app(Config(**settings, TASKS_EAGER=False))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACHIEVEMENTS_")}
    env.update({f"ACHIEVEMENTS_{k}": v for k, v in settings.items()})
    env.update({"ACHIEVEMENTS_SSE_PING_SECONDS": "15", "PYTHONPATH": str(ROOT)})
    return app, env


def seed_and_sign(app: Any, learners: int, fleets: int) -> tuple[list[int], Callable[..., str]]:
    """``learners`` learners in one INSERT, and a cookie maker for (learner, fleet).

    Flask-Login's "strong" protection binds a session to the client's address,
    so each fleet's cookies are signed for its own source address.
    """
    from common import bulk_learners
    from flask import session
    from flask_login import login_user

    from app.extensions import db
    from app.models import User

    with app.app_context():
        db.create_all()
        ids = bulk_learners(learners, "sse")
        user = db.session.get(User, ids[0])
        templates = []
        for fleet in range(fleets):
            with app.test_request_context("/", environ_base={"REMOTE_ADDR": source_address(fleet)},
                                          headers={"User-Agent": "sse-fanout-bench"}):
                login_user(user)
                templates.append(dict(session))
    signer = app.session_interface.get_signing_serializer(app)
    name = app.config["SESSION_COOKIE_NAME"]

    def cookie(user_id: int, fleet: int) -> str:
        return f"{name}={signer.dumps({**templates[fleet], '_user_id': str(user_id)})}"

    return ids, cookie


def make_award(app: Any, user_id: int, n: int) -> float:
    """What a worker does after detection: store, commit, publish. Returns the publish time."""
    from app.domain.registry import AwardDue
    from app.extensions import db
    from app.services.awarding.awards import insert_awards
    from app.services.awarding.publishing import publish_awards

    with app.app_context():
        due = AwardDue("milestone", f"bench:{n}", f"Bench award {n}", "measured", {"n": n})
        new = insert_awards(user_id, [due], source_event_id=None)
        db.session.commit()
        published = time.monotonic()
        publish_awards(new)
        return published


class FlaskSsePublisher:
    """Publishes what ``sse.publish`` would on channel ``user-<k>``, over a connection
    opened before the streams (``sse.publish`` connects anew each time: refused once
    the streams fill Redis's maxclients)."""

    def __init__(self, redis_url: str, probes: int) -> None:
        import redis

        self.redis = redis.Redis.from_url(redis_url, single_connection_client=True)
        self.redis.ping()
        self.probes = probes

    def send(self, k: int, channels: int = 0, kind: str = "achievement") -> float:
        from flask_sse import Message

        message = json.dumps(Message({"n": k}, type=kind).to_dict())
        published = time.monotonic()
        self.redis.publish(f"user-{k % (channels or self.probes)}", message)
        return published

    def reap(self) -> None:
        """A write on each warm-up channel lets flask-sse notice those clients left."""
        for k in range(WARM_UP):
            self.send(k, WARM_UP, "reap")
