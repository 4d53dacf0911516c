"""The platforms' public keys (their JWKS), fetched over HTTPS and cached per process.

A launch names its key by ``kid``. A cached set that lacks it is fetched again, once:
that is how a platform's key rotation reaches us without waiting for the cache to
expire. The refetch is allowed at most every ``REFETCH_MIN_SECONDS`` per JWKS URL, so
a stream of forged tokens with made-up kids cannot turn into a stream of requests.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

import requests
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey

log = logging.getLogger(__name__)
CACHE_SECONDS = 600.0
REFETCH_MIN_SECONDS = 10.0
FETCH_TIMEOUT_SECONDS = 5.0


class PlatformKeysUnavailable(Exception):
    """The platform's JWKS could not be fetched or read."""


@dataclass(frozen=True)
class _Fetched:
    keys: KeySet
    at: float


_cache: dict[str, _Fetched] = {}
_lock = threading.Lock()


def key_for(jwks_url: str, kid: str | None) -> RSAKey | None:
    """The platform's RSA key named ``kid`` (the only key when the token names none), or
    None when the platform does not publish it even after a refetch."""
    now = time.monotonic()
    cached = _cache.get(jwks_url)
    if cached is not None and now - cached.at < CACHE_SECONDS:
        found = _pick(cached.keys, kid)
        if found is not None or now - cached.at < REFETCH_MIN_SECONDS:
            return found
        log.info("LTI: kid %s not in %s's cached keys; fetching them again", kid, jwks_url)
    return _pick(_refresh(jwks_url), kid)


def forget() -> None:
    """Drop every cached JWKS (tests)."""
    with _lock:
        _cache.clear()


def _refresh(jwks_url: str) -> KeySet:
    try:
        answer = requests.get(jwks_url, timeout=FETCH_TIMEOUT_SECONDS,
                              headers={"Accept": "application/json"})
        answer.raise_for_status()
        keys = KeySet.import_key_set(answer.json())
    except (requests.RequestException, ValueError, JoseError, TypeError, KeyError) as exc:
        raise PlatformKeysUnavailable(f"{jwks_url}: {exc}") from exc
    with _lock:
        _cache[jwks_url] = _Fetched(keys, time.monotonic())
    return keys


def _pick(keys: KeySet, kid: str | None) -> RSAKey | None:
    rsa = [key for key in keys.keys if isinstance(key, RSAKey)]
    if kid is None:
        return rsa[0] if len(rsa) == 1 else None
    return next((key for key in rsa if key.kid == kid), None)
