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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


_active: dict[str, tuple[float, ActiveKey]] = {}
_lock = threading.Lock()


def key_url(kid: str) -> str:
    """The URL a credential's ``kid`` header carries: it answers the public JWK."""
    return f"{current_app.config['PUBLIC_URL']}/ob/v3/keys/{kid}"


def active_key() -> ActiveKey:
    """The key that signs now (cached ``KEY_CACHE_SECONDS`` per process and database)."""
    bind, now = str(db.engine.url), time.monotonic()
    hit = _active.get(bind)
    if hit is not None and hit[0] > now:
        return hit[1]
    key = _load_active()
    with _lock:
        _active[bind] = (now + KEY_CACHE_SECONDS, key)
    return key


def forget_active_key() -> None:
    """Drop the cached key (after a rotation in this process, and in tests)."""
    with _lock:
        _active.clear()


def sign_compact(header: dict[str, Any], payload: bytes, key: ActiveKey | None = None) -> str:
    """A compact JWS of ``payload`` under ``key`` (the active one by default); ``kid`` is
    set here."""
    key = key or active_key()
    return jws.serialize_compact({**header, "kid": key_url(key.kid)}, payload, key.key)


def rotate_key() -> str:
    """Make a new key that signs from now on; older ones stay listed. Its kid."""
    kid = _store(RSAKey.generate_key(KEY_BITS), private=True)
    forget_active_key()
    log.info("signing key rotated: new kid %s", kid)
    return kid


def public_jwks() -> dict[str, Any]:
    """Every key's public half, newest first, each ``kid`` the URL a JWS header names."""
    _load_active()  # the first request may come before any credential made a key
    rows = db.session.execute(select(SigningKey.kid, SigningKey.public_jwk)
                              .order_by(SigningKey.created_at.desc())).all()
    return {"keys": [{**jwk, "kid": key_url(kid), "alg": "RS256", "use": "sig"}
                     for kid, jwk in rows]}


def public_jwk(kid: str) -> dict[str, Any] | None:
    """One key's public half, or None for an unknown kid."""
    jwk = db.session.scalar(select(SigningKey.public_jwk).where(SigningKey.kid == kid))
    return None if jwk is None else {**jwk, "kid": key_url(kid), "alg": "RS256", "use": "sig"}


def _load_active() -> ActiveKey:
    path = current_app.config.get("SIGNING_KEY_FILE")
    if path:
        key = RSAKey.import_key(Path(path).read_bytes())
        _record(key, private=False)
        return ActiveKey(key.thumbprint(), key)
    pem = db.session.scalar(select(SigningKey.private_pem).where(
        SigningKey.private_pem.is_not(None)).order_by(SigningKey.created_at.desc()).limit(1))
    if pem is None:
        made = RSAKey.generate_key(KEY_BITS)
        _store(made, private=True)
        log.info("no signing key yet: made one (kid %s)", made.thumbprint())
        return ActiveKey(made.thumbprint(), made)
    key = RSAKey.import_key(pem)
    return ActiveKey(key.thumbprint(), key)


def _record(key: RSAKey, *, private: bool) -> None:
    """Store a key unless its kid is there already."""
    if db.session.get(SigningKey, key.thumbprint()) is None:
        _store(key, private=private)


def _store(key: RSAKey, *, private: bool) -> str:
    kid = key.thumbprint()
    db.session.add(SigningKey(kid=kid, private_pem=key.as_pem(private=True) if private else None,
                              public_jwk=dict(key.as_dict(private=False)), created_at=utcnow()))
    db.session.commit()
    return kid
