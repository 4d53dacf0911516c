"""LTI 1.3 claim names and the message types this tool accepts (1EdTech LTI Core 1.3,
Deep Linking 2.0, Names and Role Provisioning 2.0, Assignment and Grade Services 2.0)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
MESSAGE_TYPE = LTI + "message_type"
VERSION = LTI + "version"
DEPLOYMENT_ID = LTI + "deployment_id"
TARGET_LINK_URI = LTI + "target_link_uri"
RESOURCE_LINK = LTI + "resource_link"
ROLES = LTI + "roles"
CONTEXT = LTI + "context"
CUSTOM = LTI + "custom"
LAUNCH_PRESENTATION = LTI + "launch_presentation"
DEEP_LINKING_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
NAMES_ROLES = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
GRADES = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"

LTI_VERSION = "1.3.0"
RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest"


def _resource_link_problem(claims: Mapping[str, Any]) -> str | None:
    link = claims.get(RESOURCE_LINK)
    if not isinstance(link, Mapping) or not isinstance(link.get("id"), str) or not link["id"]:
        return "a resource link request needs resource_link.id"
    return None


def _deep_linking_problem(claims: Mapping[str, Any]) -> str | None:
    settings = claims.get(DEEP_LINKING_SETTINGS)
    if not isinstance(settings, Mapping) or not settings.get("deep_link_return_url"):
        return "a deep linking request needs deep_linking_settings.deep_link_return_url"
    return None


# Each accepted message type and what it must carry beyond the common claims.
MESSAGE_CHECKS = {
    RESOURCE_LINK_REQUEST: _resource_link_problem,
    DEEP_LINKING_REQUEST: _deep_linking_problem,
}


def message_problem(claims: Mapping[str, Any]) -> str | None:
    """Why the message is not one this tool takes (type, version, required claims)."""
    kind = claims.get(MESSAGE_TYPE)
    if kind not in MESSAGE_CHECKS:
        return f"message type {kind!r} is not one this tool accepts"
    if claims.get(VERSION) != LTI_VERSION:
        return f"LTI version {claims.get(VERSION)!r}, expected {LTI_VERSION}"
    if not isinstance(claims.get(ROLES), list):
        return "the roles claim is missing"
    return MESSAGE_CHECKS[kind](claims)


def text(value: Any, limit: int = 255) -> str | None:
    """A claim's value when it is a non-empty string (cut to ``limit``), else None."""
    return value[:limit] if isinstance(value, str) and value.strip() else None


def custom_params(claims: Mapping[str, Any]) -> dict[str, str]:
    """The custom parameters as strings (platforms substitute variables into them)."""
    custom = claims.get(CUSTOM)
    if not isinstance(custom, Mapping):
        return {}
    return {str(k): str(v) for k, v in custom.items() if isinstance(v, str | int | float)}
