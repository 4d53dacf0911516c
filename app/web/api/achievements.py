"""GET /api/v1/achievements and the live stream."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request, stream_with_context
from flask_smorest import Blueprint

from app.accounts import subject_for_read
from app.achievements.awards import award_as_dict
from app.achievements.queries import HistoryFilter, list_achievements
from app.errors import Unauthenticated
from app.web.api.schemas import AchievementPage, AchievementQuery
from app.web.api.security import current_principal
from app.web.sse import event_stream

blp = Blueprint("achievements", __name__, description="Read learners' achievements")


@blp.route("/achievements", methods=["GET"])
@blp.arguments(AchievementQuery, location="query")
@blp.response(200, AchievementPage)
@blp.doc(security=[{"bearer": []}, {"session": []}])
def get_achievements(args: dict[str, Any]) -> Any:
    """A learner's achievements, newest first, keyset-paginated."""
    user_id = subject_for_read(current_principal(), args.get("user_id"))
    filters = HistoryFilter(types=args.get("type") or (), since=args.get("since"),
                            until=args.get("until"))
    page = list_achievements(user_id, filters, args.get("cursor"), args["limit"])
    return {"items": [award_as_dict(a) for a in page.items], "next_cursor": page.next_cursor}


@blp.route("/achievements/stream", methods=["GET"])
@blp.doc(security=[{"session": []}],
         responses={"200": {"description": "text/event-stream of achievement events"}})
def stream() -> Response:
    """Server-sent events for the logged-in learner; resumes after ``Last-Event-ID``."""
    principal = current_principal()
    if principal.user_id is None:
        raise Unauthenticated("the stream follows the logged-in learner's session")
    last_id = request.headers.get("Last-Event-ID") or request.args.get("after", "")
    after = int(last_id) if last_id.isdigit() else None
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    body = event_stream(app, principal.user_id, after)
    response = Response(stream_with_context(body), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"
    return response
