"""``flask --app wsgi badges …``: list, show, publish and archive author-defined badges.

The commands run as an admin (the operator at the console) through the same badge
service as REST, so validation, versions and backfills are the same.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import click
from flask.cli import AppGroup

from app.cli.failures import cli_failure
from app.errors import DomainError
from app.services.accounts.principal import Principal
from app.services.badges import (
    archive_badge,
    badge_as_dict,
    get_badge,
    list_badges,
    publish_badge,
)

badges_cli = AppGroup("badges", help="Author-defined badges: list, show, publish, archive.")
CLI = Principal(kind="admin", id=0, name="cli")


def _run(action: Callable[[], Any]) -> Any:
    """The action's result; a domain error becomes a clean exit 1 (nothing stored)."""
    try:
        return action()
    except DomainError as exc:
        raise cli_failure(exc) from exc


@badges_cli.command("list")
def badges_list() -> None:
    """One line per badge: key, status, latest and published version, title."""
    for badge in _run(lambda: list_badges(CLI)):
        shown = badge_as_dict(badge)
        published = shown["published_version"] or "-"
        click.echo(f"{shown['key']}\t{shown['status']}\tv{shown['version']}\t"
                   f"published v{published}\t{shown['title']}")


@badges_cli.command("show")
@click.argument("key")
def badges_show(key: str) -> None:
    """The badge as JSON: lifecycle, latest definition and versions."""
    click.echo(json.dumps(badge_as_dict(_run(lambda: get_badge(CLI, key))), indent=2))


@badges_cli.command("publish")
@click.argument("key")
@click.option("--dry-run", is_flag=True, help="Count who would earn it now; award nothing.")
@click.option("--notify", is_flag=True, help="Notify learners of backfilled awards "
              "(default: silent).")
def badges_publish(key: str, dry_run: bool, notify: bool) -> None:
    """Publish the latest version and award it to everyone who qualifies now."""
    report = _run(lambda: publish_badge(CLI, key, dry_run=dry_run, notify=notify))
    if dry_run:
        click.echo(f"dry run: {key} v{report['version']} would be earned by "
                   f"{report['would_earn']} learner(s); nothing awarded")
    else:
        click.echo(f"published {key} v{report['version']}: awarded to "
                   f"{report['awarded']} learner(s)")


@badges_cli.command("archive")
@click.argument("key")
def badges_archive(key: str) -> None:
    """Award the badge no more; its awards stay."""
    _run(lambda: archive_badge(CLI, key))
    click.echo(f"archived {key}")
