"""Platforms (LMSs) registered with the tool and their deployments: add, list, remove,
look up. Used by the CLI, the launch and (later) dynamic registration.

A platform is ``(issuer, client_id)``: one LMS may register the tool several times
(one client id each). Its endpoints must be ``https`` URLs; plain ``http`` is allowed
for loopback hosts only, so a demo or a test platform on this machine works while no
real registration can leak a launch over cleartext.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from app.errors import Conflict, InvalidInput, NotFound
from app.extensions import db
from app.models import LtiContext, LtiDeployment, LtiPlatform
from app.models.lti import PLATFORM_STATUSES

ENDPOINTS = ("issuer", "auth_login_url", "auth_token_url", "jwks_url")


@dataclass(frozen=True)
class PlatformSpec:
    """What an administrator (or a dynamic registration) says about a platform."""

    issuer: str
    client_id: str
    auth_login_url: str
    auth_token_url: str
    jwks_url: str
    deployment_ids: Sequence[str] = ()
    trusted_email: bool = False
    name: str | None = None
    auth_audience: str | None = None
    status: str = "active"
    invite_id: str | None = None


def add_platform(spec: PlatformSpec) -> LtiPlatform:
    """Register a platform and its deployments; refused (nothing stored) on a bad URL, an
    empty id or an ``(issuer, client_id)`` already registered."""
    _validate(spec)
    platform = LtiPlatform(
        name=(spec.name or urlsplit(spec.issuer).hostname or spec.issuer)[:120],
        issuer=spec.issuer, client_id=spec.client_id, auth_login_url=spec.auth_login_url,
        auth_token_url=spec.auth_token_url, auth_audience=spec.auth_audience,
        jwks_url=spec.jwks_url, trusted_email=spec.trusted_email, status=spec.status,
        invite_id=spec.invite_id)
    db.session.add(platform)
    try:
        db.session.flush()
        _add_deployments(platform.id, spec.deployment_ids)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(f"platform {spec.issuer} with client id {spec.client_id} is already "
                       "registered", fields={"client_id": ["already registered"]}) from None
    return platform


def add_deployments(platform_id: int, deployment_ids: Iterable[str]) -> None:
    """More deployments of a registered platform; ones already there are kept as they are."""
    platform = get_platform(platform_id)
    known = set(deployments_of(platform.id))
    _add_deployments(platform.id, [d for d in dict.fromkeys(deployment_ids) if d not in known])
    db.session.commit()


def list_platforms() -> list[LtiPlatform]:
    return list(db.session.scalars(select(LtiPlatform).order_by(LtiPlatform.id)))


def deployments_of(platform_id: int) -> list[str]:
    query = (select(LtiDeployment.deployment_id).where(LtiDeployment.platform_id == platform_id)
             .order_by(LtiDeployment.id))
    return list(db.session.scalars(query))


def get_platform(platform_id: int) -> LtiPlatform:
    platform = db.session.get(LtiPlatform, platform_id)
    if platform is None:
        raise NotFound(f"no LTI platform {platform_id}", fields={"id": ["unknown platform"]})
    return platform


def find_platform(issuer: str, client_id: str | None) -> LtiPlatform | None:
    """The platform registered as ``issuer`` (and ``client_id`` when the request names
    one; the login initiation may leave it out when the issuer has one registration)."""
    query = select(LtiPlatform).where(LtiPlatform.issuer == issuer)
    if client_id:
        query = query.where(LtiPlatform.client_id == client_id)
    found = list(db.session.scalars(query.limit(2)))
    return found[0] if len(found) == 1 else None


def find_deployment(platform_id: int, deployment_id: str) -> LtiDeployment | None:
    return db.session.scalar(select(LtiDeployment).where(
        LtiDeployment.platform_id == platform_id, LtiDeployment.deployment_id == deployment_id))


def platform_origins() -> list[str]:
    """The web origins of every active platform (its issuer and its sign-in endpoint): the
    pages a launch shows may be framed by these only."""
    rows = db.session.execute(select(LtiPlatform.issuer, LtiPlatform.auth_login_url)
                              .where(LtiPlatform.status == "active")).all()
    return sorted({_origin(url) for row in rows for url in row})


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def remove_platform(platform_id: int) -> LtiPlatform:
    """Unregister a platform: its deployments and contexts go with it; its people's
    accounts and awards stay (they may sign in otherwise, or be linked again)."""
    platform = get_platform(platform_id)
    for table in (LtiDeployment, LtiContext):  # SQLite does not cascade unless told to
        db.session.execute(delete(table).where(table.platform_id == platform_id))
    db.session.delete(platform)
    db.session.commit()
    return platform


def confirm_platform(platform_id: int) -> LtiPlatform:
    """An administrator accepts a pending (dynamically registered) platform."""
    platform = get_platform(platform_id)
    platform.status = "active"
    db.session.commit()
    return platform


def _add_deployments(platform_id: int, deployment_ids: Iterable[str]) -> None:
    for deployment_id in dict.fromkeys(deployment_ids):
        db.session.add(LtiDeployment(platform_id=platform_id, deployment_id=deployment_id))
    db.session.flush()


def _validate(spec: PlatformSpec) -> None:
    errors: dict[str, list[str]] = {}
    for name in ENDPOINTS:
        problem = url_problem(getattr(spec, name))
        if problem:
            errors[name] = [problem]
    if len(spec.issuer) > 255:
        errors["issuer"] = ["at most 255 characters"]
    if spec.auth_audience is not None and not spec.auth_audience.strip():
        errors["auth_audience"] = ["empty"]
    if not spec.client_id.strip() or len(spec.client_id) > 255:
        errors["client_id"] = ["required, at most 255 characters"]
    if any(not d.strip() or len(d) > 255 for d in spec.deployment_ids):
        errors["deployment_id"] = ["each must be 1 to 255 characters"]
    if spec.status not in PLATFORM_STATUSES:
        errors["status"] = [f"one of {', '.join(PLATFORM_STATUSES)}"]
    if errors:
        detail = "; ".join(f"{field}: {', '.join(why)}" for field, why in errors.items())
        raise InvalidInput(f"invalid LTI platform ({detail})", fields=errors)


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a platform endpoint, or None when it can."""
    parts = urlsplit(url.strip())
    if not parts.hostname or parts.scheme not in ("https", "http"):
        return "must be an absolute https URL"
    if parts.scheme == "http" and not _loopback(parts.hostname):
        return "must use https (http only for localhost)"
    return "too long" if len(url) > 2000 else None


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
