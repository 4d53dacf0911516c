"""Module ids by module key, per app: recording resolves a completion's module without a query.

Invalidation: none is needed: the catalog import upserts modules by key and never
deletes or re-keys one, so a key's id never changes once it exists; a key not found
is never kept (it may be imported later). Staleness bound: none. One entry per
module of the catalog.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask


class ModuleIds:
    def __init__(self) -> None:
        self._ids: dict[str, int] = {}

    def get(self, key: str, load: Callable[[str], int | None]) -> int | None:
        """The id of ``key``; ``load(key)`` only the first time it is found."""
        if key not in self._ids:
            found = load(key)
            if found is None:
                return None
            self._ids[key] = found
        return self._ids[key]


def module_ids(app: Flask) -> ModuleIds:
    """The app's cache (one per app, so apps on other databases never share ids)."""
    cache: ModuleIds = app.extensions.setdefault("module_ids", ModuleIds())
    return cache
