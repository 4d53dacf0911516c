"""``flask badges …`` and ``flask catalog import`` with a ``"badges"`` list, through the CLI
runner: what they print, what they store, and that a bad badge stores nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from app.models import Badge, BadgeVersion, Course, User
from app.services.accounts.principal import Principal
from app.services.badges import archive_badge, create_badge
from tests.services.awarding.conftest import award, award_keys, record
from tests.support.catalog import catalog_doc

ADMIN = Principal(kind="admin", id=0, name="setup")
WHEN = datetime(2024, 5, 1, 12, tzinfo=UTC)


def badge(key: str, criteria: dict | None = None, **extra: object) -> dict:
    return {"key": key, "title": f"Badge {key}",
            "criteria": criteria or {"module_complete": "c1-u1-m1"}, **extra}


def run(app: Flask, *args: str):
    result = app.test_cli_runner().invoke(args=list(args))
    db.session.expire_all()
    return result


def write(tmp_path: Path, document: dict) -> str:
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(document))
    return str(path)


def status(key: str) -> tuple[str, int | None] | None:
    row = db.session.execute(select(Badge.status, Badge.published_version)
                             .where(Badge.key == key)).first()
    return None if row is None else tuple(row)


def test_list_show_publish_archive(app, catalog, learner: User) -> None:
    record(learner, "module_completed", WHEN, module="c1-u1-m1")
    create_badge(ADMIN, badge("first"))
    create_badge(ADMIN, badge("second", hidden=True))
    listed = run(app, "badges", "list")
    assert listed.exit_code == 0, listed.output
    assert listed.output.splitlines() == ["first\tdraft\tv1\tpublished v-\tBadge first",
                                          "second\tdraft\tv1\tpublished v-\tBadge second"]
    shown = json.loads(run(app, "badges", "show", "second").output)
    assert shown["hidden"] is True and shown["dedupe_key"] == "badge:second"
    dry = run(app, "badges", "publish", "first", "--dry-run")
    assert "would be earned by 1 learner" in dry.output and status("first") == ("draft", None)
    assert "badge:first" not in award_keys(learner)
    done = run(app, "badges", "publish", "first")
    assert done.exit_code == 0 and "published first v1: awarded to 1 learner" in done.output
    assert status("first") == ("published", 1) and award(learner, "badge:first").silent
    archived = run(app, "badges", "archive", "first")
    assert archived.output.strip() == "archived first" and status("first")[0] == "archived"
    assert "badge:first" in award_keys(learner)


def test_publish_with_notify_awards_live(app, catalog, learner: User, published) -> None:
    record(learner, "module_completed", WHEN, module="c1-u1-m1")
    create_badge(ADMIN, badge("loud"))
    assert run(app, "badges", "publish", "loud", "--notify").exit_code == 0
    assert not award(learner, "badge:loud").silent
    assert "badge:loud" in [m["dedupe_key"] for m in published]


@pytest.mark.parametrize("args", [("show", "nope"), ("publish", "nope"), ("archive", "nope")])
def test_unknown_badges_fail_cleanly(app, catalog, args: tuple[str, ...]) -> None:
    result = run(app, "badges", *args)
    assert result.exit_code == 1 and "no badge 'nope'" in result.output


def test_publishing_an_archived_badge_fails(app, catalog) -> None:
    create_badge(ADMIN, badge("old"))
    archive_badge(ADMIN, "old")
    result = run(app, "badges", "publish", "old")
    assert result.exit_code == 1 and "archived" in result.output


def test_catalog_import_publishes_the_files_badges(app, tmp_path, learner: User) -> None:
    document = {**catalog_doc("c1"), "badges": [
        badge("first"), badge("chain", {"holds": "badge:first"})]}
    result = run(app, "catalog", "import", write(tmp_path, document))
    assert result.exit_code == 0, result.output
    assert "badges: 2 published" in result.output
    assert status("first") == ("published", 1) and status("chain") == ("published", 1)
    record(learner, "module_completed", WHEN, module="c1-u1-m1")
    assert {"badge:first", "badge:chain"} <= award_keys(learner)
    again = run(app, "catalog", "import", write(tmp_path, document))  # rerunnable
    assert again.exit_code == 0 and db.session.scalar(select(func.count(BadgeVersion.id))) == 2


def test_catalog_import_draft_holds_them(app, tmp_path, learner: User) -> None:
    document = {**catalog_doc("c1"), "badges": [badge("first")]}
    result = run(app, "catalog", "import", "--draft", write(tmp_path, document))
    assert result.exit_code == 0 and "badges: 1 held as drafts" in result.output
    record(learner, "module_completed", WHEN, module="c1-u1-m1")
    assert status("first") == ("draft", None) and "badge:first" not in award_keys(learner)
    edited = {**document, "badges": [badge("first", {"module_complete": "c1-u1-m2"})]}
    assert run(app, "catalog", "import", write(tmp_path, edited)).exit_code == 0
    assert status("first") == ("published", 2)


def test_a_bad_badge_fails_with_its_path_and_stores_nothing(app, tmp_path) -> None:
    document = {**catalog_doc("new-course"), "badges": [
        badge("fine", {"module_complete": "new-course-u1-m1"}),
        badge("also-fine", {"holds": "badge:fine"}),
        badge("bad", {"all": [{"module_complete": "new-course-u1-m1"},
                              {"unit_complete": "nope"}]})]}
    result = run(app, "catalog", "import", write(tmp_path, document))
    assert result.exit_code == 1
    assert "badges[2].criteria.all[1].unit_complete" in result.output
    assert db.session.scalar(select(func.count(Course.id))) == 0
    assert db.session.scalar(select(func.count(Badge.id))) == 0


@pytest.mark.parametrize(("badges", "path"), [
    ("not a list", "badges"),
    (["not an object"], "badges[0]"),
    ([{"key": "x", "title": "t", "criteria": {"holds": "badge:later"}},
      {"key": "later", "title": "t", "criteria": {"holds": "badge:x"}}], "badges[0]"),
])
def test_other_bad_badge_lists_store_nothing(app, tmp_path, badges: object, path: str) -> None:
    result = run(app, "catalog", "import", write(tmp_path, {**catalog_doc("c1"),
                                                             "badges": badges}))
    assert result.exit_code == 1 and path in result.output
    assert db.session.scalar(select(func.count(Course.id))) == 0


def test_an_archived_badge_in_the_file_fails_before_writing(app, catalog, tmp_path) -> None:
    create_badge(ADMIN, badge("old"))
    archive_badge(ADMIN, "old")
    document = {**catalog_doc("c9"), "badges": [badge("old")]}
    result = run(app, "catalog", "import", write(tmp_path, document))
    assert result.exit_code == 1 and "badges[0].key" in result.output
    assert db.session.scalar(select(Course.id).where(Course.key == "c9")) is None


def test_achievements_types_lists_published_badges(app, catalog) -> None:
    create_badge(ADMIN, badge("shown"))
    run(app, "badges", "publish", "shown")
    listed = {t["key"]: t for t in json.loads(run(app, "achievements", "types").output)}
    assert listed["badge:shown"]["title"] == "Badge shown" and "streak" in listed
