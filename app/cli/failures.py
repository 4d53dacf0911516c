"""A domain error as a CLI failure: the session rolled back, the message and the fields
that were wrong on stderr, exit status 1 (click's ``ClickException``)."""

from __future__ import annotations

import click

from app.errors import DomainError
from app.extensions import db


def cli_failure(exc: DomainError) -> click.ClickException:
    db.session.rollback()
    return click.ClickException(exc.detail + (f" {exc.fields}" if exc.fields else ""))
