"""Notifications: the outbox of emails and pushes, the learner's switches, push subscriptions.

One outbox row per (cause, channel, recipient), unique, written in the transaction of
its cause (an award stored, a revocation, a restore, a reminder due): the cause and its
notice commit together or not at all, and a second writer of the same cause (a
redelivered task, a second beat) inserts nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import UTCDateTime, utcnow


class Notification(db.Model):
    """``status``: pending -> sending (claimed, ``lease_until``) -> sent | skipped | failed.

    ``message_id`` is fixed at the first claim and kept on a retry, so an email sent
    again after a crash carries the same Message-ID (and a push the same Topic).
    """

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("cause", "channel", "user_id", name="uq_notifications_cause"),
        Index("ix_notifications_due", "status", "due_at"),
        Index("ix_notifications_user", "user_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(20))  # award, revoked, restored, expiry, digest
    channel: Mapped[str] = mapped_column(String(10))  # email, push
    cause: Mapped[str] = mapped_column(String(120))  # e.g. "award:12", "change:40"
    subject_id: Mapped[int | None] = mapped_column(Integer)  # the award it is about
    # An award notice tells of every award one detection pass stored for its learner (a
    # backlog's pass may store dozens): their ids, the first of them also ``subject_id``.
    award_ids: Mapped[list[int] | None] = mapped_column(JSON)
    detail: Mapped[str | None] = mapped_column(Text)  # e.g. the revocation's reason
    status: Mapped[str] = mapped_column(String(10), default="pending")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claim: Mapped[str | None] = mapped_column(String(36))
    message_id: Mapped[str | None] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class NotificationSwitch(db.Model):
    """A learner's choice for one (category, channel); no row: the category's default."""

    __tablename__ = "notification_switches"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    category: Mapped[str] = mapped_column(String(20), primary_key=True)
    channel: Mapped[str] = mapped_column(String(10), primary_key=True)
    enabled: Mapped[bool] = mapped_column()


class PushSubscription(db.Model):
    """A browser's Web Push subscription; unique by endpoint (a browser re-subscribing
    replaces its keys), deleted when the push service answers 404 or 410."""

    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    endpoint: Mapped[str] = mapped_column(String(1000), unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class VapidKey(db.Model):
    """The VAPID key pair push messages are signed with, made once when none is configured."""

    __tablename__ = "vapid_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    private_pem: Mapped[bytes] = mapped_column(LargeBinary)
    public_key: Mapped[str] = mapped_column(String(200))  # uncompressed point, base64url
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
