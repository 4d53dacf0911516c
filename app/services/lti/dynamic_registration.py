"""LTI Dynamic Registration 1.0: an administrator pastes one URL (``/lti/register``) into
the LMS; the LMS opens it with its ``openid_configuration`` URL and a one-time
``registration_token``; we read the platform's configuration, send ours to its
registration endpoint, and store the platform and deployment as **pending**.

Pending, because anyone who can make an LMS (or a page pretending to be one) call this URL
would otherwise register a platform whose launches we trust: nothing launches until an
administrator confirms it in the console (``registrations.confirm_platform``). And only
with an administrator's invite (``invites``), checked first: without one no outgoing
request is made and nothing is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from app.errors import InvalidInput
from app.models import LtiPlatform
from app.services.lti import invites
from app.services.lti.calls import PlatformError, call, json_object
from app.services.lti.registrations import PlatformSpec, add_platform, url_problem

PLATFORM_CONFIG = "https://purl.imsglobal.org/spec/lti-platform-configuration"
TOOL_CONFIG = "https://purl.imsglobal.org/spec/lti-tool-configuration"
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
AGS_SCOPES = ("https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
              "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
              "https://purl.imsglobal.org/spec/lti-ags/scope/score")
REQUIRED = ("issuer", "authorization_endpoint", "registration_endpoint", "jwks_uri",
            "token_endpoint")


@dataclass(frozen=True)
class Tool:
    """Who we are, as the registration tells the platform (from the app's settings)."""

    public_url: str
    name: str
    logo_url: str | None = None

    def url(self, path: str) -> str:
        return self.public_url.rstrip("/") + path


def register(invite: str | None, openid_configuration: str, registration_token: str | None,
             tool: Tool) -> LtiPlatform:
    """Run the registration; the pending platform. ``Forbidden`` without a usable invite,
    ``InvalidInput`` for a bad request, ``PlatformError`` when the platform's answers are
    unusable; nothing stored then."""
    invite_id = invites.usable_invite(invite)
    if not openid_configuration.startswith("https://") or url_problem(openid_configuration):
        raise InvalidInput("openid_configuration must be the platform's https URL",
                           fields={"openid_configuration": ["invalid"]})
    config = platform_configuration(openid_configuration, registration_token)
    answer = _post(str(config["registration_endpoint"]), tool_configuration(tool, config),
                   registration_token)
    return add_platform(_spec(config, answer, invite_id))


def platform_configuration(url: str, token: str | None) -> dict[str, Any]:
    """The platform's OpenID configuration, checked: its issuer on the same host as the
    URL we were given (spec §3.5.1), every endpoint we need present and usable."""
    config = json_object(call("GET", url, headers=_headers(token)))
    missing = [name for name in REQUIRED if not isinstance(config.get(name), str)
               or url_problem(config[name])]
    if missing:
        raise PlatformError(f"{url}: missing or unusable {', '.join(missing)}")
    if urlsplit(config["issuer"]).hostname != urlsplit(url).hostname:
        raise PlatformError(f"{url}: issuer {config['issuer']} is not on this host")
    return config


def tool_configuration(tool: Tool, config: dict[str, Any]) -> dict[str, Any]:
    """Our registration request (spec §3.5.2): launch and login URLs, our JWKS, the
    messages we take (resource links, deep linking) and the service scopes we use."""
    offered = set(config.get("scopes_supported") or [NRPS_SCOPE, *AGS_SCOPES])
    scopes = [s for s in (NRPS_SCOPE, *AGS_SCOPES) if s in offered]
    launch = tool.url("/lti/launch")
    body: dict[str, Any] = {
        "application_type": "web", "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": tool.url("/lti/login"), "redirect_uris": [launch],
        "client_name": tool.name, "jwks_uri": tool.url("/lti/jwks.json"),
        "token_endpoint_auth_method": "private_key_jwt", "scope": " ".join(scopes),
        TOOL_CONFIG: {
            "domain": urlsplit(tool.public_url).netloc, "target_link_uri": launch,
            "claims": ["iss", "sub", "name", "given_name", "family_name", "email"],
            "messages": [{"type": "LtiResourceLinkRequest", "target_link_uri": launch},
                         {"type": "LtiDeepLinkingRequest", "target_link_uri": launch,
                          "label": tool.name}]},
    }
    if tool.logo_url:
        body["logo_uri"] = tool.logo_url
    return body


def _spec(config: dict[str, Any], answer: dict[str, Any], invite_id: str) -> PlatformSpec:
    client_id = answer.get("client_id")
    if not isinstance(client_id, str) or not client_id:
        raise PlatformError("the registration answer has no client_id")
    deployment = (answer.get(TOOL_CONFIG) or {}).get("deployment_id")
    product = (config.get(PLATFORM_CONFIG) or {}).get("product_family_code")
    audience = config.get("authorization_server")
    return PlatformSpec(
        issuer=config["issuer"], client_id=client_id,
        auth_login_url=config["authorization_endpoint"],
        auth_token_url=config["token_endpoint"], jwks_url=config["jwks_uri"],
        deployment_ids=[str(deployment)] if deployment else [],
        name=f"{product} ({urlsplit(config['issuer']).hostname})" if product else None,
        auth_audience=audience if isinstance(audience, str) and audience else None,
        status="pending", invite_id=invite_id)


def _post(url: str, body: dict[str, Any], token: str | None) -> dict[str, Any]:
    return json_object(call("POST", url, json=body, headers=_headers(token)))


def _headers(token: str | None) -> dict[str, str]:
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers
