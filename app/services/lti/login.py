"""OIDC third-party initiated login (LTI Core 1.3 §5.1.1): the platform names itself and
the person; the tool answers with an authentication request to the platform, carrying
a fresh state and nonce (app.services.lti.state).

Refused before anything is sent: an issuer (and client id) not registered, a platform
awaiting confirmation, no ``login_hint``, and a ``target_link_uri`` that is not this
tool's (the login would otherwise lend our name to a redirect elsewhere).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from app.models import LtiPlatform
from app.services.lti import state
from app.services.lti.launch import origin_of
from app.services.lti.registrations import find_platform
from app.services.signin import refuse


@dataclass(frozen=True)
class LoginStart:
    """Where to send the browser, and the state it must bring back."""

    auth_url: str
    state: str
    nonce: str
    storage_target: str | None
    platform_origin: str


def start_login(params: Mapping[str, str], public_url: str, launch_url: str) -> LoginStart:
    """The authentication request for a login initiation; raises ``SignInRefused``."""
    platform = _platform(params)
    hint = params.get("login_hint", "")
    if not hint:
        raise refuse("lti", "login", "the login initiation has no login_hint", 400)
    target = params.get("target_link_uri", "")
    if not (target == public_url or target.startswith(public_url.rstrip("/") + "/")):
        raise refuse("lti", "login", f"target_link_uri {target!r} is not this tool's", 400)
    storage = params.get("lti_storage_target") or None
    token, made = state.issue(platform.id, storage)
    query = {"scope": "openid", "response_type": "id_token", "response_mode": "form_post",
             "prompt": "none", "client_id": platform.client_id, "redirect_uri": launch_url,
             "login_hint": hint, "state": token, "nonce": made.nonce}
    if params.get("lti_message_hint"):
        query["lti_message_hint"] = params["lti_message_hint"]
    separator = "&" if "?" in platform.auth_login_url else "?"
    return LoginStart(platform.auth_login_url + separator + urlencode(query), token,
                      made.nonce, storage, origin_of(platform.auth_login_url))


def _platform(params: Mapping[str, str]) -> LtiPlatform:
    issuer = params.get("iss", "")
    platform = find_platform(issuer, params.get("client_id")) if issuer else None
    if platform is None:
        raise refuse("lti", "issuer", f"no registered platform {issuer!r} "
                     f"(client id {params.get('client_id')!r})", 400)
    if platform.status != "active":
        raise refuse("lti", "registration", f"platform {platform.id} awaits an "
                     "administrator's confirmation", 403)
    return platform
