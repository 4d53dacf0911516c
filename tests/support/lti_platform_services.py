"""The LTI Advantage services of the test platform (``tests.support.lti_platform``): the OAuth 2
token endpoint, Names and Role Provisioning and Assignment and Grade Services, each the PyPI
``lti1p3platform`` service class with the storage its abstract methods ask for.

Glue where the library stops short of the specs, and only there:
- the token endpoint checks the client assertion's ``iss``/``sub`` (our client id) and ``aud``
  (this endpoint): the library verifies only its signature;
- the library returns a page as ``{"content", "has_next", "next"}`` in the body; the specs
  want the members (NRPS) or a bare array (AGS) in the body and ``Link: <…>; rel="next"``;
- query strings arrive as text: ``page``/``limit`` become numbers, and NRPS always pages
  (``limit`` defaults to the platform's page size) so a tool must follow ``rel=next``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import jwt
from lti1p3platform.exceptions import LineItemNotFoundException, LtiException
from lti1p3platform.membership import Context
from lti1p3platform.request import Request, TRequest
from lti1p3platform.response import Response as LibResponse
from lti1p3platform.response import generate_next_link
from lti1p3platform.score import UpdateScoreStatus
from lti1p3platform.service_connector import (
    AssignmentsGradesService,
    NamesRoleProvisioningService,
    TPage,
)
from werkzeug.routing import Rule
from werkzeug.wrappers import Request as HttpRequest
from werkzeug.wrappers import Response

if TYPE_CHECKING:
    from tests.support.lti_platform import Course, Platform

RULES = [Rule("/token", endpoint="token"),
         Rule("/contexts/<course_id>/memberships", endpoint="memberships"),
         Rule("/contexts/<course_id>/lineitems", endpoint="lineitems"),
         Rule("/contexts/<course_id>/lineitems/<int:item>", endpoint="lineitem"),
         Rule("/contexts/<course_id>/lineitems/<int:item>/<part>", endpoint="lineitem")]
ENDPOINTS = ("token", "memberships", "lineitems", "lineitem")


class WerkzeugRequest(Request):
    """The library's request view of a werkzeug request (its Django/FastAPI adapters' job)."""

    def build_metadata(self, request: HttpRequest) -> TRequest:
        query: dict[str, Any] = dict(request.args)
        for name in ("page", "limit"):
            if name in query:
                query[name] = int(query[name])
        return {"method": request.method, "form_data": dict(request.form), "get_data": query,
                "headers": request.headers, "content_type": request.content_type,
                "path": request.path, "json": request.get_json(silent=True)}


def to_http(reply: LibResponse) -> Response:
    """A library response on the wire; a page's ``next`` goes into the ``Link`` header."""
    body, headers = reply.result, {}
    if isinstance(body, dict) and "content" in body and "has_next" in body:
        body = body["content"] if reply.code < 300 else body
        nxt = reply.result.get("next") if reply.result.get("has_next") else None
    else:
        nxt = body.pop("next", None) if isinstance(body, dict) else None
    if nxt:
        headers["Link"] = generate_next_link(nxt).replace("rel=next", 'rel="next"')
    if body is None and reply.code >= 300:
        body = {"error": reply.message}
    text = "" if body is None else json.dumps(body, default=str)
    return Response(text, status=reply.code, headers=headers,
                    content_type=reply.media_type if reply.code < 300 else "application/json")


def serve(service: Any, handler: Any, **args: Any) -> Response:
    """A service call on the wire; a token the library cannot verify (signed by a key the
    platform rotated away, expired) is a 401, as platforms answer, not an error page."""
    try:
        return to_http(service.handle_resp(handler, **args))
    except jwt.PyJWTError as error:
        return Response(json.dumps({"error": f"invalid token: {error}"}), status=401,
                        content_type="application/json")


def token(platform: Platform, request: HttpRequest) -> Response:
    """``POST /token``: client credentials with a JWT client assertion (1EdTech Security §4)."""
    assertion = request.form.get("client_assertion", "")
    try:
        claims = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError:
        return _oauth_error("invalid_request", "client_assertion is not a JWT")
    tool = platform.tools.get(str(claims.get("sub")))
    if tool is None or claims.get("iss") != tool.client_id:
        return _oauth_error("invalid_client", "unknown client (iss/sub)")
    audience = claims.get("aud")
    if platform.token_url not in (audience if isinstance(audience, list) else [audience]):
        return _oauth_error("invalid_client", "aud is not this token endpoint")
    try:
        answer = platform.config(tool).get_access_token(dict(request.form))
    except (LtiException, jwt.PyJWTError, AssertionError) as error:
        return _oauth_error("invalid_client", str(error) or type(error).__name__)
    platform.tokens_issued += 1
    return Response(json.dumps(answer), content_type="application/json")


def _oauth_error(code: str, description: str) -> Response:
    body = {"error": code, "error_description": description}
    return Response(json.dumps(body), status=400 if code == "invalid_request" else 401,
                    content_type="application/json")


def bearer_config(platform: Platform, request: HttpRequest) -> Any:
    """The registration a bearer token was issued to (the library then verifies the token)."""
    token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    try:
        client_id = str(jwt.decode(token, options={"verify_signature": False}).get("sub"))
    except jwt.PyJWTError:
        return None
    tool = platform.tools.get(client_id)
    if tool is None:
        return None
    return platform.config(tool)


class Memberships(NamesRoleProvisioningService):
    """NRPS 2.0 context membership, paged at the platform's page size."""

    def __init__(self, request: Request, config: Any, course: Course, page_size: int) -> None:
        if "limit" not in request.get_data:
            request.get_data["limit"] = page_size
        super().__init__(request, config, course.memberships_url)
        self.course = course

    def get_member_data_page(self, page: int = 1, limit: int | None = None,
                             role: str | None = None, since: str | None = None,
                             **_: Any) -> TPage:
        members = [m.as_nrps() for m in self.course.members
                   if role is None or role in m.roles or role.split("#")[-1] in
                   [r.split("#")[-1] for r in m.roles]]
        size = limit or len(members) or 1
        start = (page - 1) * size
        return {"content": members[start:start + size],
                "has_next": start + size < len(members)}

    def get_context_by_id(self) -> Context:
        return Context(id=self.course.id, label=self.course.label, title=self.course.title)


@dataclass
class Gradebook:
    """One context's line items and the scores tools posted to them, as received."""

    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    scores: list[dict[str, Any]] = field(default_factory=list)


class Grades(AssignmentsGradesService):
    """AGS 2.0 line items and scores kept in the course's ``Gradebook``."""

    def __init__(self, request: Request, config: Any, course: Course) -> None:
        super().__init__(request, config, course.lineitems_url)
        self.book = course.gradebook

    def find_lineitems(self, page: int = 1, limit: int | None = None,
                       line_item_id: str | None = None, resource_link_id: str | None = None,
                       resource_id: str | None = None, tag: str | None = None,
                       **_: Any) -> TPage:
        wanted = {"resourceLinkId": resource_link_id, "resourceId": resource_id, "tag": tag}
        items = [item for item in self.book.items.values()
                 if all(v is None or item.get(k) == v for k, v in wanted.items())]
        size = limit or len(items) or 1
        start = (page - 1) * size
        return {"content": items[start:start + size], "has_next": start + size < len(items)}

    def find_lineitem(self, line_item_id: str) -> Any:
        if line_item_id not in self.book.items:
            raise LineItemNotFoundException()
        return self.book.items[line_item_id]

    def create_lineitem(self, creation_data: Any) -> Any:
        item_id = f"{self.ags.lineitems_url}/{len(self.book.items) + 1}"
        self.book.items[item_id] = {**creation_data, "id": item_id}
        return self.book.items[item_id]

    def update_lineitem(self, update_data: Any) -> Any:
        self.find_lineitem(update_data["id"]).update(update_data)
        return self.book.items[update_data["id"]]

    def delete_lineitem(self, line_item_id: str) -> None:
        self.find_lineitem(line_item_id)
        del self.book.items[line_item_id]

    def update_score(self, line_item_id: str, score: Any) -> UpdateScoreStatus:
        self.find_lineitem(line_item_id)
        self.book.scores.append({**score, "lineitem": line_item_id})
        return UpdateScoreStatus.SUCCESS

    def get_results(self, line_item_id: str, page: int = 1, limit: int | None = None,
                    user_id: str | None = None, **_: Any) -> TPage:
        self.find_lineitem(line_item_id)
        latest: dict[str, dict[str, Any]] = {}
        for score in self.book.scores:
            if score["lineitem"] == line_item_id:
                latest[str(score["userId"])] = score
        results = [{"id": f"{line_item_id}/results/{uid}", "userId": uid, "scoreOf": line_item_id,
                    "resultScore": s.get("scoreGiven"), "resultMaximum": s.get("scoreMaximum")}
                   for uid, s in latest.items() if user_id is None or uid == user_id]
        return {"content": results, "has_next": False}


def memberships(platform: Platform, request: HttpRequest, course_id: str) -> Response:
    config = bearer_config(platform, request)
    if config is None:
        return Response('{"error": "unknown token"}', status=401)
    service = Memberships(WerkzeugRequest(request), config, platform.courses[course_id],
                          platform.page_size)
    return serve(service, service.handle_get_members)


def lineitems(platform: Platform, request: HttpRequest, course_id: str) -> Response:
    return grades(platform, request, course_id, None, None)


def lineitem(platform: Platform, request: HttpRequest, course_id: str, item: int,
             part: str | None = None) -> Response:
    return grades(platform, request, course_id, item, part)


def grades(platform: Platform, request: HttpRequest, course_id: str, item: int | None,
           part: str | None) -> Response:
    config = bearer_config(platform, request)
    if config is None:
        return Response('{"error": "unknown token"}', status=401)
    course = platform.courses[course_id]
    service = Grades(WerkzeugRequest(request), config, course)
    item_id = f"{course.lineitems_url}/{item}"
    handler = {(False, None, "GET"): service.handle_get_lineitems,
               (False, None, "POST"): service.handle_create_lineitem,
               (True, None, "GET"): service.handle_get_lineitem,
               (True, None, "PUT"): service.handle_update_lineitem,
               (True, None, "DELETE"): service.handle_delete_lineitem,
               (True, "scores", "POST"): service.handle_update_score,
               (True, "results", "GET"): service.handle_get_results,
               }.get((item is not None, part, request.method))
    if handler is None:
        return Response(status=405)
    args = {"line_item_id": item_id} if item is not None else {}
    return serve(service, handler, **args)
