"""Pages inside the LMS's iframe: who may frame them, and the cookies that make it work.

- ``frame-ancestors``: every page keeps ``'none'`` except in a session an LTI launch
  started; there, pages may be framed by the launching platform's origins only
  (remembered at the launch from its registration and its signed claims). A single
  response may add one origin (``allow_frame_ancestor``, dynamic registration).
- The session cookie of such a session is ``SameSite=None; Secure``: in the LMS's frame
  every request of ours is third-party, and a ``Lax`` cookie would not be sent.
  Launches therefore need HTTPS (browsers refuse ``SameSite=None`` without ``Secure``).
- Both cookies are also ``Partitioned`` (CHIPS): browsers that block third-party cookies
  (Chromium's default in 2026 for framed cross-site pages) still keep a partitioned
  cookie, in a jar of the LMS's site alone. Browsers without CHIPS ignore the attribute;
  where no cookie is kept at all, the platform's client-side storage and the "open in a
  new window" handoff take over (app.web.lti.views).
- The tool's own LTI pages (``/lti/…``: the storage page, refusals, notices) may be
  framed by every registered platform: they are what a launch shows before (or instead
  of) a session.
"""

from __future__ import annotations

from flask import Flask, g, has_request_context, request, session
from werkzeug.wrappers import Response

from app.services.lti.registrations import platform_origins
from app.web.security_headers import extend_form_action

SESSION_KEY = "lti_frame"  # origins that may frame this session's pages


def init_framing(app: Flask) -> None:
    app.extensions["frame_ancestors"] = frame_ancestors


def remember_launch(origins: list[str]) -> None:
    """From now on, this session's pages may be framed by ``origins``."""
    session[SESSION_KEY] = sorted(set(origins))


def frame_ancestors() -> list[str] | None:
    """The origins that may frame this response; None keeps ``'none'``."""
    if not has_request_context():
        return None
    found = [*session.get(SESSION_KEY, []), *g.get("extra_frame_ancestors", [])]
    if not found and request.blueprint == "lti":
        found = platform_origins()
    return found or None


def framed_session() -> bool:
    """True when this session was started by a launch (its cookie crosses sites), also
    once it is cleared (log-out): the cookie must then be deleted in the frame's jar."""
    if not has_request_context():
        return False
    return bool(session.get(SESSION_KEY)) or bool(g.get("lti_framed_cookie"))


def note_framed_cookie(opened: dict | None) -> None:
    """Called as the session opens: remember that the request came with a framed one."""
    if opened is not None and opened.get(SESSION_KEY):
        g.lti_framed_cookie = True


def allow_frame_ancestor(origin: str) -> None:
    """Let ``origin`` frame this one response."""
    g.extra_frame_ancestors = [*g.get("extra_frame_ancestors", []), origin]


def allow_form_action(origin: str) -> None:
    """Let this response's forms post to ``origin`` (the LMS's deep-linking return)."""
    extend_form_action(origin)


def set_cross_site_cookie(response: Response, name: str, value: str, max_age: int,
                          path: str = "/lti/") -> None:
    """A cookie the browser sends on the platform's cross-site POST back to us."""
    response.set_cookie(name, value, max_age=max_age, path=path, secure=True, httponly=True,
                        samesite="None", partitioned=True)


def delete_cross_site_cookie(response: Response, name: str, path: str = "/lti/") -> None:
    response.delete_cookie(name, path=path, secure=True, httponly=True, samesite="None",
                           partitioned=True)
