"""Public Open Badges URLs: /ob/v2 (hosted 2.0), /ob/v3 (3.0 VC-JWT), the JWKS.

No login: anyone holding a shared award's URL may verify it. Private and
unknown ids are 404 alike (problem+json); a revoked award answers 410 with
``{"id", "revoked": true, "revocationReason"}``.

Caching: every answer carries an ETag and ``Cache-Control: public, no-cache``,
so a browser or proxy may keep it but revalidates on every use (a 304 costs no
body): an unshare or a revocation is seen by the very next request. Only the
badge art is cacheable for a day: built-in art is fixed per slug, an authored badge's
own art per token (``/ob/v2/art/<token>.png``, named by what draws it); the per-slug
PNG of an authored badge follows its newest shared version and is revalidated.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, json, request

from app.domain.badges import AUTHORED_PREFIX
from app.services.credentials import public
from app.services.credentials.public import Revoked

bp = Blueprint("openbadges", __name__)
LD_JSON = "application/ld+json"
REVALIDATE = "public, no-cache"
ART_CACHE = "public, max-age=86400"


def _answer(body: bytes | str, mimetype: str, cache_control: str = REVALIDATE,
            status: int = 200) -> Response:
    response = Response(body, status=status, mimetype=mimetype)
    response.headers["Cache-Control"] = cache_control
    response.headers["Access-Control-Allow-Origin"] = "*"  # verifiers run in browsers too
    if status == 200:
        response.add_etag()
        response.make_conditional(request)
    return response


def _json(document: dict[str, Any], mimetype: str = LD_JSON) -> Response:
    return _answer(json.dumps(document), mimetype)


@bp.errorhandler(Revoked)
def _revoked(exc: Revoked) -> Response:
    return _answer(json.dumps(exc.body), LD_JSON, status=410)


@bp.get("/ob/v2/issuer")
def issuer_v2() -> Response:
    return _json(public.issuer_v2())


@bp.get("/ob/v2/badges/<slug>")
def badge_class(slug: str) -> Response:
    return _json(public.badge_class(slug))


@bp.get("/ob/v2/badges/<slug>/image")
def badge_image(slug: str) -> Response:
    """The badge's PNG. An author-defined badge's follows its newest shared version, so it
    is revalidated (ETag) rather than kept for a day."""
    authored = slug.startswith(AUTHORED_PREFIX)
    return _answer(public.badge_image(slug), "image/png",
                   REVALIDATE if authored else ART_CACHE)


@bp.get("/ob/v2/art/<token>.png")
def own_art(token: str) -> Response:
    """An author-defined badge's own art; the token is what draws it, so it never changes."""
    return _answer(public.own_art(token), "image/png", ART_CACHE)


@bp.get("/ob/v2/assertions/<public_id>")
def assertion(public_id: str) -> Response:
    return _json(public.assertion(public_id))


@bp.get("/ob/v2/assertions/<public_id>/image")
def baked_badge(public_id: str) -> Response:
    """The badge PNG with the assertion baked in; ``?download=1`` saves it as a file."""
    response = _answer(public.baked_badge(public_id), "image/png")
    if request.args.get("download"):
        response.headers["Content-Disposition"] = f'attachment; filename="badge-{public_id}.png"'
    return response


@bp.get("/ob/v3/credentials/<public_id>")
def credential(public_id: str) -> Response:
    """The OpenBadgeCredential as a VC-JWT; ``?download=1`` saves it as a file."""
    response = _answer(public.credential_jwt(public_id), "application/vc+jwt")
    if request.args.get("download"):
        response.headers["Content-Disposition"] = \
            f'attachment; filename="credential-{public_id}.jwt"'
    return response


@bp.get("/ob/v3/issuer")
def issuer_v3() -> Response:
    return _json(public.issuer_v3(), "application/json")


@bp.get("/ob/v3/achievements/<slug>")
def achievement_v3(slug: str) -> Response:
    return _json(public.achievement_v3(slug), "application/json")


@bp.get("/ob/v3/status/<int:number>")
def status_list(number: int) -> Response:
    """The revocation list (BitstringStatusListCredential VC-JWT): computed per request."""
    return _answer(public.status_list_jwt(number), "application/vc+jwt")


@bp.get("/ob/v3/keys/<kid>")
def key(kid: str) -> Response:
    """One public key (what a credential's ``kid`` header names)."""
    return _json(public.jwk(kid), "application/jwk+json")


@bp.get("/.well-known/jwks.json")
def jwks() -> Response:
    """Every signing key's public half, old ones too (rotation keeps them verifiable)."""
    return _json(public.jwks(), "application/jwk-set+json")
