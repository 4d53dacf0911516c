"""Build catalogs in one line: ``build_catalog("c1", units=2, modules=3)``."""

from __future__ import annotations

from typing import Any

from app.services.catalog import import_catalog


def catalog_doc(course: str = "c1", units: int = 1, modules: int = 2,
                assessments: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A one-course catalog document keyed ``<course>-u<i>-m<j>``."""
    return {"courses": [{
        "key": course, "title": f"Course {course}", "assessments": assessments or [],
        "units": [{
            "key": f"{course}-u{u}", "title": f"Unit {u}",
            "modules": [{"key": f"{course}-u{u}-m{m}", "title": f"Module {u}.{m}"}
                        for m in range(1, modules + 1)],
        } for u in range(1, units + 1)],
    }]}


def build_catalog(course: str = "c1", units: int = 1, modules: int = 2,
                  assessments: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    document = catalog_doc(course, units, modules, assessments)
    import_catalog(document)
    return document


def module_keys(document: dict[str, Any]) -> list[str]:
    return [m["key"] for c in document["courses"] for u in c["units"] for m in u["modules"]]
