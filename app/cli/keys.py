"""``flask --app wsgi keys …``: the keys that sign Open Badges 3.0 credentials."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.infra.signing import public_jwks, rotate_key

keys_cli = AppGroup("keys", help="Signing keys of Open Badges 3.0 credentials.")


@keys_cli.command("rotate")
def keys_rotate() -> None:
    """Make a new signing key; older keys stay published, so credentials they signed
    stay verifiable. Other processes sign with it within a minute."""
    click.echo(f"new signing key {rotate_key()}")


@keys_cli.command("list")
def keys_list() -> None:
    """The published keys' ids (URLs), newest first: the one that signs comes first
    unless ACHIEVEMENTS_SIGNING_KEY_FILE is set. Private keys are never printed."""
    for key in public_jwks()["keys"]:
        click.echo(key["kid"])
