"""The keys that sign Open Badges 3.0 credentials (RS256), their rotation and the JWKS.

Where the signing key comes from:

- ``ACHIEVEMENTS_SIGNING_KEY_FILE`` (a PEM private key) when set: it signs, and its
  public half is recorded in ``signing_keys`` so it stays listed after the file
  is replaced;
- otherwise the newest key in ``signing_keys``; with none, one is made once and
  stored. Two processes racing to make the first key both succeed: both keys
  are listed, either signature verifies, the newer one signs from then on.

``rotate_key`` adds a new key; none is ever deleted, so every credential already
signed stays verifiable against ``GET /.well-known/jwks.json``.

The private key is never served and never logged: only ``public_jwks`` leaves
this module, built from public halves. The key in use is cached per process
and database for ``KEY_CACHE_SECONDS`` (a rotation is picked up within that;
the JWKS is read from the table on every call, so a verifier always finds the
key a credential names).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from flask import current_app
from joserfc import jws
from joserfc.jwk import RSAKey
from sqlalchemy import select

from app.extensions import db
from app.models.achievement import SigningKey
from app.models.types import utcnow

KEY_CACHE_SECONDS = 60.0
KEY_BITS = 2048
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ActiveKey:
    kid: str  # the RFC 7638 thumbprint; the JWS header names it as a URL (key_url)
    key: RSAKey


class KeyTable(Protocol):
    """A model shaped like ``signing_keys``: kid, private_pem (null for a key from a
    file), public_jwk, created_at."""

    kid: Any
    private_pem: Any
    public_jwk: Any
    created_at: Any

    def __init__(self, **columns: Any) -> None: ...


class KeyRing:
    """Keys kept in one table: the newest private key signs, every public half is listed,
    a key file (setting ``file_setting``) takes precedence. The Open Badges signing keys
    are one ring; the LTI tool's keys (app.services.lti.keys) another."""

    def __init__(self, name: str, table: type[KeyTable], file_setting: str | None,
                 kid_url: Callable[[str], str]) -> None:
        self.name, self.table, self.file_setting, self.kid_url = name, table, file_setting, kid_url
        self._active: dict[str, tuple[float, ActiveKey]] = {}
        self._lock = threading.Lock()

    def active_key(self) -> ActiveKey:
        """The key that signs now (cached ``KEY_CACHE_SECONDS`` per process and database)."""
        bind, now = str(db.engine.url), time.monotonic()
        hit = self._active.get(bind)
        if hit is not None and hit[0] > now:
            return hit[1]
        key = self._load_active()
        with self._lock:
            self._active[bind] = (now + KEY_CACHE_SECONDS, key)
        return key

    def forget_active_key(self) -> None:
        """Drop the cached key (after a rotation in this process, and in tests)."""
        with self._lock:
            self._active.clear()

    def rotate_key(self) -> str:
        """Make a new key that signs from now on; older ones stay listed. Its kid."""
        kid = self._store(RSAKey.generate_key(KEY_BITS), private=True)
        self.forget_active_key()
        log.info("%s key rotated: new kid %s", self.name, kid)
        return kid

    def public_jwks(self) -> dict[str, Any]:
        """Every key's public half, newest first, each ``kid`` as ``kid_url`` names it."""
        self._load_active()  # the first request may come before anything made a key
        table = self.table
        rows = db.session.execute(select(table.kid, table.public_jwk)
                                  .order_by(table.created_at.desc())).all()
        return {"keys": [self._public(kid, jwk) for kid, jwk in rows]}

    def public_jwk(self, kid: str) -> dict[str, Any] | None:
        """One key's public half, or None for an unknown kid."""
        jwk = db.session.scalar(select(self.table.public_jwk).where(self.table.kid == kid))
        return None if jwk is None else self._public(kid, jwk)

    def _public(self, kid: str, jwk: dict[str, Any]) -> dict[str, Any]:
        return {**jwk, "kid": self.kid_url(kid), "alg": "RS256", "use": "sig"}

    def _load_active(self) -> ActiveKey:
        path = current_app.config.get(self.file_setting) if self.file_setting else None
        if path:
            key = RSAKey.import_key(Path(path).read_bytes())
            if db.session.get(self.table, key.thumbprint()) is None:
                self._store(key, private=False)
            return ActiveKey(key.thumbprint(), key)
        table = self.table
        pem = db.session.scalar(select(table.private_pem).where(table.private_pem.is_not(None))
                                .order_by(table.created_at.desc()).limit(1))
        if pem is None:
            made = RSAKey.generate_key(KEY_BITS)
            self._store(made, private=True)
            log.info("no %s key yet: made one (kid %s)", self.name, made.thumbprint())
            return ActiveKey(made.thumbprint(), made)
        key = RSAKey.import_key(pem)
        return ActiveKey(key.thumbprint(), key)

    def _store(self, key: RSAKey, *, private: bool) -> str:
        kid = key.thumbprint()
        db.session.add(self.table(kid=kid,
                                  private_pem=key.as_pem(private=True) if private else None,
                                  public_jwk=dict(key.as_dict(private=False)),
                                  created_at=utcnow()))
        db.session.commit()
        return kid


def key_url(kid: str) -> str:
    """The URL a credential's ``kid`` header carries: it answers the public JWK."""
    return f"{current_app.config['PUBLIC_URL']}/ob/v3/keys/{kid}"


OPEN_BADGES = KeyRing("signing", SigningKey, "SIGNING_KEY_FILE", key_url)
active_key = OPEN_BADGES.active_key
forget_active_key = OPEN_BADGES.forget_active_key
rotate_key = OPEN_BADGES.rotate_key
public_jwks = OPEN_BADGES.public_jwks
public_jwk = OPEN_BADGES.public_jwk


def sign_compact(header: dict[str, Any], payload: bytes, key: ActiveKey | None = None) -> str:
    """A compact JWS of ``payload`` under ``key`` (the active one by default); ``kid`` is
    set here."""
    key = key or active_key()
    return jws.serialize_compact({**header, "kid": key_url(key.kid)}, payload, key.key)
