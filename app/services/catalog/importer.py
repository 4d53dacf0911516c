"""Upsert courses, units, modules and assessments by key from the LMS export.

Rerunning with the same file changes nothing; a changed title or threshold
updates in place. Awards already made are never revoked by an import.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from app.errors import InvalidInput
from app.extensions import db
from app.models import Assessment, Course, Module, Unit
from app.services.badges import check_badges, import_badges
from app.services.xapi import match_activities

KINDS = {Course: "course", Unit: "unit", Module: "module", Assessment: "assessment"}
MAX_IRI_LENGTH = 2048


@dataclass
class ImportReport:
    created: dict[str, int] = field(default_factory=lambda: dict.fromkeys(
        ("courses", "units", "modules", "assessments"), 0))
    updated: dict[str, int] = field(default_factory=lambda: dict.fromkeys(
        ("courses", "units", "modules", "assessments"), 0))
    # (kind, key, activity_id) of every entry: xAPI statements waiting for one are matched.
    activities: list[tuple[str, str, str | None]] = field(default_factory=list)
    badges: list[str] = field(default_factory=list)  # keys of the file's badges
    badges_published: bool = True

    def summary(self) -> str:
        parts = [f"{kind}: {self.created[kind]} created, {self.updated[kind]} updated"
                 for kind in self.created]
        if self.badges:
            state = "published" if self.badges_published else "held as drafts"
            parts.append(f"badges: {len(self.badges)} {state}")
        return "; ".join(parts)


def import_catalog(document: dict[str, Any], *, publish_badges: bool = True) -> ImportReport:
    """Upsert the document in one transaction: a bad entry anywhere stores nothing.

    After the commit, xAPI statements that were waiting for an imported entry
    become their progress events. Then the document's ``"badges"`` are created or
    versioned and published (``publish_badges=False`` holds them as drafts); they are
    checked against the catalog as this same document leaves it before anything is
    committed, so a bad badge stores nothing either (its error names
    ``badges[i]...``).
    """
    courses = _require_list(document, "courses", "document")
    report = ImportReport(badges_published=publish_badges)
    for position, course in enumerate(courses):
        _import_course(course, position, report)
    badges = document.get("badges")
    if badges is not None:
        db.session.flush()
        check_badges(badges)
    db.session.commit()
    match_activities(report.activities)
    if badges is not None:
        report.badges = import_badges(badges, publish=publish_badges)
    return report


def _import_course(data: dict[str, Any], position: int, report: ImportReport) -> None:
    course = _upsert(Course, data, report, "courses")
    db.session.flush()
    for index, unit_data in enumerate(_require_list(data, "units", data["key"], optional=True)):
        unit = _upsert(Unit, unit_data, report, "units", course_id=course.id, position=index)
        db.session.flush()
        for m_index, module_data in enumerate(
                _require_list(unit_data, "modules", unit_data["key"], optional=True)):
            module = _upsert(Module, module_data, report, "modules",
                             unit_id=unit.id, position=m_index)
            db.session.flush()
            _import_assessments(module_data, report, module_id=module.id)
        _import_assessments(unit_data, report, unit_id=unit.id)
    _import_assessments(data, report, course_id=course.id)


def _import_assessments(owner: dict[str, Any], report: ImportReport, **owner_ids: int) -> None:
    for data in _require_list(owner, "assessments", owner["key"], optional=True):
        max_score = data.get("max_score")
        if not isinstance(max_score, int | float) or isinstance(max_score, bool) or max_score <= 0:
            raise InvalidInput(f"assessment {data.get('key')!r}: max_score must be > 0")
        pass_ratio = data.get("pass_ratio", 0.6)
        if not isinstance(pass_ratio, int | float) or not 0 < pass_ratio <= 1:
            raise InvalidInput(f"assessment {data.get('key')!r}: pass_ratio must be in (0, 1]")
        owners = {"course_id": None, "unit_id": None, "module_id": None, **owner_ids}
        _upsert(Assessment, data, report, "assessments", max_score=float(max_score),
                required=bool(data.get("required", False)), pass_ratio=float(pass_ratio), **owners)


def _upsert(model: Any, data: dict[str, Any], report: ImportReport, kind: str,
            **values: Any) -> Any:
    key, title = data.get("key"), data.get("title")
    if not isinstance(key, str) or not key or not isinstance(title, str):
        raise InvalidInput(f"every {kind[:-1]} needs a string key and title: {data!r:.120}")
    values["activity_id"] = _activity_id(data, key)
    report.activities.append((KINDS[model], key, values["activity_id"]))
    row = db.session.scalar(select(model).where(model.key == key))
    if row is None:
        row = model(key=key)
        db.session.add(row)
        report.created[kind] += 1
    elif any(getattr(row, k) != v for k, v in {"title": title, **values}.items()):
        report.updated[kind] += 1
    for name, value in {"title": title, **values}.items():
        setattr(row, name, value)
    return row


def _activity_id(data: dict[str, Any], key: str) -> str | None:
    """The entry's xAPI activity IRI, if it names one (absolute: a scheme, then a colon)."""
    iri = data.get("activity_id")
    if iri is None:
        return None
    if not isinstance(iri, str) or ":" not in iri or len(iri) > MAX_IRI_LENGTH or " " in iri:
        raise InvalidInput(f"{key}: activity_id must be an absolute IRI",
                           fields={"activity_id": ["must be an absolute IRI"]})
    return iri


def _require_list(data: Any, name: str, where: str, optional: bool = False) -> list[Any]:
    if not isinstance(data, dict):
        raise InvalidInput(f"{where}: expected an object")
    value = data.get(name, [] if optional else None)
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise InvalidInput(f"{where}: {name!r} must be a list of objects")
    return value
