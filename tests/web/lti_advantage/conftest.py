"""LTI Advantage fixtures: the test platform (``tests.support.lti_platform``, PyPI
``lti1p3platform`` over HTTPS) with our tool registered on it and it on us, an LMS course
whose context maps to our course ``c1``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Course as OurCourse
from app.models import LtiContext, LtiPlatform
from app.services.lti.keys import RING, public_jwks
from app.services.lti.registrations import PlatformSpec, add_platform
from tests.support.catalog import build_catalog
from tests.support.lti_platform import Course, Member, Platform, Tool


@dataclass
class Lms:
    """Both sides of one registration: the platform's view and ours."""

    platform: Platform
    tool: Tool
    course: Course
    registered: LtiPlatform
    context: LtiContext

    def roster(self, *members: Member) -> Lms:
        self.course.set_roster(list(members))
        return self


def register_both(platform: Platform, **tool_options: Any) -> tuple[Tool, LtiPlatform]:
    """Our tool on the platform (with our public keys), the platform here."""
    RING.forget_active_key()  # a shared PostgreSQL database is emptied between tests
    tool = platform.register_tool(jwks=public_jwks(), **tool_options)
    registered = add_platform(PlatformSpec(
        issuer=platform.issuer, client_id=tool.client_id,
        auth_login_url=platform.auth_login_url, auth_token_url=platform.token_url,
        jwks_url=platform.jwks_url, deployment_ids=[tool.deployment_id]))
    return tool, registered


def build_lms(platform: Platform) -> Lms:
    """Both registrations and an LMS course mapped to our course ``c1`` (in an app context)."""
    build_catalog("c1", units=1, modules=2)
    tool, registered = register_both(platform)
    course = platform.course()
    ours = db.session.scalar(select(OurCourse.id).where(OurCourse.key == "c1"))
    context = LtiContext(platform_id=registered.id, context_id=course.id, title=course.title,
                         course_id=ours, context_memberships_url=course.memberships_url,
                         lineitems_url=course.lineitems_url)
    db.session.add(context)
    db.session.commit()
    return Lms(platform, tool, course, registered, context)


@pytest.fixture
def lms(app: Any, lti_platform: Platform) -> Lms:
    return build_lms(lti_platform)
