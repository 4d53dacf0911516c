"""A real LTI 1.3 platform for tests: PyPI ``lti1p3platform`` (written by others) signs the
launches, validates deep linking responses and client assertions, issues access tokens and
answers NRPS and AGS, served over HTTPS at ``https://127.0.0.2:<port>`` (a trustme test CA)
by werkzeug in a thread of the test process.

The library is framework-agnostic and keeps no state; this module gives it what a platform
such as Moodle has: registered tools, courses with rosters and gradebooks, pages that frame
the tool, and the URLs a tool is configured with. Its HTTP side is in three modules, each
saying what glue it adds where the library stops: ``lti_platform_launch`` (login
initiation, the signed launch, the framing page with client-side storage, the deep linking
return), ``lti_platform_services`` (token endpoint, NRPS and AGS, ``Link`` paging) and
``lti_platform_registration`` (Dynamic Registration, not in the library).

Use: the session fixture ``lti_platform`` (import it into a conftest), then
``tool = lti_platform.register_tool("https://127.0.0.1:<port>")``,
``course = lti_platform.course(); course.set_roster([Member("u1", ["Learner"], ...)])``,
``page = lti_platform.page(tool, course, course.members[0])`` for a browser, and read
``course.gradebook.scores`` / ``lti_platform.deep_links`` afterwards.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import trustme
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.registration import Registration
from werkzeug.routing import Map, Rule
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from tests.support import lti_platform_launch as launch_flow
from tests.support import lti_platform_registration as registration
from tests.support import lti_platform_services as services
from tests.support.lti_platform_launch import ROLE, _pem, new_key


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


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        """Requests are not logged: failures answer with a body saying why."""


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
        """A launch's verified id_token claims, without a browser."""
        return launch_flow.id_token_claims(self, tool, course, member, **options)

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

    _routes = Map([Rule("/jwks.json", endpoint="jwks"), *launch_flow.RULES, *services.RULES,
                   *registration.RULES])
    _modules = (launch_flow, services, registration)

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        try:
            endpoint, args = self._routes.bind_to_environ(environ).match()
            module = next((m for m in self._modules if endpoint in m.ENDPOINTS), None)
            response = (getattr(module, endpoint)(self, request, **args) if module
                        else self._jwks(request))
        except Exception as error:  # a test platform answers, never hangs
            status = getattr(error, "code", 500)
            response = Response(f"{type(error).__name__}: {error}",
                                status=status if isinstance(status, int) else 500)
        return response(environ, start_response)

    def _jwks(self, request: Request) -> Response:
        return Response(json.dumps(self.jwks()), content_type="application/json")

@pytest.fixture(scope="session")
def lti_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """The platform, started once; this process trusts its test CA (only) while it runs."""
    platform = Platform(tmp_path_factory.mktemp("lti-platform")).start()
    with pytest.MonkeyPatch.context() as patch:
        for name, value in platform.env().items():
            patch.setenv(name, value)
        yield platform
    platform.stop()
