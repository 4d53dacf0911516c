"""The xAPI statement resource under /xapi: any LMS, authoring tool or LRS can send progress.

Thin: check the version header and the token, parse the body, call
``app.services.xapi``, shape the reply as xAPI 1.0.3 says (200 with the ids for
POST, 204 for PUT). Errors are problem+json; a statement that breaks a rule is
a 400 naming the field, as the spec asks (not the 422 of /api/v1).
"""

from __future__ import annotations

import re
from typing import Any

from flask import Response, jsonify, request
from flask_smorest import Api, Blueprint

from app.errors import InvalidInput, NotFound
from app.models.types import utcnow
from app.services.accounts import require_scope
from app.services.accounts.principal import WRITE
from app.services.xapi import check_statement_id, get_statement, store_statements
from app.web.api.docs import problem_responses
from app.web.api.security import token_principal
from app.web.problems import problem

blp = Blueprint("xapi", __name__, url_prefix="/xapi",
                description="xAPI 1.0.3 statements (2.0 welcome): progress in the standard format")
VERSION_HEADER = "X-Experience-API-Version"
SUPPORTED = ["1.0.3", "2.0.0"]
VERSIONS_1 = ["1.0.3", "1.0.2", "1.0.1", "1.0.0"]
VERSION = re.compile(r"^(1\.0|2\.0)(\.\d+)?$")
MAX_BODY = 1024 * 1024  # a batch of 100 statements is ~60 KiB; the app's 64 KiB stays elsewhere
SECURITY = [{"basic": []}, {"bearer": []}]
VERSION_PARAM = {"in": "header", "name": VERSION_HEADER, "required": True,
                 "schema": {"type": "string", "example": "1.0.3"}}
ID_PARAM = {"in": "query", "name": "statementId", "required": True,
            "schema": {"type": "string", "format": "uuid"}}
STATEMENTS_BODY = {"required": True, "content": {"application/json": {"schema": {
    "oneOf": [{"type": "object"}, {"type": "array", "items": {"type": "object"}}],
    "description": "an xAPI statement, or an array of them"}}}}


def register_xapi(api: Api) -> None:
    api.spec.components.security_scheme(
        "basic", {"type": "http", "scheme": "basic",
                  "description": "any user name; a service token as the password"})
    api.register_blueprint(blp)


@blp.before_request
def _version_and_body_limit() -> None:
    """Every call but ``about`` names its xAPI version; statement batches may exceed 64 KiB."""
    request.max_content_length = MAX_BODY
    if request.endpoint != "xapi.about" and not VERSION.match(_requested_version() or ""):
        raise InvalidInput(f"the {VERSION_HEADER} header must be 1.0.x or 2.0.x",
                           fields={VERSION_HEADER: ["missing or unsupported"]})


@blp.after_request
def _echo_version(response: Response) -> Response:
    requested = _requested_version()
    response.headers[VERSION_HEADER] = requested if VERSION.match(requested or "") else SUPPORTED[0]
    return response


@blp.errorhandler(InvalidInput)
def _bad_request(exc: InvalidInput) -> Response:
    return problem(400, exc.detail, errors=exc.fields or None)


@blp.route("/about", methods=["GET"])
@blp.doc(security=[], responses={"200": {"description": "the xAPI versions spoken here"}})
def about() -> Any:
    """The xAPI versions this service accepts (no credentials needed).

    2.0.0 is listed to callers that ask in 2.0: 1.0 clients (TinCanPython) refuse an
    About that names a version they do not know.
    """
    asks_2 = (_requested_version() or "").startswith("2.0")
    return jsonify({"version": [*VERSIONS_1, "2.0.0"] if asks_2 else VERSIONS_1})


@blp.route("/statements", methods=["POST"])
@blp.doc(security=SECURITY, parameters=[VERSION_PARAM], requestBody=STATEMENTS_BODY,
         responses={"200": {"description": "the statements' ids, in order (lowercase UUIDs)"},
                    **problem_responses(400, 403, 409, 413)})
def post_statements() -> Any:
    """Store one statement or an array of them, all or none (needs ``progress:write``).

    A statement without an id gets one. An id already stored with the same
    statement stores nothing new; with another statement the whole request is 409.
    """
    source = _caller()
    body = _json_body()
    statements = body if isinstance(body, list) else [body]
    if not statements:
        raise InvalidInput("an empty array stores nothing", fields={"$": ["is empty"]})
    return jsonify(store_statements(statements, source, in_array=isinstance(body, list)))


@blp.route("/statements", methods=["PUT"])
@blp.doc(security=SECURITY, parameters=[VERSION_PARAM, ID_PARAM], requestBody=STATEMENTS_BODY,
         responses={"204": {"description": "stored (or already stored, the same)"},
                    **problem_responses(400, 403, 409, 413)})
def put_statement() -> Any:
    """Store one statement under the id in ``statementId`` (needs ``progress:write``)."""
    source = _caller()
    statement_id = check_statement_id(request.args.get("statementId"))
    body = _json_body()
    if not isinstance(body, dict):
        raise InvalidInput("PUT takes a single statement", fields={"$": ["must be an object"]})
    store_statements([body], source, in_array=False, statement_id=statement_id)
    return Response(status=204)


@blp.route("/statements", methods=["GET"])
@blp.doc(security=SECURITY, parameters=[VERSION_PARAM, ID_PARAM],
         responses={"200": {"description": "the statement as received, with id and stored"},
                    **problem_responses(400, 403, 404)})
def get_statement_by_id() -> Any:
    """One statement by its id (needs ``progress:write``); queries are not offered."""
    _caller()
    statement = get_statement(check_statement_id(request.args.get("statementId")))
    if statement is None:
        raise NotFound("no such statement")
    response = jsonify(statement)
    response.headers["X-Experience-API-Consistent-Through"] = utcnow().isoformat()
    return response


def _caller() -> str:
    principal = token_principal()
    require_scope(principal, WRITE)
    return principal.caller_key


def _json_body() -> Any:
    body = request.get_json(silent=True, force=True)
    if not isinstance(body, dict | list):
        raise InvalidInput("the body must be a JSON statement or an array of statements",
                           fields={"$": ["not a JSON object or array"]})
    return body


def _requested_version() -> str | None:
    return request.headers.get(VERSION_HEADER)

