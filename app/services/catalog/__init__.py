"""The catalog as the LMS sync delivers it: imported by stable keys, rerunnable."""

from app.services.catalog.importer import ImportReport, import_catalog

__all__ = ["ImportReport", "import_catalog"]
