"""Author-defined badges: create, edit (a new version), publish (with a backfill), archive,
and who may do each. Every transport (REST, console, CLI, catalog import) calls these."""

from app.services.badges.authoring import (
    archive_badge,
    badge_as_dict,
    check_badges,
    create_badge,
    get_badge,
    import_badges,
    list_badges,
    preview_badge,
    publish_badge,
    update_badge,
)

__all__ = ["archive_badge", "badge_as_dict", "check_badges", "create_badge", "get_badge",
           "import_badges", "list_badges", "preview_badge", "publish_badge", "update_badge"]
