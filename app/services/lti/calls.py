"""Calls to a platform's services (token endpoint, Names and Roles, grades, dynamic
registration): one place for the timeout, the error in words and the JSON checks, so every
LTI Advantage module fails the same way (``PlatformError``) and nothing hangs a worker."""

from __future__ import annotations

from typing import Any

import requests

TIMEOUT_SECONDS = 15


class PlatformError(Exception):
    """A platform's service refused or failed; the message says which call and why,
    ``status`` the HTTP status when the platform answered one."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def call(method: str, url: str, *, headers: dict[str, str] | None = None,
         json: Any = None, data: dict[str, str] | None = None) -> requests.Response:
    """The platform's answer when it is a success (2xx); else ``PlatformError``."""
    try:
        reply = requests.request(method, url, headers=headers, json=json, data=data,
                                 timeout=TIMEOUT_SECONDS)
    except requests.RequestException as error:
        raise PlatformError(f"{method} {url}: {error}") from error
    if not 200 <= reply.status_code < 300:
        raise PlatformError(f"{method} {url} answered {reply.status_code}: {reply.text[:200]}",
                            reply.status_code)
    return reply


def json_of(reply: requests.Response) -> Any:
    """The answer's JSON (None for an empty body)."""
    if not reply.content:
        return None
    try:
        return reply.json()
    except ValueError as error:
        raise PlatformError(f"{reply.url}: the answer is not JSON") from error


def json_object(reply: requests.Response) -> dict[str, Any]:
    """The answer's JSON object."""
    body = json_of(reply)
    if not isinstance(body, dict):
        raise PlatformError(f"{reply.url}: the answer is not a JSON object")
    return body
