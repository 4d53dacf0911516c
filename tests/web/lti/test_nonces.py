"""A launch nonce is used once: with Redis, ``SET NX`` with a TTL; in the embedded default
(no Redis), a primary-key row in ``lti_nonces``. Either way a second use is refused, and
a nonce store that cannot answer refuses the launch (fails closed)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import redis
from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from app.models import LtiNonce
from app.models.types import utcnow
from app.services.lti import nonces
from tests.support.services import redis_settings
from tests.web.lti.conftest import Launcher


@pytest.mark.both_databases
def test_without_redis_a_row_makes_the_nonce_single_use(app: Flask) -> None:
    assert nonces.consume("n-1", 60) is True
    assert nonces.consume("n-1", 60) is False
    assert nonces.consume("n-2", 60) is True


def test_expired_rows_are_deleted_as_new_ones_come(app: Flask) -> None:
    db.session.add(LtiNonce(nonce="old", expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert nonces.consume("new", 60) is True
    assert db.session.scalar(select(func.count()).select_from(LtiNonce)) == 1


def test_with_redis_set_nx_with_a_ttl(app: Flask) -> None:
    settings = redis_settings()
    app.config.update(REDIS_URL=settings["REDIS_URL"], CHANNEL_PREFIX=settings["CHANNEL_PREFIX"])
    assert nonces.consume("r-1", 30) is True
    assert nonces.consume("r-1", 30) is False
    client = redis.Redis.from_url(settings["REDIS_URL"])
    key = f"{settings['CHANNEL_PREFIX']}:lti-nonce:r-1"
    assert 0 < client.ttl(key) <= 30
    assert db.session.scalar(select(func.count()).select_from(LtiNonce)) == 0
    client.delete(key)


def test_a_nonce_store_that_cannot_answer_refuses_the_launch(launcher: Launcher,
                                                             app: Flask) -> None:
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    launcher.login()
    answer = launcher.launch()
    assert answer.status_code == 503 and b"Reason: nonce_store" in answer.data
