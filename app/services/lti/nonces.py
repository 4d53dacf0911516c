"""A launch's nonce is used once: the first launch presenting it consumes it, any later
one (a replayed id_token) is refused.

With Redis configured: ``SET key 1 NX EX ttl`` (as warehouse does for OIDC ``jti``): one
round trip, atomic across every web process, gone by itself after the TTL. Without
(the embedded default): a row in ``lti_nonces`` whose primary key is the nonce, so the
database refuses the second insert, across processes and restarts alike. An
in-process set would not do: the demo may run several web processes, and a restart
would forget it while the id_token is still fresh. Expired rows are deleted as new
ones come. When Redis cannot answer, the launch is refused (it fails closed).
"""

from __future__ import annotations

import logging
from datetime import timedelta

import redis
from flask import current_app
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import LtiNonce
from app.models.types import utcnow

log = logging.getLogger(__name__)


class NonceStoreDown(Exception):
    """The nonce store could not say whether the nonce was used: refuse the launch."""


def consume(nonce: str, ttl_seconds: int) -> bool:
    """True the first time ``nonce`` is presented within ``ttl_seconds``, False after."""
    client = _redis()
    if client is not None:
        key = f"{current_app.config['CHANNEL_PREFIX']}:lti-nonce:{nonce}"
        try:
            return bool(client.set(key, 1, nx=True, ex=ttl_seconds))
        except redis.RedisError as exc:
            raise NonceStoreDown(str(exc)) from exc
    return _consume_row(nonce, ttl_seconds)


def _consume_row(nonce: str, ttl_seconds: int) -> bool:
    now = utcnow()
    db.session.execute(delete(LtiNonce).where(LtiNonce.expires_at < now))
    db.session.add(LtiNonce(nonce=nonce, expires_at=now + timedelta(seconds=ttl_seconds)))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    return True


def _redis() -> redis.Redis | None:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    clients = current_app.extensions.setdefault("lti_nonce_redis", {})
    if url not in clients:
        clients[url] = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    return clients[url]
