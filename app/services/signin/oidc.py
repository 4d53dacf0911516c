"""OpenID Connect providers from settings (``ACHIEVEMENTS_OIDC_<NAME>_*``) and what their
verified ID-token claims mean here.

Each provider declares the claims it must send (``REQUIRED`` and its own
``_REQUIRED_CLAIMS``, e.g. Google Workspace's ``hd``: warehouse's per-provider habit).
The ID-token checks are written out rather than left to the client library's defaults:
its audience check otherwise goes through ``azp`` only, so a token minted for another
client naming ours as ``azp`` would pass (REFERENCES.md, "Sign-in").
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.services.accounts.identities import Claims, role_from

DEFAULT_SCOPES = "openid email profile"
REQUIRED = ("iss", "sub", "aud", "exp", "iat")
LEEWAY_SECONDS = 60  # clock skew tolerated on exp/iat


@dataclass(frozen=True)
class OidcProvider:
    name: str  # the URL segment: /login/oidc/<name>
    issuer: str
    client_id: str
    client_secret: str | None = None
    scopes: str = DEFAULT_SCOPES
    role_claim: str | None = None
    roles: Mapping[str, str] = field(default_factory=dict)
    label: str = ""
    required: tuple[str, ...] = REQUIRED  # claims a token must carry (e.g. + email, hd)

    @property
    def key(self) -> str:
        """The identity table's provider column."""
        return f"oidc:{self.name}"

    @property
    def metadata_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"


def providers(settings: Mapping[str, Mapping[str, str]]) -> dict[str, OidcProvider]:
    """The configured providers by name; one without a client id is a setup error."""
    found = {}
    for name, spec in settings.items():
        if not spec.get("client_id"):
            raise ValueError(f"ACHIEVEMENTS_OIDC_{name.upper()}_CLIENT_ID is required")
        scopes = spec.get("scopes") or DEFAULT_SCOPES
        if "openid" not in scopes.split():
            scopes = "openid " + scopes
        found[name] = OidcProvider(
            name=name, issuer=spec["issuer"], client_id=spec["client_id"],
            client_secret=spec.get("client_secret"), scopes=scopes,
            role_claim=spec.get("role_claim"), roles=json.loads(spec.get("roles") or "{}"),
            label=spec.get("label") or name.replace("_", " ").title(),
            required=REQUIRED + tuple((spec.get("required_claims") or "").split()))
    return found


def id_token_checks(provider: OidcProvider) -> dict[str, Any]:
    """Claims options for the ID-token check: issuer and audience named explicitly."""
    options: dict[str, Any] = {claim: {"essential": True} for claim in provider.required}
    options["iss"]["values"] = [provider.issuer]
    options["aud"]["values"] = [provider.client_id]
    return options


def claims_from_oidc(provider: OidcProvider, claims: Mapping[str, Any]) -> tuple[Claims, str]:
    """The person and their role from verified ID-token (and userinfo) claims."""
    values = claims.get(provider.role_claim) if provider.role_claim else None
    if isinstance(values, str):
        values = values.split()
    person = Claims(
        provider=provider.key, subject=str(claims["sub"]),
        email=claims.get("email") if isinstance(claims.get("email"), str) else None,
        email_verified=claims.get("email_verified") is True,
        name=claims.get("name") if isinstance(claims.get("name"), str) else None,
        locale=claims.get("locale") if isinstance(claims.get("locale"), str) else None,
        role_values=tuple(str(v) for v in values or ()))
    return person, role_from(person.role_values, provider.roles)
