"""GET /api/v1/achievements (history), one award, and the live stream."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Response, current_app, request
from flask_smorest import Blueprint
from marshmallow import Schema

from app.errors import Forbidden
from app.read.history import (
    HistoryFilter,
    Page,
    get_readable_achievement,
    list_history,
    read_without_transaction,
)
from app.read.shapes import award_as_dict
from app.read.wording import localize_award
from app.services.accounts import may_read, require_scope, subject_for_read
from app.services.accounts.principal import READ, Principal
from app.services.credentials import set_sharing
from app.web.api.docs import BEARER_OR_SESSION, problem_responses
from app.web.api.schemas import (
    AchievementOut,
    AchievementPage,
    AchievementQuery,
    SharingIn,
    canonical_achievement_query,
)
from app.web.api.security import current_principal
from app.web.localized import current_locale, shown
from app.web.sse import StreamResponse, parse_last_event_id

blp = Blueprint("achievements", __name__, description="Read learners' achievements")
# One instance: given the class, webargs would build a new schema on every request.
ACHIEVEMENT_QUERY = AchievementQuery()
View = Callable[..., Any]


def query_arguments(schema: Schema, canonical: Callable[[Any], dict[str, Any] | None],
                    ) -> Callable[[View], View]:
    """``blp.arguments(schema, location="query")`` — the same OpenAPI parameters, the same
    parsed dict and the same 422s — with a plain query string read by ``canonical``
    instead of webargs and marshmallow (a hot path); ``canonical`` returns None for
    anything else, which webargs then parses exactly as ``blp.arguments`` would."""
    def decorator(func: View) -> View:
        documented = blp.arguments(schema, location="query")(func)

        @wraps(func)
        def view(*args: Any, **kwargs: Any) -> Any:
            parsed = canonical(request.args.to_dict(flat=False))
            if parsed is None:
                parsed = blp.ARGUMENTS_PARSER.parse(schema, location="query")
            return func(parsed, *args, **kwargs)

        view._apidoc = documented._apidoc  # type: ignore[attr-defined]
        return view
    return decorator


@blp.route("/achievements", methods=["GET"])
@query_arguments(ACHIEVEMENT_QUERY, canonical_achievement_query)
@blp.response(200, AchievementPage)
@blp.doc(security=BEARER_OR_SESSION, responses=problem_responses(403, 422))
def get_achievements(args: dict[str, Any]) -> Any:
    """A learner's achievements, newest first, keyset-paginated.

    The cursor is opaque and stable while awards are being added: a page never
    repeats or skips an award that existed when the first page was read.
    """
    user_id = subject_for_read(reading_principal(), args.get("user_id"))
    filters = HistoryFilter(types=args.get("type") or (), since=args.get("since"),
                            until=args.get("until"),
                            include_revoked=bool(args.get("include_revoked")))
    page = list_history(user_id, filters, args.get("cursor"), args["limit"])
    return page_response(page)


def reading_principal() -> Principal:
    """The caller of a read that may need no session at all.

    A bearer token is usually answered by the token cache, and ``list_history``
    then reads on a pooled autocommit connection: no Session is built. A logged-in
    user is loaded from the database, so that session reads in autocommit first.
    (A token-cache miss loads the token in a transaction the history then reads
    through: one BEGIN/ROLLBACK per token and ``TOKEN_CACHE_SECONDS``.)
    """
    scheme = request.headers.get("Authorization", "").partition(" ")[0]
    if scheme.lower() != "bearer":
        read_without_transaction()
    return current_principal()


def page_response(page: Page) -> Response:
    """The page as JSON, without a marshmallow dump of the already-public shape.

    ``award_as_dict`` builds exactly what ``AchievementPage`` documents, so its dump
    is an identity that cost more than the query (tests/web/test_history_fast.py
    checks equality on generated rows); Flask's JSON provider (the one flask-smorest
    would call) writes the bytes.
    """
    locale = current_locale()
    body = {"items": [localize_award(award_as_dict(a), locale) for a in page.items],
            "next_cursor": page.next_cursor}
    return current_app.json.response(body)  # type: ignore[attr-defined,no-any-return]


@blp.route("/achievements/<int:award_id>", methods=["GET"])
@blp.response(200, AchievementOut)
@blp.doc(security=BEARER_OR_SESSION, responses=problem_responses(404))
def get_achievement(award_id: int) -> Any:
    """One achievement; another learner's id is 404, exactly like an unknown id. A revoked
    award answers only to its learner's session, with ``revoked`` {at, reason}."""
    read_without_transaction()
    principal = current_principal()
    if principal.is_service:
        require_scope(principal, READ)
    award = get_readable_achievement(award_id, lambda owner: may_read(principal, owner),
                                     owner=principal.user_id)
    return shown(award_as_dict(award))


@blp.route("/achievements/<int:award_id>", methods=["PATCH"])
@blp.arguments(SharingIn)
@blp.response(200, AchievementOut)
@blp.doc(security=BEARER_OR_SESSION, responses=problem_responses(400, 404, 409, 415, 422))
def patch_achievement(body: dict[str, Any], award_id: int) -> Any:
    """Share (``{"public": true}``) or unshare an award's Open Badges.

    Its learner's session, an admin user or an ``achievements:admin`` token; for
    anyone else the award is not found and nothing changes. A revoked award
    cannot be shared (409). Unshared, its public URLs answer 404 at once.
    """
    award = set_sharing(award_id, current_principal(), body["public"])
    return shown(award_as_dict(award))


@blp.route("/achievements/stream", methods=["GET"])
@blp.doc(security=[{"session": []}], responses={
    "200": {"description": "text/event-stream of `achievement` events (id: the award id) "
                           "and `revoked` / `restored` events (data: id, achievement_id, "
                           "reason, at, achievement); each `id:` is the stream's position "
                           "(`<award id>` or `<award id>.<change id>`) to resume from with "
                           "`Last-Event-ID` or `?after=`",
            "content": {"text/event-stream": {"schema": {"type": "string"}}}},
    **problem_responses(403)})
def stream() -> Response:
    """Server-sent events for the logged-in user; resumes after ``Last-Event-ID``.

    New awards come as ``achievement`` events; a revocation or restore of one of the
    learner's awards as a ``revoked`` or ``restored`` event, replayed on resume like
    awards (a page that was disconnected still learns of it).

    The channel is the session's user, never a query parameter. The body runs
    after the request context is gone (no ``stream_with_context``): an idle
    stream holds no request, session or database connection, only its inbox.
    """
    principal = current_principal()
    if principal.user_id is None:
        raise Forbidden("the stream follows a logged-in user's session, not a service token")
    after = parse_last_event_id(request.headers.get("Last-Event-ID"), request.args.get("after"))
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    return StreamResponse(app, principal.user_id, after, current_locale())
