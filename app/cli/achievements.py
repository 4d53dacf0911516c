"""``flask --app wsgi achievements …``: backfill, revoke, restore, summary, types."""

from __future__ import annotations

import json
import sys

import click
from flask.cli import AppGroup

from app.cli.failures import cli_failure
from app.errors import DomainError
from app.read.achievement_types import listed_types
from app.read.summary import learner_summary
from app.services.awarding.backfill import BackfillReport, backfill, learners
from app.services.awarding.revocation import restore_award, revoke_award

achievements_cli = AppGroup("achievements", help="Detection maintenance: backfill, revocation.")
PRINT_LIMIT = 50


@achievements_cli.command("backfill")
@click.option("--user", "user_id", type=int, help="Only this learner (default: everyone).")
@click.option("--rule", help="Only this rule key, e.g. streak (default: every rule).")
@click.option("--dry-run", is_flag=True, help="Print what would be awarded; store nothing.")
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--jobs", default=1, show_default=True, type=click.IntRange(1, 32),
              help="Worker processes evaluating batches (PostgreSQL; SQLite runs one).")
def backfill_command(user_id: int | None, rule: str | None, dry_run: bool,
                     batch_size: int, jobs: int) -> None:
    """Re-evaluate stored progress and award silently (no live notification); rerunnable."""
    try:
        total = len(learners(user_id))
        with click.progressbar(length=total, label="learners", file=sys.stderr) as bar:
            report = backfill(user_id, rule, dry_run, bar.update, batch_size=batch_size,
                              jobs=jobs)
    except DomainError as exc:
        raise cli_failure(exc) from exc
    _print_report(report)


def _print_report(report: BackfillReport) -> None:
    verb = "would award" if report.dry_run else "awarded"
    for award in report.sample[:PRINT_LIMIT]:
        click.echo(f"{verb}: user {award.user_id} {award.dedupe_key}")
    if report.awards > PRINT_LIMIT:
        click.echo(f"... and {report.awards - PRINT_LIMIT} more")
    click.echo(("dry run: " if report.dry_run else "") + report.summary())


@achievements_cli.command("revoke")
@click.argument("award_id", type=int)
@click.option("--reason", required=True, help="Why (kept for audit).")
@click.option("--actor", default="cli", show_default=True, help="Who revokes (audit).")
def revoke_command(award_id: int, reason: str, actor: str) -> None:
    """Revoke an award: hidden from the learner, kept for audit, never re-awarded."""
    try:
        award = revoke_award(award_id, reason, actor)
    except DomainError as exc:
        raise cli_failure(exc) from exc
    click.echo(f"award {award.id} ({award.dedupe_key}, user {award.user_id}) revoked "
               f"at {award.revoked_at:%Y-%m-%d %H:%M:%S}Z: {award.revoked_reason}")


@achievements_cli.command("restore")
@click.argument("award_id", type=int)
@click.option("--actor", default="cli", show_default=True, help="Who restores (audit).")
def restore_command(award_id: int, actor: str) -> None:
    """Undo a revocation."""
    try:
        award = restore_award(award_id, actor)
    except DomainError as exc:
        raise cli_failure(exc) from exc
    click.echo(f"award {award.id} ({award.dedupe_key}, user {award.user_id}) restored")


@achievements_cli.command("summary")
@click.argument("user_id", type=int)
def summary_command(user_id: int) -> None:
    """Print a learner's summary (counts, next milestones, rarity) as JSON."""
    try:
        click.echo(json.dumps(learner_summary(user_id), indent=2, sort_keys=True))
    except DomainError as exc:
        raise cli_failure(exc) from exc


@achievements_cli.command("types")
def types_command() -> None:
    """Print the achievement types and their effective thresholds, then each published
    badge, as JSON (what GET /api/v1/achievement-types lists)."""
    from flask import current_app

    overrides = current_app.config["ACHIEVEMENTS_CONFIG"].RULES
    click.echo(json.dumps(listed_types(overrides), indent=2))
