"""LTI Deep Linking 2.0: an instructor placing the tool in an LMS course picks what the link
opens, and the tool answers with a signed ``LtiDeepLinkingResponse``.

Request-agnostic (as xblock-lti-consumer's ``lti_1p3``): the transport reads the request
and renders pages; this module reads the launch's deep linking settings, says what may be
placed in a course, checks a choice and signs the answer. A placed link is an
``ltiResourceLink`` back to ``/lti/launch`` whose custom parameters say what it opens:
``target`` = ``dashboard`` | ``course`` | ``badge:<key>``, and ``course_key``.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, replace
from typing import Any

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import select

from app.errors import InvalidInput, NotFound
from app.extensions import db
from app.infra.caches.catalog import catalog
from app.models import Achievement, LtiPlatform, User
from app.read.course_report import course_columns
from app.services.lti import claims as c
from app.services.lti import contexts
from app.services.lti.keys import sign_jwt

ITEMS_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/content_items"
DATA_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/data"
PICK_SECONDS = 30 * 60  # an instructor has this long to choose before the request expires


@dataclass(frozen=True)
class Settings:
    """What the platform's ``LtiDeepLinkingRequest`` asked for and must get back."""

    return_url: str
    data: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"return_url": self.return_url, "data": self.data}


@dataclass(frozen=True)
class Pending:
    """A deep linking request between the launch and the instructor's choice, sealed into
    the picker form (signed, timed): no server state, nothing to clean up."""

    platform_id: int
    deployment_id: str
    return_url: str
    data: str | None
    user_id: int
    course_key: str  # "" while the LMS course is not connected to one of ours
    context_id: int | None = None

    @property
    def settings(self) -> Settings:
        return Settings(return_url=self.return_url, data=self.data)


@dataclass(frozen=True)
class Landing:
    """Where a placed link opens for this person: a page kind and the key or id it needs
    (``dashboard``, ``course_player``, ``course_console``, ``award``, ``badge_console``)."""

    page: str
    key: str | int | None = None


@dataclass(frozen=True)
class Placement:
    """One thing an instructor may place: ``target`` as the link's custom parameter."""

    target: str
    course_key: str
    title: str


def settings_from(claims: dict[str, Any]) -> Settings:
    """The request's settings; refused when the platform cannot take a resource link."""
    settings = claims.get(c.DEEP_LINKING_SETTINGS)
    if not isinstance(settings, dict) or not str(settings.get("deep_link_return_url", "")):
        raise InvalidInput("the deep linking request has no deep_link_return_url",
                           fields={"deep_linking_settings": ["missing"]})
    accepted = settings.get("accept_types") or []
    if "ltiResourceLink" not in accepted:
        raise InvalidInput("the platform does not accept ltiResourceLink content items",
                           fields={"accept_types": ["ltiResourceLink not accepted"]})
    data = settings.get("data")
    return Settings(return_url=str(settings["deep_link_return_url"]),
                    data=None if data is None else str(data))


def choices(course_key: str) -> list[Placement]:
    """What may be placed in this course: its achievements page, each of its published
    badges' pages, and the learner's whole dashboard."""
    view = catalog().view
    course = view.courses.get(course_key)
    if course is None:
        raise NotFound(f"no course {course_key!r}", fields={"course_key": ["unknown"]})
    badges = [Placement(c.key, course_key, c.title)
              for c in course_columns(view, course_key) if c.kind == "badge"]
    return [Placement("course", course_key, course.title), *badges,
            Placement("dashboard", course_key, "")]


def placement(course_key: str, target: str) -> Placement:
    """The choice named by ``target``, if it is one of the course's ``choices``."""
    found = next((p for p in choices(course_key) if p.target == target), None)
    if found is None:
        raise InvalidInput(f"{target!r} cannot be placed in course {course_key!r}",
                           fields={"target": ["not a choice for this course"]})
    return found


def response_jwt(platform: LtiPlatform, deployment_id: str, settings: Settings,
                 chosen: Placement, launch_url: str, title: str) -> str:
    """The signed ``LtiDeepLinkingResponse``: from our client id to the platform, with the
    request's ``data`` echoed and one resource link carrying the placement."""
    item = {"type": "ltiResourceLink", "title": title, "url": launch_url,
            "custom": {"target": chosen.target, "course_key": chosen.course_key}}
    claims: dict[str, Any] = {
        "iss": platform.client_id, "aud": platform.issuer,
        "nonce": secrets.token_urlsafe(16),
        c.MESSAGE_TYPE: "LtiDeepLinkingResponse", c.VERSION: c.LTI_VERSION,
        c.DEPLOYMENT_ID: deployment_id, ITEMS_CLAIM: [item]}
    if settings.data is not None:
        claims[DATA_CLAIM] = settings.data
    return sign_jwt(claims)


def connect(pending: Pending, course_key: str, user: User) -> Pending:
    """An instructor's deep linking request in an LMS course not yet connected: connect it
    to the course they chose (the same rule as the launch's choose-course page: a course
    no other LMS course holds, or one they teach), make them its instructor, sync its
    roster; the request then goes on for that course."""
    if pending.context_id is None:
        raise InvalidInput("this request has no LMS course", fields={"course": ["none"]})
    course = contexts.connect(pending.context_id, course_key, user)
    return replace(pending, course_key=course.key)


def seal(pending: Pending) -> str:
    return _serializer().dumps(asdict(pending))


def unseal(token: str) -> Pending:
    """The pending request the picker form carried; refused when altered or expired."""
    try:
        return Pending(**_serializer().loads(token, max_age=PICK_SECONDS))
    except (BadData, TypeError) as error:
        raise InvalidInput("the deep linking request expired or was altered; add the tool "
                           "again from the course", fields={"request": ["invalid"]}) from error


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="lti-deep-linking")


def landing(target: str, course_key: str | None, user_id: int, instructor: bool) -> Landing:
    """Where a launch of a placed link goes: the custom ``target`` read for this person
    (instructors see the console's view of the course or badge, learners their own)."""
    if target == "course" and course_key:
        return Landing("course_console" if instructor else "course_player", course_key)
    if target.startswith("badge:") and instructor:
        return Landing("badge_console", target.removeprefix("badge:"))
    if target.startswith("badge:"):
        held = db.session.scalar(select(Achievement.id).where(
            Achievement.user_id == user_id, Achievement.dedupe_key == target))
        return Landing("award", held) if held is not None else Landing("dashboard")
    return Landing("dashboard")
