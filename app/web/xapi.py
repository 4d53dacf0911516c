"""The xAPI statement resource under /xapi: any LMS, authoring tool or LRS can send progress.

Thin: check the version header and the token, parse the body (JSON, or multipart/mixed
with attachments), call ``app.services.xapi``, shape the reply as xAPI 1.0.3 says (200
with the ids for POST, 204 for PUT, a statement or a multipart/mixed one for GET).
Errors are problem+json; a statement that breaks a rule is a 400 naming the field, as
the spec asks (not the 422 of /api/v1). Every GET answer, errors included, carries
``X-Experience-API-Consistent-Through``: statements are stored before the POST answers,
so every one is visible now.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Response, jsonify, request
from flask_smorest import Api, Blueprint

from app.domain.xapi_formats import FORMATS, formatted
from app.errors import InvalidInput, NotFound
from app.models.types import utcnow
from app.services.accounts import require_scope
from app.services.accounts.principal import ADMIN, WRITE
from app.services.xapi import check_statement_id, get_statement, parts_of, store_statements
from app.services.xapi.multipart import Part, build, parse
from app.services.xapi.queries import flag, query_statements
from app.web.api.docs import problem_responses
from app.web.api.security import token_principal
from app.web.problems import problem

blp = Blueprint("xapi", __name__, url_prefix="/xapi",
                description="xAPI 1.0.3 statements (2.0 welcome): progress in the standard format")
VERSION_HEADER = "X-Experience-API-Version"
SUPPORTED = ["1.0.3", "2.0.0"]
VERSIONS_1 = ["1.0.3", "1.0.2", "1.0.1", "1.0.0"]
VERSION = re.compile(r"^(1\.0|2\.0)(\.\d+)?$")
MAX_BODY = 10 * 1024 * 1024  # attachments included; the app's 64 KiB stays elsewhere
SECURITY = [{"basic": []}, {"bearer": []}]
VERSION_PARAM = {"in": "header", "name": VERSION_HEADER, "required": True,
                 "schema": {"type": "string", "example": "1.0.3"}}
ID_PARAM = {"in": "query", "name": "statementId", "required": True,
            "schema": {"type": "string", "format": "uuid"}}
GET_PARAMS = [{"in": "query", "name": name, "required": False, "schema": {"type": "string"}}
              for name in ("statementId", "voidedStatementId", "agent", "verb", "activity",
                           "registration", "related_activities", "related_agents", "since",
                           "until", "limit", "format", "attachments", "ascending", "cursor")]
SINGLE = ("statementId", "voidedStatementId")
WITH_SINGLE = frozenset({"attachments", "format"})
CONSISTENT = "X-Experience-API-Consistent-Through"
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
    if request.method in ("GET", "HEAD"):
        response.headers[CONSISTENT] = utcnow().isoformat(timespec="milliseconds").replace(
            "+00:00", "Z")
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
    Attachments come as parts of a multipart/mixed body.
    """
    source = _caller()
    body, parts = _statements_body()
    statements = body if isinstance(body, list) else [body]
    if not statements:
        raise InvalidInput("an empty array stores nothing", fields={"$": ["is empty"]})
    return jsonify(store_statements(statements, source, in_array=isinstance(body, list),
                                    parts=parts))


@blp.route("/statements", methods=["PUT"])
@blp.doc(security=SECURITY, parameters=[VERSION_PARAM, ID_PARAM], requestBody=STATEMENTS_BODY,
         responses={"204": {"description": "stored (or already stored, the same)"},
                    **problem_responses(400, 403, 409, 413)})
def put_statement() -> Any:
    """Store one statement under the id in ``statementId`` (needs ``progress:write``)."""
    source = _caller()
    statement_id = check_statement_id(request.args.get("statementId"))
    body, parts = _statements_body()
    if not isinstance(body, dict):
        raise InvalidInput("PUT takes a single statement", fields={"$": ["must be an object"]})
    store_statements([body], source, in_array=False, statement_id=statement_id, parts=parts)
    return Response(status=204)


@blp.route("/statements", methods=["GET"])
@blp.doc(security=SECURITY, parameters=[VERSION_PARAM, *GET_PARAMS],
         responses={"200": {"description": "a statement, or {statements, more} for a query"},
                    **problem_responses(400, 403, 404)})
def get_statements() -> Any:
    """One statement by ``statementId`` (a voided one by ``voidedStatementId``), or a page of
    those matching the filters; with their attachments as multipart/mixed when
    ``attachments=true`` (needs ``progress:write``; a caller reads what it stored, a token
    with ``achievements:admin`` too reads everything)."""
    reader = _reader()
    form = request.args.get("format", "exact")
    if form not in FORMATS:
        raise InvalidInput("format must be ids, exact or canonical", fields={"format": [form]})
    attachments = flag(request.args, "attachments")
    named = [name for name in SINGLE if name in request.args]
    if not named:
        page = query_statements(request.args, request.path, reader)
        statements = [_formatted(statement, form) for statement in page.statements]
        return _answer({"statements": statements, "more": page.more}, statements, attachments)
    if len(named) > 1 or set(request.args) - set(named) - WITH_SINGLE:
        others = sorted(set(request.args) - WITH_SINGLE - {named[0]})
        raise InvalidInput(f"{named[0]} takes only attachments and format along",
                           fields={name: ["not allowed with " + named[0]] for name in others})
    statement = get_statement(check_statement_id(request.args.get(named[0])),
                              voided=named[0] == "voidedStatementId", reader=reader)
    if statement is None:
        raise NotFound("no such statement")
    return _answer(_formatted(statement, form), [statement], attachments)


def _formatted(statement: dict[str, Any], form: str) -> dict[str, Any]:
    return formatted(statement, form, list(request.accept_languages.values()))


def _answer(document: dict[str, Any], statements: list[dict[str, Any]],
            attachments: bool) -> Response:
    if not attachments:
        return jsonify(document)
    parts = {part.sha2: part for statement in statements for part in parts_of(statement)}
    content, content_type = build(json.dumps(document).encode(), list(parts.values()))
    return Response(content, content_type=content_type)


def _reader() -> str | None:
    """Whose statements the caller may read: its own, or everyone's (None) with admin."""
    principal = token_principal()
    require_scope(principal, WRITE)
    return None if principal.has_scope(ADMIN) else principal.caller_key


def _caller() -> str:
    principal = token_principal()
    require_scope(principal, WRITE)
    return principal.caller_key


def _statements_body() -> tuple[Any, list[Part] | None]:
    """The JSON statement(s) and, for multipart/mixed, the attachment parts."""
    mimetype = request.mimetype
    if mimetype == "multipart/mixed":
        text, parts = parse(request.get_data(), request.content_type or "")
        return _json(text), parts
    if mimetype not in ("", "application/json"):
        raise InvalidInput("statements are sent as application/json or multipart/mixed",
                           fields={"Content-Type": [f"{mimetype} is not accepted"]})
    return _json(request.get_data()), None


def _json(data: bytes) -> Any:
    try:
        body = json.loads(data)
    except ValueError:
        body = None
    if not isinstance(body, dict | list):
        raise InvalidInput("the body must be a JSON statement or an array of statements",
                           fields={"$": ["not a JSON object or array"]})
    return body


def _requested_version() -> str | None:
    return request.headers.get(VERSION_HEADER)
