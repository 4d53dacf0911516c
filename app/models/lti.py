"""LTI 1.3: the platforms (LMSs) registered with this tool, their deployments, the tool's
own signing keys, the LMS course contexts seen in launches, and the nonces already used.

Registrations, deployments and keys are separate tables (DESIGN §7): a platform has
many deployments (one per place the tool is installed), a deployment id is only trusted
for the platform that registered it, and the tool's keys rotate independently of both.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, LargeBinary, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import JSONType, UTCDateTime, utcnow

PLATFORM_STATUSES = ("active", "pending")  # pending: dynamically registered, not confirmed


class LtiPlatform(db.Model):
    """A platform as registered here: who issues its id_tokens for which client id, and
    where its OIDC login, OAuth token and JWKS endpoints are.

    ``trusted_email`` is an administrator's statement that the platform verifies the
    emails it sends (LTI has no ``email_verified`` claim): only then may a launch link
    to an existing local account with that email. ``auth_audience`` is the ``aud`` the
    token endpoint expects in client assertions when it is not the token URL itself.
    """

    __tablename__ = "lti_platforms"
    __table_args__ = (UniqueConstraint("issuer", "client_id", name="uq_lti_platforms_client"),
                      UniqueConstraint("invite_id", name="uq_lti_platforms_invite"))

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    issuer: Mapped[str] = mapped_column(String(255))
    client_id: Mapped[str] = mapped_column(String(255))
    auth_login_url: Mapped[str] = mapped_column(String(2000))
    auth_token_url: Mapped[str] = mapped_column(String(2000))
    auth_audience: Mapped[str | None] = mapped_column(String(2000))
    jwks_url: Mapped[str] = mapped_column(String(2000))
    trusted_email: Mapped[bool] = mapped_column(Boolean, default=False,
                                                server_default=false())
    status: Mapped[str] = mapped_column(String(10), default="active",
                                        server_default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # the registration invite that let the platform register itself; unique: one use each
    invite_id: Mapped[str | None] = mapped_column(String(32))


class LtiDeployment(db.Model):
    """One installation of the tool in a platform; launches naming any other are refused."""

    __tablename__ = "lti_deployments"
    __table_args__ = (UniqueConstraint("platform_id", "deployment_id",
                                       name="uq_lti_deployments_platform"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    deployment_id: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LtiKey(db.Model):
    """A key the tool signs its messages with (deep-linking responses, client assertions),
    published at ``/lti/jwks.json``; none is deleted, so platforms holding a cached JWKS
    still verify after a rotation (the newest signs). Same shape as ``signing_keys``."""

    __tablename__ = "lti_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    private_pem: Mapped[bytes | None] = mapped_column(LargeBinary)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LtiContext(db.Model):
    """An LMS course (``context``) of one platform, the course of ours it maps to (null
    until someone maps it), and the LTI Advantage service URLs its launches carried."""

    __tablename__ = "lti_contexts"
    __table_args__ = (UniqueConstraint("platform_id", "context_id",
                                       name="uq_lti_contexts_platform"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    context_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str | None] = mapped_column(String(300))
    course_id: Mapped[int | None] = mapped_column(
        ForeignKey("courses.id", ondelete="SET NULL"), index=True)
    context_memberships_url: Mapped[str | None] = mapped_column(String(2000))  # NRPS
    lineitems_url: Mapped[str | None] = mapped_column(String(2000))  # AGS
    lineitem_url: Mapped[str | None] = mapped_column(String(2000))  # AGS
    roster_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LtiNonce(db.Model):
    """A launch nonce already used, kept until its state could no longer be presented:
    the replay guard when no Redis is configured (the embedded default). A primary key,
    so two processes racing on one nonce cannot both insert it."""

    __tablename__ = "lti_nonces"

    nonce: Mapped[str] = mapped_column(String(128), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)

