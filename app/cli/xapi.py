"""``flask --app wsgi xapi unmatched``: statements stored that wait for a learner or activity."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.services.xapi import unmatched

xapi_cli = AppGroup("xapi", help="xAPI statements.")


@xapi_cli.command("unmatched")
@click.option("--limit", default=1000, show_default=True, type=click.IntRange(1, 100_000))
def xapi_unmatched(limit: int) -> None:
    """List statements without their progress event yet, oldest first, and what each awaits.

    A statement becomes its event once its learner is created or its activity imported.
    """
    waiting = unmatched(limit)
    for item in waiting:
        click.echo(f"{item.id}\t{item.stored_at:%Y-%m-%dT%H:%M:%SZ}\twaiting for "
                   f"{item.waiting_for}\tactor={item.actor_key or '-'}\t"
                   f"activity={item.activity_iri or '-'}")
    click.echo(f"{len(waiting)} statement(s) waiting", err=True)
