"""The platform side of LTI Dynamic Registration 1.0 for the test platform
(``tests.support.lti_platform``). ``lti1p3platform`` has no dynamic registration, so this is
glue written from the spec (1EdTech LTI Dynamic Registration 1.0, §3-§4): the
openid-configuration document, the registration endpoint taking a one-time registration
token, and the admin page that frames the tool's registration URL and waits for its
``org.imsglobal.lti.close`` message, as Moodle 4.x does.
"""

from __future__ import annotations

import html
import json
import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

if TYPE_CHECKING:
    from tests.support.lti_platform import Platform

TOOL_CONFIG = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_CONFIG = "https://purl.imsglobal.org/spec/lti-platform-configuration"
ENDPOINTS = ("openid_configuration", "register", "offer_page")
RULES = [Rule("/.well-known/openid-configuration", endpoint="openid_configuration"),
         Rule("/register", endpoint="register"), Rule("/tools/register", endpoint="offer_page")]
SCOPES = ["openid", "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
          "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
          "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
          "https://purl.imsglobal.org/spec/lti-ags/scope/score"]


def offer_page_url(platform: Platform, tool_register_url: str) -> str:
    """A one-time registration token and the admin page that frames the tool with it."""
    token = secrets.token_urlsafe(16)
    platform.registration_tokens.add(token)
    query = urlencode({"openid_configuration": platform.openid_configuration_url,
                       "registration_token": token})
    joiner = "&" if "?" in tool_register_url else "?"  # the tool's URL may carry its own
    platform.offers[token] = f"{tool_register_url}{joiner}{query}"
    return f"{platform.issuer}/tools/register?offer={token}"


def openid_configuration(platform: Platform, request: Request) -> Response:
    issuer = platform.issuer
    document = {
        "issuer": issuer, "authorization_endpoint": platform.auth_login_url,
        "registration_endpoint": f"{issuer}/register", "jwks_uri": platform.jwks_url,
        "token_endpoint": platform.token_url,
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
        "scopes_supported": SCOPES, "response_types_supported": ["id_token"],
        "subject_types_supported": ["public", "pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "claims_supported": ["sub", "iss", "name", "given_name", "family_name", "email"],
        PLATFORM_CONFIG: {
            "product_family_code": "lti1p3platform-tests", "version": "0.1.8",
            "messages_supported": [{"type": "LtiResourceLinkRequest"},
                                   {"type": "LtiDeepLinkingRequest"}],
            "variables": []},
    }
    return Response(json.dumps(document), content_type="application/json")


def _problems(body: dict[str, Any]) -> list[str]:
    config = body.get(TOOL_CONFIG) or {}
    checks = {
        "application_type": body.get("application_type") == "web",
        "response_types": "id_token" in (body.get("response_types") or []),
        "grant_types": {"implicit", "client_credentials"} <= set(body.get("grant_types") or []),
        "initiate_login_uri": str(body.get("initiate_login_uri", "")).startswith("https://"),
        "redirect_uris": bool(body.get("redirect_uris")) and all(
            str(uri).startswith("https://") for uri in body["redirect_uris"]),
        "jwks_uri": str(body.get("jwks_uri", "")).startswith("https://"),
        "token_endpoint_auth_method": body.get("token_endpoint_auth_method") == "private_key_jwt",
        "client_name": bool(body.get("client_name")),
        TOOL_CONFIG: bool(config.get("domain")) and bool(config.get("target_link_uri")),
    }
    return [name for name, ok in checks.items() if not ok]


def register(platform: Platform, request: Request) -> Response:
    """The registration endpoint: a valid token once, a complete tool configuration."""
    token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if request.method != "POST":
        return Response(status=405)
    if token not in platform.registration_tokens:
        return _error(401, "invalid_token", "registration token unknown or used")
    body = request.get_json(silent=True) or {}
    problems = _problems(body)
    if problems:
        return _error(400, "invalid_client_metadata", ", ".join(problems))
    platform.registration_tokens.discard(token)
    tool = platform.register_tool(client_id=f"dyn-{secrets.token_hex(4)}")
    tool.login_url, tool.jwks_url = body["initiate_login_uri"], body["jwks_uri"]
    tool.launch_url, tool.redirect_uris = body[TOOL_CONFIG]["target_link_uri"], body[
        "redirect_uris"]
    answer = {**body, "client_id": tool.client_id,
              TOOL_CONFIG: {**body[TOOL_CONFIG], "deployment_id": tool.deployment_id}}
    platform.registrations.append({"request": body, "response": answer, "tool": tool})
    return Response(json.dumps(answer), content_type="application/json")


def _error(status: int, code: str, description: str) -> Response:
    return Response(json.dumps({"error": code, "error_description": description}),
                    status=status, content_type="application/json")


def offer_page(platform: Platform, request: Request) -> Response:
    """The admin's "add a tool" page: frames the tool's registration URL; the tool's
    ``{subject: 'org.imsglobal.lti.close'}`` message closes the frame."""
    src = platform.offers[request.args["offer"]]
    body = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Add a tool</title>'
        '</head><body><main><h1>Add a tool</h1><p id="status" role="status">open</p>'
        f'<iframe id="tool" title="Tool registration" src="{html.escape(src)}" '
        'style="width:100%;height:70vh;border:0"></iframe></main><script>'
        "addEventListener('message', (e) => { if (e.data && e.data.subject === "
        "'org.imsglobal.lti.close') { document.getElementById('status').textContent = "
        "'closed'; document.getElementById('tool').remove(); } });</script></body></html>")
    return Response(body, content_type="text/html; charset=utf-8")
