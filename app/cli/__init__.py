"""``flask --app wsgi …`` commands: catalog, users, tokens and the demo seed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from app.cli.failures import cli_failure
from app.errors import DomainError
from app.extensions import db
from app.models import User
from app.models.user import ROLES, SCOPES
from app.services.accounts import create_token, create_user, enroll, list_tokens, revoke_token
from app.services.accounts.identities import link as link_identity
from app.services.catalog import import_catalog

DEMO_CATALOG = Path(__file__).parents[1] / "services" / "catalog" / "demo_catalog.json"
DEMO_EMAIL = "learner@example.com"
DEMO_PASSWORD = "learn-and-earn"

catalog_cli = AppGroup("catalog", help="Import the course catalog.")
users_cli = AppGroup("users", help="Manage people.")
tokens_cli = AppGroup("tokens", help="Manage service tokens.")


def register_cli(app: Flask) -> None:
    for group in (catalog_cli, users_cli, tokens_cli):
        app.cli.add_command(group)
    app.cli.add_command(seed_demo)
    app.cli.add_command(demo)
    from app.cli.achievements import achievements_cli
    from app.cli.badges import badges_cli
    from app.cli.keys import keys_cli
    from app.cli.lti import lti_cli
    from app.cli.translations import translations_cli
    from app.cli.xapi import xapi_cli

    app.cli.add_command(achievements_cli)
    app.cli.add_command(badges_cli)
    app.cli.add_command(keys_cli)
    app.cli.add_command(lti_cli)
    app.cli.add_command(xapi_cli)
    app.cli.add_command(translations_cli)


@catalog_cli.command("import")
@click.argument("file", type=click.File("r"))
@click.option("--draft", is_flag=True,
              help='Hold the file\'s "badges" as drafts (default: publish them).')
def catalog_import(file: click.File, draft: bool) -> None:
    """Upsert the catalog in FILE (JSON) by key, then its badges; safe to rerun."""
    try:
        report = import_catalog(json.load(file), publish_badges=not draft)  # type: ignore[arg-type]
    except json.JSONDecodeError as exc:
        raise click.ClickException(f"not valid JSON: {exc}") from exc
    except DomainError as exc:
        raise cli_failure(exc) from exc
    click.echo(report.summary())


@users_cli.command("create")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--role", type=click.Choice(ROLES), default="learner", show_default=True)
@click.option("--timezone", default="UTC", show_default=True, help="IANA name, e.g. Europe/Berlin")
@click.option("--locale", default=None,
              help="language code of a shipped catalog (en, es, de, ar); default: the browser's")
@click.option("--name", default=None,
              help="display name, e.g. 'Ada Lovelace' (public badge pages name the learner by it)")
def users_create(email: str, password: str, role: str, timezone: str, locale: str | None,
                 name: str | None) -> None:
    """Create a user and print their id."""
    try:
        user = create_user(email, password, role, timezone, locale, name)
    except DomainError as exc:
        raise cli_failure(exc) from exc
    click.echo(user.id)


@users_cli.command("link")
@click.argument("email")
@click.argument("provider")
@click.argument("subject")
def users_link(email: str, provider: str, subject: str) -> None:
    """Bind a sign-in identity to an existing account: PROVIDER as the identities table
    names it (oidc:<name>, saml:<IdP entity id>), SUBJECT the issuer's id for the person
    (the ID token's sub; the SAML eduPersonPrincipalName or NameID)."""
    try:
        user = link_identity(email, provider, subject)
    except DomainError as exc:
        raise cli_failure(exc) from exc
    click.echo(f"{provider} {subject} signs in as {user.email} (user {user.id})")


@users_cli.command("enroll")
@click.argument("email")
@click.argument("course_key")
@click.option("--as", "role", type=click.Choice(["learner", "instructor"]), default="learner",
              show_default=True, help="instructors may read their courses' learners")
def users_enroll(email: str, course_key: str, role: str) -> None:
    """Enroll a user in a course as learner or instructor (as the LMS sync would)."""
    user = db.session.query(User).filter_by(email=email.strip().lower()).one_or_none()
    if user is None:
        raise click.ClickException(f"no user {email}")
    try:
        created = enroll(user.id, course_key, role)
    except DomainError as exc:
        raise cli_failure(exc) from exc
    click.echo(f"{email} {'enrolled in' if created else 'already in'} {course_key} as {role}")


@tokens_cli.command("create")
@click.argument("name")
@click.option("--scope", "scopes", multiple=True, required=True, type=click.Choice(SCOPES))
def tokens_create(name: str, scopes: tuple[str, ...]) -> None:
    """Create a service token; the token is printed once, on the last line."""
    try:
        token, plaintext = create_token(name, list(scopes))
    except DomainError as exc:
        raise cli_failure(exc) from exc
    click.echo(f"token {token.id} '{name}' scopes: {' '.join(scopes)} (store it now)")
    click.echo(plaintext)


@tokens_cli.command("list")
def tokens_list() -> None:
    """List tokens (never their secrets)."""
    for token in list_tokens():
        state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "active"
        click.echo(f"{token.id}\t{token.name}\t{token.scopes}\t{state}")


@tokens_cli.command("revoke")
@click.argument("token_id", type=int)
def tokens_revoke(token_id: int) -> None:
    """Revoke a token by id."""
    try:
        revoke_token(token_id)
    except DomainError as exc:
        raise cli_failure(exc) from exc
    click.echo(f"token {token_id} revoked")


@click.command("seed-demo")
def seed_demo() -> None:
    """Import the demo course and create the demo learner (idempotent)."""
    import_catalog(json.loads(DEMO_CATALOG.read_text()))
    user = db.session.query(User).filter_by(email=DEMO_EMAIL).one_or_none()
    if user is None:
        user = create_user(DEMO_EMAIL, DEMO_PASSWORD, "learner", "UTC")
    click.echo(f"demo learner: {DEMO_EMAIL} / {DEMO_PASSWORD} (user id {user.id})")


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--grpc/--no-grpc", "with_grpc", default=True, help="Also run the gRPC server.")
def demo(host: str, port: int, with_grpc: bool) -> None:
    """Migrate, seed the demo course and learner, then serve web (and gRPC) on this machine."""
    from flask_migrate import upgrade
    from werkzeug.serving import run_simple

    upgrade()
    seed_demo.callback()  # type: ignore[misc]
    grpc_server = _start_grpc() if with_grpc else None
    click.echo(f"open http://{host}:{port}/ and log in as {DEMO_EMAIL} / {DEMO_PASSWORD}")
    try:
        run_simple(host, port, current_app._get_current_object(),  # type: ignore[attr-defined]
                   threaded=True, use_reloader=False)
    finally:
        if grpc_server is not None:
            grpc_server.terminate()
            grpc_server.wait(timeout=10)


def _start_grpc() -> subprocess.Popen[bytes]:
    settings = current_app.config["ACHIEVEMENTS_CONFIG"]
    click.echo(f"gRPC server on {settings.GRPC_HOST}:{settings.GRPC_PORT}")
    return subprocess.Popen([sys.executable, "-m", "app.grpc"])
