"""``flask --app wsgi translations …``: keep the message catalogs in step with the code."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.infra import extraction
from app.infra.translations import compile_catalogs, shipped_locales

translations_cli = AppGroup("translations", help="Extract, add, update and compile catalogs.")


@translations_cli.command("extract")
def extract() -> None:
    """Rewrite app/translations/messages.pot and merge it into every catalog."""
    extraction.extract()
    extraction.update()
    click.echo(f"extracted; updated {', '.join(shipped_locales()[1:]) or 'no catalogs'}")


@translations_cli.command("add")
@click.argument("locale")
def add(locale: str) -> None:
    """Start a catalog for LOCALE (e.g. fr, pt_BR); it ships once translated."""
    click.echo(extraction.init(locale))


@translations_cli.command("compile")
def compile_() -> None:
    """Build the .mo files (the app also does this when it starts)."""
    for path in compile_catalogs():
        click.echo(path)
