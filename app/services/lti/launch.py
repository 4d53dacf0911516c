"""A launch's id_token checked completely, in pylti1.3's order (DESIGN §7) — state, JWT
format, nonce, registration, signature, deployment, message — then audience (which
pylti1.3 leaves off by default), ``exp``/``iat``, and only then the nonce consumed and
the launch saved. Request-agnostic: the transport hands in the form and cookie values.

Every failure raises :class:`SignInRefused` (logged, counted, a 400/401 page) before
anything is written, so a refused launch creates nothing. The nonce is *matched* at
its step but *consumed* after the signature and claims passed: a forged token that
copied a nonce cannot burn it for the real launch.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.util import urlsafe_b64decode

from app.extensions import db
from app.models import LtiContext, LtiDeployment, LtiPlatform, User
from app.services.accounts.courses import set_course_role
from app.services.accounts.identities import LinkRequired
from app.services.lti import claims as c
from app.services.lti import nonces, state
from app.services.lti.contexts import course_of, save_context
from app.services.lti.keys import ALGORITHM
from app.services.lti.people import claims_of, course_role, may_teach, person_and_news
from app.services.lti.platform_keys import PlatformKeysUnavailable, key_for
from app.services.lti.registrations import find_deployment
from app.services.signin import refuse

LEEWAY_SECONDS = 60  # clock skew tolerated on exp and iat
NONCE_SECONDS = state.STATE_SECONDS + 2 * LEEWAY_SECONDS  # a nonce is remembered this long


@dataclass(frozen=True)
class LaunchForm:
    """What the launch request carried: the form fields, this browser's cookies, and the
    state read back from the platform's client-side storage (the second hop taken
    when the browser sent no cookie)."""

    id_token: str | None
    state: str | None
    cookies: Mapping[str, str] = field(default_factory=dict)
    stored_state: str | None = None


@dataclass(frozen=True)
class Verified:
    """A launch whose every check passed; nothing of it is saved yet."""

    claims: dict[str, Any]
    platform: LtiPlatform
    deployment: LtiDeployment
    via_storage: bool  # the browser sent no cookie: the state came from platform storage


@dataclass(frozen=True)
class Launch:
    """A saved launch: who (user), where (context; its course may be unmapped), as what
    (course role), and what the platform asked for (message type, custom parameters)."""

    claims: dict[str, Any]
    platform: LtiPlatform
    deployment: LtiDeployment
    context: LtiContext | None
    user: User
    course_role: str | None  # "instructor" | "learner" | None (no context role we map)
    message_type: str
    custom: dict[str, str]
    via_storage: bool = False
    created: bool = False  # the user was made by this launch


class StoredStateNeeded(Exception):
    """No state cookie came back but the platform offers client-side storage: the page
    must read the state from it and post the launch again (not a refusal)."""

    def __init__(self, storage_target: str, platform_origin: str) -> None:
        super().__init__(storage_target)
        self.storage_target, self.platform_origin = storage_target, platform_origin


def launch(form: LaunchForm) -> Launch:
    """Verify the launch, then save who and where it is (see :func:`save`)."""
    return save(verify(form))


def verify(form: LaunchForm) -> Verified:
    """Every check, in order. Raises :class:`SignInRefused` or :class:`StoredStateNeeded`;
    writes nothing but the used nonce."""
    launch_state, via_storage = _check_state(form)
    header, claims = _check_format(form.id_token)
    _check_nonce(claims, launch_state)
    platform = _check_registration(claims, db.session.get(LtiPlatform,
                                                          launch_state.platform_id))
    _check_signature(form.id_token or "", header, platform)
    deployment = _check_deployment(claims, platform)
    _check_message(claims)
    _check_audience(claims, platform)
    _check_times(claims)
    _consume_nonce(launch_state.nonce)
    return Verified(claims, platform, deployment, via_storage)


def save(verified: Verified) -> Launch:
    """The person (made on first launch), the context and, once it maps to a course, their
    role in it. Raises :class:`LinkRequired` when their email is a local account's that
    this platform may not link."""
    claims, platform = verified.claims, verified.platform
    found = person_and_news(platform, claims["sub"], claims)
    if found is None:
        raise LinkRequired(claims_of(platform, claims["sub"], claims))
    user, created = found
    context, custom = save_context(platform, claims), c.custom_params(claims)
    role = course_role(claims[c.ROLES])
    course = course_of(context, custom, user.id) if context is not None else None
    if course is not None and role is not None:
        set_course_role(user.id, course.id, role)
        if role == "instructor":
            may_teach(user)
    return Launch(claims, platform, verified.deployment, context, user, role,
                  claims[c.MESSAGE_TYPE], custom, verified.via_storage, created)


def _check_state(form: LaunchForm) -> tuple[state.LaunchState, bool]:
    read = state.read(form.state) if form.state else None
    if read is None:
        raise refuse("lti", "state", "no state, or one this tool did not make (or expired)",
                     400)
    if state.cookie_matches(form.state or "", dict(form.cookies)):
        return read, False
    if form.stored_state is not None and form.stored_state == form.state:
        return read, True
    if read.storage_target and form.stored_state is None:
        platform = db.session.get(LtiPlatform, read.platform_id)
        if platform is not None:
            raise StoredStateNeeded(read.storage_target, origin_of(platform.auth_login_url))
    raise refuse("lti", "state", "the state was not issued to this browser", 400)


def _check_format(id_token: str | None) -> tuple[dict[str, Any], dict[str, Any]]:
    parts = (id_token or "").split(".")
    try:
        if len(parts) != 3:
            raise ValueError("not a compact JWS (three dot-separated parts)")
        header, claims = (json.loads(urlsafe_b64decode(p.encode())) for p in parts[:2])
        if not isinstance(header, dict) or not isinstance(claims, dict):
            raise ValueError("header and payload must be JSON objects")
    except (ValueError, UnicodeDecodeError) as exc:
        raise refuse("lti", "format", f"id_token: {exc}", 400) from None
    if header.get("alg") != ALGORITHM:
        raise refuse("lti", "format", f"id_token alg {header.get('alg')!r}, not RS256", 400)
    if not c.text(claims.get("iss")) or not c.text(claims.get("sub")):
        raise refuse("lti", "format", "id_token without iss or sub", 400)
    return header, claims


def _check_nonce(claims: Mapping[str, Any], launch_state: state.LaunchState) -> None:
    if claims.get("nonce") != launch_state.nonce:
        raise refuse("lti", "nonce", "the id_token's nonce is not the one this login sent")


def _check_registration(claims: Mapping[str, Any], platform: LtiPlatform | None) -> LtiPlatform:
    if platform is None or platform.issuer != claims["iss"]:
        raise refuse("lti", "issuer", f"issuer {claims['iss']!r} is not the registered "
                     "platform this login was started for")
    if platform.status != "active":
        raise refuse("lti", "registration", f"platform {platform.id} awaits an "
                     "administrator's confirmation", 403)
    return platform


def _check_signature(id_token: str, header: Mapping[str, Any], platform: LtiPlatform) -> None:
    kid = header.get("kid") if isinstance(header.get("kid"), str) else None
    try:
        key = key_for(platform.jwks_url, kid)
    except PlatformKeysUnavailable as exc:
        raise refuse("lti", "platform_keys", str(exc), 502) from None
    if key is None:
        raise refuse("lti", "signature", f"the platform publishes no key {kid!r}")
    try:
        jws.deserialize_compact(id_token, key, algorithms=[ALGORITHM])
    except (JoseError, ValueError) as exc:
        raise refuse("lti", "signature", f"id_token signature: {exc}") from None


def _check_deployment(claims: Mapping[str, Any], platform: LtiPlatform) -> LtiDeployment:
    deployment_id = c.text(claims.get(c.DEPLOYMENT_ID))
    found = find_deployment(platform.id, deployment_id) if deployment_id else None
    if found is None:
        raise refuse("lti", "deployment", f"deployment {deployment_id!r} is not registered "
                     f"for platform {platform.id}")
    return found


def _check_message(claims: Mapping[str, Any]) -> None:
    problem = c.message_problem(claims)
    if problem:
        raise refuse("lti", "message", problem, 400)


def _check_audience(claims: Mapping[str, Any], platform: LtiPlatform) -> None:
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if platform.client_id not in audiences:
        raise refuse("lti", "audience", f"aud {aud!r} does not name client {platform.client_id}")
    azp = claims.get("azp")
    if (len(audiences) > 1 or azp is not None) and azp != platform.client_id:
        raise refuse("lti", "audience", f"azp {azp!r} is not client {platform.client_id}")


def _check_times(claims: Mapping[str, Any]) -> None:
    now, exp, iat = time.time(), claims.get("exp"), claims.get("iat")
    if not isinstance(exp, int | float) or not isinstance(iat, int | float):
        raise refuse("lti", "format", "id_token without numeric exp and iat", 400)
    if now > exp + LEEWAY_SECONDS:
        raise refuse("lti", "expired", f"id_token expired {int(now - exp)} s ago")
    if iat > now + LEEWAY_SECONDS:
        raise refuse("lti", "issued_in_future", f"id_token iat {int(iat - now)} s ahead")


def _consume_nonce(nonce: str) -> None:
    try:
        fresh = nonces.consume(nonce, NONCE_SECONDS)
    except nonces.NonceStoreDown as exc:
        raise refuse("lti", "nonce_store", str(exc), 503) from None
    if not fresh:
        raise refuse("lti", "replay", "this launch's nonce was used already")


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a URL: a postMessage target and a frame ancestor."""
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{rest.split('/', 1)[0]}"
