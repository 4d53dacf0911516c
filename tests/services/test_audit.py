"""The audit log: every revoke, restore and badge act is logged with it; only admins read it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.errors import Forbidden
from app.services.accounts.principal import Principal
from app.services.audit import AuditFilter, list_events
from app.services.awarding.revocation import restore_award, revoke_award
from app.services.badges import archive_badge, create_badge, publish_badge, update_badge
from tests.services.awarding.conftest import award, record

pytestmark = pytest.mark.both_databases
ADMIN = Principal(kind="admin", id=0, name="admin@example.com")
WHEN = datetime(2024, 5, 1, 9, tzinfo=UTC)
BADGE = {"key": "one", "title": "One", "criteria": {"module_complete": "c1-u1-m1"}}


def entries(**query) -> list[tuple[str, str, str | None]]:
    rows, _ = list_events(ADMIN, AuditFilter(**query), limit=100)
    return [(row.action, row.target, row.reason) for row in reversed(rows)]


def test_revoke_and_restore_are_logged_with_who_and_why(catalog, learner) -> None:
    record(learner, "module_completed", WHEN, module="c1-u1-m1")
    earned = award(learner, "module_complete:c1-u1-m1")
    revoke_award(earned.id, "copied work", "instructor:7 ida@example.com")
    revoke_award(earned.id, "again", "someone")  # changes nothing, logs nothing
    restore_award(earned.id, "admin:1 ada@example.com", "appeal upheld")
    assert entries() == [("award.revoke", str(earned.id), "copied work"),
                         ("award.restore", str(earned.id), "appeal upheld")]
    rows, _ = list_events(ADMIN, AuditFilter(action="award.revoke"))
    assert rows[0].actor == "instructor:7 ida@example.com"
    assert rows[0].details["user_id"] == learner.id and rows[0].at is not None


def test_badge_authoring_is_logged(catalog) -> None:
    create_badge(ADMIN, BADGE)
    update_badge(ADMIN, "one", {**BADGE, "title": "One!"})
    publish_badge(ADMIN, "one", dry_run=True)  # a dry run changes nothing: not logged
    publish_badge(ADMIN, "one")
    archive_badge(ADMIN, "one")
    assert [a for a, _, _ in entries(target="one")] == [
        "badge.create", "badge.edit", "badge.publish", "badge.archive"]


def test_filters_and_pages(catalog) -> None:
    create_badge(ADMIN, BADGE)
    create_badge(ADMIN, {**BADGE, "key": "two"})
    first, before = list_events(ADMIN, AuditFilter(action="badge.create"), limit=1)
    assert [r.target for r in first] == ["two"] and before is not None
    rest, after = list_events(ADMIN, AuditFilter(action="badge.create", before_id=before))
    assert [r.target for r in rest] == ["one"] and after is None
    assert entries(actor="ada@") == [] and len(entries(actor="admin@")) == 2


@pytest.mark.parametrize("kind", ["instructor", "learner", "service"])
def test_only_admins_read_it(app, kind: str) -> None:
    with pytest.raises(Forbidden):
        list_events(Principal(kind=kind, id=1), AuditFilter())
