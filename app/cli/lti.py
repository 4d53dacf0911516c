"""``flask --app wsgi lti …``: the LMS platforms registered with the LTI tool, and the
tool's own signing keys (published at ``/lti/jwks.json``)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.cli.failures import cli_failure
from app.errors import DomainError
from app.services.lti import keys, registrations
from app.services.lti.registrations import PlatformSpec

lti_cli = AppGroup("lti", help="LTI 1.3: platforms (LMSs) and the tool's keys.")
platforms_cli = AppGroup("platforms", help="LMS platforms registered with the tool.")
keys_cli = AppGroup("keys", help="The keys the tool signs its LTI messages with.")
lti_cli.add_command(platforms_cli)
lti_cli.add_command(keys_cli)


@platforms_cli.command("add")
@click.option("--issuer", required=True, help="The platform's issuer (iss), an https URL.")
@click.option("--client-id", required=True, help="The client id the platform gave the tool.")
@click.option("--auth-login-url", required=True, help="The platform's OIDC auth endpoint.")
@click.option("--auth-token-url", required=True, help="The platform's OAuth 2 token endpoint.")
@click.option("--jwks-url", required=True, help="Where the platform publishes its keys.")
@click.option("--deployment-id", "deployment_ids", multiple=True, required=True,
              help="A deployment id of the tool in the platform (repeat for several).")
@click.option("--trusted-email", is_flag=True,
              help="The platform verifies the emails it sends: link launches to existing "
                   "accounts with that email.")
@click.option("--name", default=None, help="A label for people (default: the issuer's host).")
@click.option("--auth-audience", default=None,
              help="The token endpoint's audience, when not the token URL.")
def platforms_add(issuer: str, client_id: str, auth_login_url: str, auth_token_url: str,
                  jwks_url: str, deployment_ids: tuple[str, ...], trusted_email: bool,
                  name: str | None, auth_audience: str | None) -> None:
    """Register a platform and its deployments; prints the new platform's id."""
    spec = PlatformSpec(issuer=issuer, client_id=client_id, auth_login_url=auth_login_url,
                        auth_token_url=auth_token_url, jwks_url=jwks_url,
                        deployment_ids=deployment_ids, trusted_email=trusted_email, name=name,
                        auth_audience=auth_audience)
    try:
        platform = registrations.add_platform(spec)
    except DomainError as exc:
        raise cli_failure(exc) from exc
    click.echo(platform.id)


@platforms_cli.command("list")
def platforms_list() -> None:
    """One line per platform: id, status, issuer, client id, deployments, email trust."""
    for platform in registrations.list_platforms():
        deployments = ",".join(registrations.deployments_of(platform.id)) or "-"
        trust = "trusted-email" if platform.trusted_email else "-"
        click.echo(f"{platform.id}\t{platform.status}\t{platform.issuer}\t"
                   f"{platform.client_id}\t{deployments}\t{trust}\t{platform.name}")


@platforms_cli.command("remove")
@click.argument("platform_id", type=int)
def platforms_remove(platform_id: int) -> None:
    """Unregister a platform (its deployments and course mappings go; people and their
    achievements stay)."""
    try:
        platform = registrations.remove_platform(platform_id)
    except DomainError as exc:
        raise cli_failure(exc) from exc
    click.echo(f"removed platform {platform_id} ({platform.issuer})")


@platforms_cli.command("confirm")
@click.argument("platform_id", type=int)
def platforms_confirm(platform_id: int) -> None:
    """Accept a platform that registered itself (dynamic registration): launches from it
    are taken from now on."""
    try:
        registrations.confirm_platform(platform_id)
    except DomainError as exc:
        raise cli_failure(exc) from exc
    click.echo(f"platform {platform_id} is active")


@keys_cli.command("rotate")
def keys_rotate() -> None:
    """A new key signs from now on; older keys stay published for platforms' caches."""
    click.echo(f"new LTI key {keys.rotate_key()}")


@keys_cli.command("list")
def keys_list() -> None:
    """The published key ids, newest first."""
    for key in keys.public_jwks()["keys"]:
        click.echo(key["kid"])
