"""The catalog: Course ⊃ Unit ⊃ Module, and assessments attached at any level."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.types import UTCDateTime, utcnow


class XapiActivity:
    """An optional xAPI activity IRI naming the entity (unique per kind); unset, the
    default ``PUBLIC_URL/xapi/activities/<kind>/<key>`` names it (app.domain.xapi)."""

    activity_id: Mapped[str | None] = mapped_column(String(2048), unique=True, index=True)


class Course(XapiActivity, db.Model):
    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    units: Mapped[list[Unit]] = relationship(back_populates="course", order_by="Unit.position")


class Unit(XapiActivity, db.Model):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(Integer, default=0)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    course: Mapped[Course] = relationship(back_populates="units")
    modules: Mapped[list[Module]] = relationship(back_populates="unit", order_by="Module.position")


class Module(XapiActivity, db.Model):
    __tablename__ = "modules"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(Integer, default=0)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    unit: Mapped[Unit] = relationship(back_populates="modules")


class Assessment(XapiActivity, db.Model):
    """Belongs to exactly one course, unit or module."""

    __tablename__ = "assessments"
    __table_args__ = (
        CheckConstraint("max_score > 0", name="max_score_positive"),
        CheckConstraint(
            "(CASE WHEN course_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN unit_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN module_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_owner",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    max_score: Mapped[float] = mapped_column(Float)
    required: Mapped[bool] = mapped_column(default=False)
    pass_ratio: Mapped[float] = mapped_column(Float, default=0.6)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    module_id: Mapped[int | None] = mapped_column(ForeignKey("modules.id"), index=True)


class CatalogRevision(db.Model):
    """One row whose ``revision`` changes in every transaction that changes the catalog.

    Detection caches the catalog per process keyed by this value (see
    ``app.infra.caches.catalog``); a random token, not a counter, so two
    databases never share a revision.
    """

    __tablename__ = "catalog_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    revision: Mapped[str] = mapped_column(String(32))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
