"""OpenID Connect sign-in pages: ``/login/oidc/<name>`` and its callback, the link page.

Authlib's Flask client speaks the protocol (discovery, authorization code + PKCE S256,
``state`` and ``nonce`` kept in the session, the ID token checked against the
provider's JWKS); ``app.services.signin`` says which checks (issuer and audience
named explicitly) and what the claims mean; ``app.services.accounts.identities``
finds or creates the account. Starting is a link (GET), not a form: the page's CSP
(``form-action 'self'``) would stop a form redirected to the provider.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import Blueprint, Flask, abort, current_app, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import login_user
from joserfc.errors import JoseError
from requests import RequestException
from werkzeug.wrappers import Response

from app.errors import InvalidInput
from app.infra.metrics import record
from app.services.accounts.identities import Claims, LinkRequired, link_after_password, sign_in
from app.services.signin import (
    OidcProvider,
    SignInRefused,
    claims_from_oidc,
    id_token_checks,
    providers,
    refuse,
)
from app.services.signin.oidc import LEEWAY_SECONDS
from app.web.auth import PROVIDER_SESSION, SIGNED_OUT_OF, redirect_next, safe_next

bp = Blueprint("signin", __name__)
PENDING = "signin_pending"  # the identity waiting for its account's password (link page)
NEXT = "signin_next"
REASONS = {"expired_token": "expired", "bad_signature": "signature",
           "mismatching_state": "state", "invalid_claim": "claim", "missing_claim": "claim"}


def init_signin(app: Flask) -> None:
    """Register each configured provider with Authlib (metadata fetched on first use)."""
    oauth = OAuth(app)
    configured = providers(app.config.get("OIDC") or {})
    for provider in configured.values():
        oauth.register(name=provider.name, client_id=provider.client_id,
                       client_secret=provider.client_secret,
                       server_metadata_url=provider.metadata_url,
                       client_kwargs={"scope": provider.scopes, "code_challenge_method": "S256"})
    app.extensions["signin"] = (oauth, configured)
    app.register_blueprint(bp)


def oidc_buttons() -> list[OidcProvider]:
    """The providers the login page offers, in name order."""
    return sorted(current_app.extensions["signin"][1].values(), key=lambda p: p.name)


def provider_logout() -> tuple[str, str] | None:
    """After log-out, the provider's label and its end-session URL (RP-initiated logout),
    offered once as a link: a redirect from the log-out form would break the CSP's
    ``form-action 'self'``. None when the provider has no end-session endpoint."""
    ended = session.pop(SIGNED_OUT_OF, None)
    oauth, configured = current_app.extensions["signin"]
    if not ended or ended.get("name") not in configured:
        return None
    provider = configured[ended["name"]]
    try:
        endpoint = oauth.create_client(provider.name).load_server_metadata().get(
            "end_session_endpoint")
    except (RequestException, ValueError):
        return None
    if not endpoint:
        return None
    query = urlencode({"id_token_hint": ended["id_token"], "client_id": provider.client_id,
                       "post_logout_redirect_uri": current_app.config["PUBLIC_URL"]
                       + url_for("auth.login_page")})
    return provider.label, f"{endpoint}?{query}"


def _provider(name: str) -> tuple[Any, OidcProvider]:
    oauth, configured = current_app.extensions["signin"]
    if name not in configured:
        refuse("oidc", "unknown_provider", name, 404)
        abort(404)
    return oauth.create_client(name), configured[name]


@bp.get("/login/oidc/<name>")
def oidc_start(name: str) -> Response:
    """Off to the provider; where to come back to after sign-in is kept in the session."""
    client, provider = _provider(name)
    session[NEXT] = safe_next(request.args.get("next"))
    callback = current_app.config["PUBLIC_URL"] + url_for(".oidc_callback", name=name)
    try:
        return client.authorize_redirect(callback)
    except (RequestException, ValueError) as exc:
        return refused_page(refuse("oidc", "discovery", f"{provider.issuer}: {exc}", 502))


@bp.get("/login/oidc/<name>/callback")
def oidc_callback(name: str) -> Response:
    client, provider = _provider(name)
    try:
        token = client.authorize_access_token(claims_options=id_token_checks(provider),
                                              leeway=LEEWAY_SECONDS)
        if not token.get("userinfo"):
            raise refuse("oidc", "no_id_token", f"{provider.name} sent no ID token", 401)
    except SignInRefused as exc:
        return refused_page(exc)
    except (AuthlibBaseError, JoseError) as exc:
        return refused_page(_token_refusal(provider, exc))
    except RequestException as exc:
        return refused_page(refuse("oidc", "provider_unreachable", str(exc), 502))
    claims, role = claims_from_oidc(provider, dict(token["userinfo"]))
    answer = finish_sign_in(claims, role, "oidc", session.pop(NEXT, None))
    if answer.status_code == 302:  # signed in: remember enough for RP-initiated logout
        session[PROVIDER_SESSION] = {"name": name, "id_token": token["id_token"]}
    return answer


def _token_refusal(provider: OidcProvider, exc: Exception) -> SignInRefused:
    """A reason code for the metrics from the library's error (the claim named for iss/aud)."""
    code = str(getattr(exc, "error", "") or type(exc).__name__)
    reason = REASONS.get(code, code)
    detail = f"{provider.name}: {getattr(exc, 'description', '') or exc}"
    if reason == "claim":
        claim = getattr(exc, "claim", None) or getattr(exc, "claim_name", "")  # joserfc, authlib
        reason = {"iss": "issuer", "aud": "audience", "nonce": "nonce"}.get(claim, "claim")
    status = 400 if reason in ("state", "access_denied", "invalid_request") else 401
    return refuse("oidc", reason, detail, status)


def finish_sign_in(claims: Claims, role: str, protocol: str, next_url: str | None) -> Response:
    """Sign the person in (a fresh session: no fixation), or ask them to prove the account
    that already has their email."""
    try:
        user, created = sign_in(claims, role)
    except LinkRequired:
        session[PENDING] = {"claims": claims.__dict__ | {"role_values": list(claims.role_values)},
                            "role": role, "next": next_url}
        return Response(render_template("signin_link.html", email=claims.email,
                                        verified=claims.email_verified, error=None),
                        status=409, mimetype="text/html")
    except InvalidInput as exc:
        return refused_page(refuse(protocol, "claims", str(exc), 400))
    record.signed_in(protocol, created)
    session.clear()
    login_user(user)
    return redirect_next(next_url)


@bp.post("/login/link")
def link_account() -> Response:
    """The person proves the local account with its password; the identity is bound to it."""
    pending = session.get(PENDING)
    if not pending:
        abort(400)
    saved = pending["claims"]
    claims = Claims(**(saved | {"role_values": tuple(saved["role_values"])}))
    user = link_after_password(claims, pending["role"], request.form.get("password", ""))
    if user is None:
        body = render_template("signin_link.html", email=claims.email,
                               verified=claims.email_verified,
                               error=_("That password is not this account's."))
        return Response(body, status=401, mimetype="text/html")
    record.signed_in(claims.provider.split(":")[0], False)
    session.clear()
    login_user(user)
    return redirect_next(pending["next"])


def refused_page(exc: SignInRefused) -> Response:
    body = render_template("signin_refused.html", reason=exc.reason)
    return Response(body, status=exc.status, mimetype="text/html")
