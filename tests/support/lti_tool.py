"""Our web app as an LTI tool for browser tests: gunicorn over HTTPS (a certificate from
the test platform's CA), because launched sessions live in the LMS's iframe and their
cookies are ``SameSite=None; Secure``; registered on the test platform and it on us."""

from __future__ import annotations

import ssl
import urllib.request
from collections.abc import Iterator
from contextlib import suppress
from typing import Any

import pytest

from tests.support.lti_platform import Platform, Tool
from tests.support.services import migrate
from tests.support.web_server import WebServer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking",
                 "--disable-component-update", "--disable-gpu"]


class HttpsWebServer(WebServer):
    """``WebServer`` on ``https://127.0.0.1:<port>`` with ``PUBLIC_URL`` set to it."""

    def __init__(self, settings: dict[str, str], platform: Platform, **options: Any) -> None:
        super().__init__(settings, **options)
        self.cert, self.key = platform.issue_cert("127.0.0.1")
        self.trust = ssl.create_default_context(cafile=str(platform.ca_bundle))
        self.settings["PUBLIC_URL"] = self.url

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        return [*super().command(), "--certfile", str(self.cert), "--keyfile", str(self.key)]

    def _answers(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {self.log()[-3000:]}")
        with suppress(OSError), urllib.request.urlopen(f"{self.url}/login", timeout=2,
                                                       context=self.trust) as reply:
            return reply.status == 200
        return False


def register_on_both(platform: Platform, server: WebServer) -> Tool:
    """The tool on the platform (its login, launch and JWKS URLs), the platform here."""
    from app.services.lti.registrations import PlatformSpec, add_platform

    tool = platform.register_tool(server.url)
    with server.app.app_context():
        add_platform(PlatformSpec(
            issuer=platform.issuer, client_id=tool.client_id,
            auth_login_url=platform.auth_login_url, auth_token_url=platform.token_url,
            jwks_url=platform.jwks_url, deployment_ids=[tool.deployment_id]))
    return tool


@pytest.fixture(scope="session")
def lti_tool_server(tmp_path_factory: pytest.TempPathFactory,
                    lti_platform: Platform) -> Iterator[HttpsWebServer]:
    """Our app over HTTPS (embedded: SQLite, eager tasks; demo catalog), once a session."""
    url = f"sqlite:///{tmp_path_factory.mktemp('e2e-lti') / 'lti.db'}"
    migrate(url)
    server = HttpsWebServer({"DATABASE_URL": url, "SSE_PING_SECONDS": "2"}, lti_platform,
                            name="e2e-web-lti")
    yield server.seed_demo().start()
    server.stop()


@pytest.fixture(scope="session")
def lti_browser(playwright_session: Any, lti_platform: Platform,
                lti_tool_server: HttpsWebServer) -> Iterator[Any]:
    """Chromium trusting the platform's and the tool's certificates (their SPKI pins), from
    the run's one Playwright (tests/e2e/conftest.py: a second sync Playwright would fail)."""
    browser = playwright_session.chromium.launch(
        executable_path=CHROMIUM,
        args=[*CHROMIUM_ARGS, *lti_platform.chromium_args(lti_tool_server.cert)])
    yield browser
    browser.close()
