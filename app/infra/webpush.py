"""Web Push (RFC 8030/8291/8292) with pywebpush, signed by the VAPID key pair.

The key pair: ``ACHIEVEMENTS_VAPID_PRIVATE_KEY``/``_PUBLIC_KEY`` when set; otherwise the
oldest row of ``vapid_keys``, made once when there is none (as the signing key is,
app.infra.signing). Two processes racing on a fresh database may both insert one; each
then reads back the oldest, so every process signs with the same pair from the start.
"""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid
from sqlalchemy import select

from app.config import Config
from app.extensions import db
from app.models import VapidKey
from app.models.types import utcnow

log = logging.getLogger(__name__)
GONE = (404, 410)  # the subscription no longer exists: delete it


@dataclass(frozen=True)
class PushResult:
    status: int  # the push service's answer (0: it could not be reached)
    gone: bool  # 404/410: the subscription is dead

    @property
    def delivered(self) -> bool:
        return 200 <= self.status < 300


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def vapid_key(settings: Config) -> tuple[Vapid, str]:
    """The signing key and its public half (base64url, the browser's applicationServerKey)."""
    if settings.VAPID_PRIVATE_KEY:
        key = Vapid.from_string(settings.VAPID_PRIVATE_KEY)
        return key, settings.VAPID_PUBLIC_KEY or _public_of(key)
    row = db.session.scalar(select(VapidKey).order_by(VapidKey.id).limit(1))
    if row is None:
        row = _make_key()
    return Vapid.from_pem(row.private_pem), row.public_key


def _public_of(key: Vapid) -> str:
    return _b64(key.public_key.public_bytes(serialization.Encoding.X962,
                                            serialization.PublicFormat.UncompressedPoint))


def _make_key() -> VapidKey:
    made = Vapid()
    made.generate_keys()
    row = VapidKey(private_pem=made.private_pem(), public_key=_public_of(made),
                   created_at=utcnow())
    db.session.add(row)
    db.session.commit()
    log.info("no VAPID key yet: made one")
    return db.session.scalar(select(VapidKey).order_by(VapidKey.id).limit(1)) or row


def push(settings: Config, subscription: dict[str, Any], payload: dict[str, Any],
         *, topic: str, ttl: int = 86_400) -> PushResult:
    """Encrypt ``payload`` to the subscription and post it. ``topic`` (at most 32 URL-safe
    characters) makes the push service replace an undelivered message of the same topic,
    so a notice sent again after a crash reaches the device once."""
    from pywebpush import WebPushException, webpush  # here: it loads aiohttp (~0.1 s)

    key, _ = vapid_key(settings)
    subject = settings.VAPID_SUBJECT or f"mailto:{settings.ISSUER_EMAIL}"
    try:
        response: Any = webpush(subscription, json.dumps(payload), vapid_private_key=key,
                                vapid_claims={"sub": subject}, ttl=ttl, timeout=10,
                                headers={"Topic": topic[:32], "Urgency": "normal"})
    except WebPushException as exc:
        status = exc.response.status_code if exc.response is not None else 0
        return PushResult(status, status in GONE)
    except OSError:
        return PushResult(0, False)
    return PushResult(response.status_code, False)
