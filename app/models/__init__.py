"""SQLAlchemy models, one module per aggregate."""

from app.models.achievement import Achievement, AchievementStat
from app.models.audit import AuditEvent
from app.models.badge import Badge, BadgeVersion
from app.models.badge_image import BadgeImage
from app.models.catalog import Assessment, CatalogRevision, Course, Module, Unit
from app.models.enrollment import Enrollment
from app.models.identity import Identity
from app.models.job import BadgeJob
from app.models.login_failure import LoginFailure
from app.models.lti import LtiContext, LtiDeployment, LtiKey, LtiNonce, LtiPlatform
from app.models.notification import Notification, NotificationSwitch, PushSubscription, VapidKey
from app.models.progress import AssessmentAttempt, ModuleCompletion, ProgressEvent
from app.models.saml import SamlRequest, SamlSpKey
from app.models.user import ServiceToken, User
from app.models.xapi import XapiStatement

__all__ = [
    "Achievement",
    "AchievementStat",
    "Assessment",
    "AssessmentAttempt",
    "AuditEvent",
    "Badge",
    "BadgeImage",
    "BadgeJob",
    "BadgeVersion",
    "CatalogRevision",
    "Course",
    "Enrollment",
    "Identity",
    "LoginFailure",
    "LtiContext",
    "LtiDeployment",
    "LtiKey",
    "LtiNonce",
    "LtiPlatform",
    "Module",
    "ModuleCompletion",
    "Notification",
    "NotificationSwitch",
    "ProgressEvent",
    "PushSubscription",
    "SamlRequest",
    "SamlSpKey",
    "ServiceToken",
    "Unit",
    "User",
    "VapidKey",
    "XapiStatement",
]
