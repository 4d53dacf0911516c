"""A real LTI 1.3 platform for tests: PyPI ``lti1p3platform`` (written by others) signs the
launches, validates deep linking responses and client assertions, issues access tokens and
answers NRPS and AGS, served over HTTPS at ``https://127.0.0.2:<port>`` (a trustme test CA)
by werkzeug in a thread of the test process.

The library is framework-agnostic and keeps no state; this module gives it what a platform
such as Moodle has: registered tools, courses with rosters and gradebooks, pages that frame
the tool, and the URLs a tool is configured with. Glue beyond the library, and why:
- ``/auth`` checks ``redirect_uri`` against the tool's registered ones and ``login_hint``
  against the user the launch was started for (the library checks only their presence);
- a deep linking response must carry ``aud`` = our issuer, the tool's deployment id and the
  ``data`` we sent (the library checks signature and message type only);
- LTI Dynamic Registration 1.0 (not in the library): the openid-configuration document, a
  ``/register`` endpoint taking a one-time registration token, a page framing the tool's
  registration URL that notes the ``org.imsglobal.lti.close`` message;
- token endpoint and NRPS/AGS paging: see ``tests.support.lti_platform_services``.

Use: the session fixture ``lti_platform`` (import it into a conftest), then
``tool = lti_platform.register_tool("https://127.0.0.1:<port>")``,
``course = lti_platform.course(); course.set_roster([Member("u1", ["Learner"], ...)])``,
``page = lti_platform.page(tool, course, course.members[0])`` for a browser, and read
``course.gradebook.scores`` / ``lti_platform.deep_links`` afterwards.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import jwt
import pytest
import trustme
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from werkzeug.routing import Map, Rule
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from tests.support import lti_platform_registration as registration
from tests.support import lti_platform_services as services

ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
DL_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/"


def _pem(key: rsa.RSAPrivateKey, private: bool) -> str:
    if private:
        return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption()).decode()
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class Tool:
    """A tool as registered on the platform (the fields Moodle's "Tool settings" ask for)."""

    client_id: str
    deployment_id: str
    login_url: str
    launch_url: str
    redirect_uris: list[str]
    jwks_url: str | None = None
    jwks: dict[str, Any] | None = None


@dataclass
class Member:
    """A person in a course: their NRPS member record and launch claims. ``roles`` may be
    short (``"Learner"``) or full LIS URIs."""

    user_id: str
    roles: list[str]
    name: str | None = None
    email: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    status: str = "Active"
    locale: str = "en"

    def __post_init__(self) -> None:
        self.roles = [r if "/" in r else ROLE + r for r in self.roles]

    def as_nrps(self) -> dict[str, Any]:
        record = {"user_id": self.user_id, "roles": self.roles, "status": self.status,
                  "name": self.name, "email": self.email, "given_name": self.given_name,
                  "family_name": self.family_name}
        return {k: v for k, v in record.items() if v is not None}


@dataclass
class Course:
    """An LMS course (an LTI context) with its roster, placed links and gradebook."""

    id: str
    title: str
    label: str
    base: str
    members: list[Member] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)
    gradebook: services.Gradebook = field(default_factory=services.Gradebook)

    @property
    def memberships_url(self) -> str:
        return f"{self.base}/contexts/{self.id}/memberships"

    @property
    def lineitems_url(self) -> str:
        return f"{self.base}/contexts/{self.id}/lineitems"

    def set_roster(self, members: list[Member]) -> Course:
        self.members = list(members)
        return self


@dataclass
class Launch:
    """One launch a test asked for: who, where, which message, and any defect to forge."""

    tool: Tool
    course: Course
    member: Member
    message: str = "LtiResourceLinkRequest"
    link: dict[str, Any] | None = None
    custom: dict[str, str] = field(default_factory=dict)
    claims: dict[str, Any] = field(default_factory=dict)
    expires_in: int = 300
    forge_signature: bool = False
    storage: bool = False  # offer client-side storage (lti_storage_target=_parent): framed
    dl_data: str = field(default_factory=lambda: secrets.token_urlsafe(8))


# The platform side of LTI client-side postMessage storage (1EdTech "LTI Client Side
# postMessages" and "Platform Storage"; not in lti1p3platform): the course page keeps what a
# framed tool puts, per origin, and answers lti.capabilities, lti.put_data, lti.get_data.
STORAGE_SCRIPT = """
const kept = new Map();
addEventListener('message', (event) => {
  const m = event.data || {};
  const answer = (extra) => event.source.postMessage(
    {subject: m.subject + '.response', message_id: m.message_id, ...extra}, event.origin);
  const where = event.origin + ' ' + m.key;
  if (m.subject === 'lti.capabilities') {
    answer({supported_messages: [{subject: 'lti.put_data'}, {subject: 'lti.get_data'}]});
  } else if (m.subject === 'lti.put_data') {
    kept.set(where, m.value); answer({key: m.key, value: m.value});
  } else if (m.subject === 'lti.get_data') {
    answer(kept.has(where) ? {key: m.key, value: kept.get(where)}
                           : {error: {code: 'bad_request', message: 'no such key'}});
  }
});
"""


class _Config(LTI1P3PlatformConfAbstract):
    """The library's registration store, for one tool (made per request: JWKS refetched)."""

    def init_platform_config(self, **kwargs: Any) -> None:
        self.platform, self.tool = kwargs["platform"], kwargs["tool"]

    def get_registration_by_params(self, **kwargs: Any) -> Registration:
        tool, platform = self.tool, self.platform
        reg = (Registration().set_iss(platform.issuer).set_client_id(tool.client_id)
               .set_deployment_id(tool.deployment_id).set_oidc_login_url(tool.login_url)
               .set_launch_url(tool.launch_url).set_deeplink_launch_url(tool.launch_url)
               .set_platform_private_key(_pem(platform.key, True))
               .set_platform_public_key(_pem(platform.key, False)))
        return reg.set_tool_key_set(tool.jwks) if tool.jwks else reg.set_tool_key_set_url(
            tool.jwks_url or "")


class _Login(OIDCLoginAbstract):
    def set_lti_message_hint(self, **kwargs: Any) -> None:
        self._lti_message_hint = kwargs["hint"]

    def get_redirect(self, url: str) -> Response:
        return Response(status=302, headers={"Location": url})


class _MessageLaunch(LTIAdvantageMessageLaunchAbstract):
    forged_key: rsa.RSAPrivateKey | None = None

    def render_launch_form(self, launch_data: dict[str, Any], **kwargs: Any) -> Response:
        token = launch_data["id_token"]
        if self.forged_key is not None:  # same kid, another key: a forged signature
            header = jwt.get_unverified_header(token)
            payload = jwt.decode(token, options={"verify_signature": False})
            token = jwt.encode(payload, _pem(self.forged_key, True), "RS256",
                               headers={"kid": header["kid"]})
        return auto_post(launch_data["launch_url"], {"id_token": token,
                                                     "state": launch_data["state"]})


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        """Requests are not logged: failures answer with a body saying why."""


def auto_post(url: str, fields: dict[str, str], title: str = "Launching…") -> Response:
    """A page that POSTs ``fields`` to ``url`` at once (how LTI messages travel)."""
    inputs = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                     for k, v in fields.items())
    body = (f'<!doctype html><html lang="en"><title>{title}</title><body>'
            f'<form id="f" method="post" action="{html.escape(url)}">{inputs}'
            f'<button>Continue</button></form>'
            "<script>document.getElementById('f').submit()</script></body></html>")
    return Response(body, content_type="text/html; charset=utf-8")


class Platform:
    """The platform's state and its HTTPS server at 127.0.0.2."""

    page_size = 2  # NRPS page size: a roster of 3+ makes a tool follow ``rel=next``

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.ca = trustme.CA()
        self.key = new_key()
        self.old_keys: list[rsa.RSAPrivateKey] = []
        self.tools: dict[str, Tool] = {}
        self.courses: dict[str, Course] = {}
        self.launches: dict[str, Launch] = {}
        self.deep_links: list[dict[str, Any]] = []
        self.registrations: list[dict[str, Any]] = []
        self.registration_tokens: set[str] = set()
        self.offers: dict[str, str] = {}
        self.tokens_issued = 0
        self._server: Any = None
        self.ca_bundle = workdir / "ca-bundle.pem"

    # -- URLs a tool is configured with ----------------------------------------------------
    @property
    def issuer(self) -> str:
        return f"https://127.0.0.2:{self._server.server_port}"

    url = issuer

    @property
    def jwks_url(self) -> str:
        return f"{self.issuer}/jwks.json"

    @property
    def auth_login_url(self) -> str:
        return f"{self.issuer}/auth"

    @property
    def token_url(self) -> str:
        return f"{self.issuer}/token"

    @property
    def openid_configuration_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    # -- set-up a test does ----------------------------------------------------------------
    def register_tool(self, base_url: str | None = None, *, client_id: str | None = None,
                      deployment_id: str | None = None, jwks: dict[str, Any] | None = None,
                      launch_path: str = "/lti/launch") -> Tool:
        """Register our tool at ``base_url`` (its /lti/login, /lti/launch, /lti/jwks.json), or
        with its public ``jwks`` given directly (service tests with no tool server)."""
        base = (base_url or "https://tool.invalid").rstrip("/")
        tool = Tool(client_id=client_id or f"client-{secrets.token_hex(4)}",
                    deployment_id=deployment_id or f"dep-{secrets.token_hex(3)}",
                    login_url=f"{base}/lti/login", launch_url=base + launch_path,
                    redirect_uris=[base + launch_path], jwks_url=f"{base}/lti/jwks.json",
                    jwks=jwks)
        self.tools[tool.client_id] = tool
        return tool

    def course(self, title: str = "Chemistry 101", label: str = "CHEM101") -> Course:
        course = Course(id=f"ctx-{secrets.token_hex(4)}", title=title, label=label,
                        base=self.issuer)
        self.courses[course.id] = course
        return course

    def rotate_key(self) -> None:
        """A new signing key; the old one stays in the JWKS (as platforms rotate)."""
        self.old_keys.append(self.key)
        self.key = new_key()

    def launch(self, tool: Tool, course: Course, member: Member, **options: Any) -> str:
        """The URL that starts a launch (third-party login initiation to the tool); options
        are ``Launch`` fields: ``message="LtiDeepLinkingRequest"``, ``link`` (a placed
        item), ``custom``, ``claims`` (overrides), ``expires_in``, ``forge_signature``."""
        hint = secrets.token_urlsafe(12)
        self.launches[hint] = Launch(tool=tool, course=course, member=member, **options)
        return f"{self.issuer}/launch?hint={hint}"

    def page(self, tool: Tool, course: Course, member: Member, **options: Any) -> str:
        """A course page of the platform that frames the launch in an iframe."""
        options.setdefault("storage", True)
        return self.launch(tool, course, member, **options).replace("/launch?", "/page?", 1)

    def registration_url(self, tool_register_url: str) -> str:
        """The page an admin uses to add a tool by Dynamic Registration (framed)."""
        return registration.offer_page_url(self, tool_register_url)

    def registration_offer(self) -> tuple[str, str]:
        """``(openid_configuration URL, one-time registration token)`` without the page."""
        page = registration.offer_page_url(self, "https://tool.invalid/lti/register")
        token = page.rsplit("=", 1)[1]
        return self.openid_configuration_url, token

    def id_token_claims(self, tool: Tool, course: Course, member: Member,
                        **options: Any) -> dict[str, Any]:
        """A launch as a browser would carry it, without one: login initiation, the auth
        request, the signed id_token; its claims after checking them against our JWKS."""
        import requests

        start = requests.get(self.launch(tool, course, member, **options),
                             allow_redirects=False, timeout=10)
        query = dict(parse_qsl(urlsplit(start.headers["Location"]).query))
        form = requests.post(self.auth_login_url, timeout=10, data={
            "scope": "openid", "response_type": "id_token", "response_mode": "form_post",
            "prompt": "none", "client_id": query["client_id"], "state": "s",
            "redirect_uri": query["target_link_uri"], "login_hint": query["login_hint"],
            "lti_message_hint": query["lti_message_hint"], "nonce": secrets.token_hex(8)})
        token = html.unescape(form.text.split('name="id_token" value="')[1].split('"')[0])
        key = jwt.PyJWKClient(self.jwks_url).get_signing_key_from_jwt(token).key
        return jwt.decode(token, key, algorithms=["RS256"], audience=tool.client_id)

    def config(self, tool: Tool) -> _Config:
        """The library's view of this tool's registration, fresh (the tool's JWKS refetched)."""
        config = _Config(platform=self, tool=tool)
        config.get_registration()
        return config

    def jwks(self) -> dict[str, Any]:
        keys = [self.key, *self.old_keys]
        return {"keys": [Registration.get_jwk(_pem(k, False)) for k in keys]}

    # -- HTTP ------------------------------------------------------------------------------
    def start(self) -> Platform:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._cert = self.ca.issue_cert("127.0.0.2")
        self._cert.configure_cert(context)
        self._server = make_server("127.0.0.2", 0, self._wsgi, threaded=True,
                                   ssl_context=context, request_handler=_Quiet)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        # The test CA alone: loading the system's ~150 CAs costs ~30 ms per TLS context,
        # and tests reach no other HTTPS host.
        self.ca.cert_pem.write_to_path(str(self.ca_bundle))
        return self

    def stop(self) -> None:
        self._server.shutdown()

    def issue_cert(self, host: str = "127.0.0.1") -> tuple[Path, Path]:
        """A certificate for the tool's own HTTPS server (gunicorn ``--certfile --keyfile``),
        from the same test CA."""
        cert = self.ca.issue_cert(host)
        cert_path, key_path = self.workdir / f"{host}-cert.pem", self.workdir / f"{host}-key.pem"
        cert_path.write_bytes(b"".join(blob.bytes() for blob in cert.cert_chain_pems))
        cert.private_key_pem.write_to_path(str(key_path))
        return cert_path, key_path

    def env(self) -> dict[str, str]:
        """Environment for a tool process: trust the test CA (requests, urllib, httpx)."""
        return {"REQUESTS_CA_BUNDLE": str(self.ca_bundle), "SSL_CERT_FILE": str(self.ca_bundle)}

    def chromium_args(self, *cert_paths: Path) -> list[str]:
        """Chromium flags trusting this platform's certificate and ``cert_paths``."""
        return [f"--ignore-certificate-errors-spki-list={','.join(self._spki(cert_paths))}"]

    def _spki(self, cert_paths: tuple[Path, ...]) -> list[str]:
        from cryptography import x509

        pems = [self._cert.cert_chain_pems[0].bytes(), *(p.read_bytes() for p in cert_paths)]
        digests = []
        for pem in pems:
            key = x509.load_pem_x509_certificate(pem).public_key()
            der = key.public_bytes(serialization.Encoding.DER,
                                   serialization.PublicFormat.SubjectPublicKeyInfo)
            digests.append(base64.b64encode(hashlib.sha256(der).digest()).decode())
        return digests

    _routes = Map([Rule("/jwks.json", endpoint="jwks"), Rule("/launch", endpoint="login"),
                   Rule("/page", endpoint="page"), Rule("/auth", endpoint="auth"),
                   Rule("/deep_links/<hint>", endpoint="deep_link_return"),
                   Rule("/token", endpoint="token"),
                   Rule("/contexts/<course_id>/memberships", endpoint="memberships"),
                   Rule("/contexts/<course_id>/lineitems", endpoint="lineitems"),
                   Rule("/contexts/<course_id>/lineitems/<int:item>", endpoint="lineitem"),
                   Rule("/contexts/<course_id>/lineitems/<int:item>/<part>", endpoint="lineitem"),
                   *registration.RULES])

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        try:
            endpoint, args = self._routes.bind_to_environ(environ).match()
            if endpoint in registration.ENDPOINTS:
                response = getattr(registration, endpoint)(self, request, **args)
            else:
                response = getattr(self, f"_{endpoint}")(request, **args)
        except Exception as error:  # a test platform answers, never hangs
            status = getattr(error, "code", 500)
            response = Response(f"{type(error).__name__}: {error}",
                                status=status if isinstance(status, int) else 500)
        return response(environ, start_response)

    def _jwks(self, request: Request) -> Response:
        return Response(json.dumps(self.jwks()), content_type="application/json")

    def _login(self, request: Request) -> Response:
        launch = self.launches[request.args["hint"]]
        login = _Login(request, self.config(launch.tool))
        login.set_lti_message_hint(hint=request.args["hint"])
        login.set_launch_url(launch.link["url"] if launch.link else launch.tool.launch_url)
        response: Response = login.initiate_login(launch.member.user_id)
        if launch.storage:  # LTI client-side storage: the page framing the tool keeps data
            response.headers["Location"] += "&lti_storage_target=_parent"
        return response

    def _page(self, request: Request) -> Response:
        launch = self.launches[request.args["hint"]]
        src = html.escape(f"{self.issuer}/launch?hint={request.args['hint']}")
        body = (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
                f'<meta name="viewport" content="width=device-width">'
                f"<title>{html.escape(launch.course.title)}</title></head><body><main>"
                f"<h1>{html.escape(launch.course.title)}</h1>"
                f'<iframe id="tool" title="Achievements" src="{src}" '
                f'style="width:100%;height:80vh;border:0"></iframe></main>'
                f"<script>{STORAGE_SCRIPT}</script></body></html>")
        return Response(body, content_type="text/html; charset=utf-8")

    def _auth(self, request: Request) -> Response:
        params = request.values
        launch = self.launches.get(params.get("lti_message_hint", ""))
        if launch is None or params.get("client_id") != launch.tool.client_id:
            return Response("unknown lti_message_hint or client_id", status=400)
        if params.get("redirect_uri") not in launch.tool.redirect_uris:
            return Response("redirect_uri is not registered for this tool", status=400)
        if params.get("login_hint") != launch.member.user_id:
            return Response("login_hint is not the user this launch was started for", 400)
        if params.get("response_type") != "id_token" or params.get("scope") != "openid":
            return Response("response_type must be id_token and scope openid", status=400)
        return self._message(launch, services.WerkzeugRequest(request))

    def _message(self, launch: Launch, request: Any) -> Response:
        message = _MessageLaunch(request, self.config(launch.tool))
        member, course = launch.member, launch.course
        message.set_user_data(member.user_id, member.roles, member.name, member.email)
        message.set_launch_context_claim(course.id, [ROLE.replace(
            "membership#", "course#CourseOffering")], course.title, course.label)
        message.set_launch_presentation_claim("iframe", f"{self.issuer}/page")
        assert message.lti_claim_launch_presentation is not None
        message.lti_claim_launch_presentation[CLAIM + "launch_presentation"]["locale"] = (
            member.locale)
        link = launch.link or {"id": f"link-{course.id}", "title": "Achievements"}
        if launch.message == "LtiResourceLinkRequest":
            message.set_resource_link_claim(link["id"], title=link.get("title"))
        message.set_custom_parameters_claim({**(link.get("custom") or {}), **launch.custom})
        message.set_nrps(course.memberships_url).set_ags(course.lineitems_url)
        if launch.message == "LtiDeepLinkingRequest":
            message.set_dl(f"{self.issuer}/deep_links/{_hint_of(self, launch)}", "Achievements",
                           accept_types={"ltiResourceLink"}, extra_data=launch.dl_data)  # type: ignore[arg-type]
        extra = {"given_name": member.given_name, "family_name": member.family_name}
        message.set_extra_claims({**{k: v for k, v in extra.items() if v}, **launch.claims})
        message.set_id_token_expiration(launch.expires_in)
        message.forged_key = new_key() if launch.forge_signature else None
        return message.lti_launch()

    def _deep_link_return(self, request: Request, hint: str) -> Response:
        launch = self.launches[hint]
        config = self.config(launch.tool)
        items = config.validate_deeplinking_resp({"JWT": request.form.get("JWT", "")})
        claims = jwt.decode(request.form["JWT"], options={"verify_signature": False})
        problems = [name for name, ok in (
            ("aud", self.issuer in _as_list(claims.get("aud"))),
            ("iss", claims.get("iss") == launch.tool.client_id),
            ("deployment_id", claims.get(CLAIM + "deployment_id") == launch.tool.deployment_id),
            ("data", claims.get(DL_CLAIM + "data") == launch.dl_data)) if not ok]
        if problems:
            return Response(f"deep linking response refused: {', '.join(problems)}", status=400)
        for item in items:
            launch.course.links.append({**item, "id": f"link-{secrets.token_hex(4)}"})
        self.deep_links.append({"client_id": launch.tool.client_id, "items": items,
                                "course_id": launch.course.id, "claims": claims})
        titles = "".join(f"<li>{html.escape(i.get('title', '?'))}</li>" for i in items)
        return Response(f'<!doctype html><html lang="en"><title>Placed</title><body><main>'
                        f'<h1>Placed in {html.escape(launch.course.title)}</h1>'
                        f'<ul id="placed">{titles}</ul></main></body></html>',
                        content_type="text/html; charset=utf-8")

    def _token(self, request: Request) -> Response:
        return services.issue_token(self, request)

    def _memberships(self, request: Request, course_id: str) -> Response:
        config = services.bearer_config(self, request)
        if config is None:
            return Response('{"error": "unknown token"}', status=401)
        service = services.Memberships(services.WerkzeugRequest(request), config,
                                       self.courses[course_id], self.page_size)
        return services.to_http(service.handle_resp(service.handle_get_members))

    def _lineitems(self, request: Request, course_id: str) -> Response:
        return self._grades(request, course_id, None, None)

    def _lineitem(self, request: Request, course_id: str, item: int,
                  part: str | None = None) -> Response:
        return self._grades(request, course_id, item, part)

    def _grades(self, request: Request, course_id: str, item: int | None,
                part: str | None) -> Response:
        config = services.bearer_config(self, request)
        if config is None:
            return Response('{"error": "unknown token"}', status=401)
        course = self.courses[course_id]
        service = services.Grades(services.WerkzeugRequest(request), config, course)
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
        return services.to_http(service.handle_resp(handler, **args))


def _hint_of(platform: Platform, launch: Launch) -> str:
    return next(hint for hint, value in platform.launches.items() if value is launch)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@pytest.fixture(scope="session")
def lti_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """The platform, started once; this process trusts its test CA (only) while it runs."""
    platform = Platform(tmp_path_factory.mktemp("lti-platform")).start()
    with pytest.MonkeyPatch.context() as patch:
        for name, value in platform.env().items():
            patch.setenv(name, value)
        yield platform
    platform.stop()
