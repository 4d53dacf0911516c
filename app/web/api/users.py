"""GET /users/me and GET /users/<id>: a user as integrations and pages name them."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from app.errors import NotFound
from app.read.shapes import user_as_dict
from app.services.accounts import get_user
from app.services.accounts.principal import may_read
from app.web.api.docs import BEARER_OR_SESSION, problem_responses
from app.web.api.schemas import MAX_ID
from app.web.api.security import current_principal

blp = Blueprint("users", __name__, description="Users and their display names")


class UserOut(Schema):
    id = fields.Integer(required=True)
    email = fields.String(required=True)
    display_name = fields.String(required=True, allow_none=True, metadata={
        "description": "the name the learner chose (Settings, `users create --name`); null "
                       "when none: public pages then name nobody, never the email"})
    role = fields.String(required=True)
    timezone = fields.String(required=True)
    locale = fields.String(required=True, allow_none=True)


@blp.route("/users/me", methods=["GET"])
@blp.response(200, UserOut)
@blp.doc(security=[{"session": []}], responses=problem_responses(404))
def get_me() -> Any:
    """The logged-in user."""
    principal = current_principal()
    if principal.user_id is None:
        raise NotFound("a service token is not a user")
    return _shape(principal.user_id)


@blp.route("/users/<int:user_id>", methods=["GET"])
@blp.response(200, UserOut)
@blp.doc(security=BEARER_OR_SESSION, responses=problem_responses(404))
def get_one(user_id: int) -> Any:
    """A user the caller may read (themselves; their courses' learners for an instructor;
    anyone with ``achievements:read``); anyone else is 404, like an unknown id."""
    if user_id > MAX_ID or not may_read(current_principal(), user_id):
        raise NotFound(f"no user {user_id}")
    return _shape(user_id)


def _shape(user_id: int) -> dict[str, Any]:
    user = get_user(user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user_as_dict(user)
