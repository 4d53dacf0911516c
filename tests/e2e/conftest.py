"""Browser tests: Debian's Chromium driven by Playwright against the real web server.

Most tests run against the embedded deployment (temp SQLite, eager tasks);
the toast test also runs against PostgreSQL + Redis + a real Celery worker,
which under ``CI=true`` must be present (the run fails, never skips).
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.proxy import DroppingProxy
from tests.support.lti_tool import lti_browser, lti_tool_server  # noqa: F401  (session fixtures, here once: a module import copies them)
from tests.support.services import (
    ARTIFACTS,
    ROOT,
    Worker,
    fresh_database,
    migrate,
    redis_settings,
    require,
)
from tests.support.web_server import WebServer

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking",
                 "--disable-component-update", "--disable-gpu"]
NODE_DIR = ROOT / "tests" / "e2e" / ".node"
AXE_JS = NODE_DIR / "node_modules" / "axe-core" / "axe.min.js"
DEMO_MODULES = ["demo-python-variables", "demo-python-control-flow", "demo-python-collections",
                "demo-python-defining-functions", "demo-python-arguments"]
E2E_SETTINGS = {"SSE_PING_SECONDS": "2"}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """A failed browser test shows the end of its web server's log (a stalled or failing
    request says why there, not in the browser's timeout)."""
    report = yield
    if report.failed:
        servers = {id(value): value for value in getattr(item, "funcargs", {}).values()
                   if isinstance(value, WebServer)}
        for server in servers.values():
            report.sections.append((f"{server.name} log (end)", server.log()[-4000:]))
    return report


@pytest.fixture(scope="session")
def playwright_session() -> Iterator[Any]:
    """One Playwright for the run: its sync API refuses a second one while one is running,
    so every browser (``browser``, ``lti_browser`` with its own flags) comes from this."""
    require(Path(CHROMIUM).exists(), f"Debian chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_session: Any) -> Iterator[Any]:
    instance = playwright_session.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield instance
    instance.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core from the npm registry, installed into a test-only folder when missing."""
    if not AXE_JS.exists() and shutil.which("npm"):
        subprocess.run(["npm", "install", "--prefix", str(NODE_DIR), "--no-audit", "--no-fund",
                        "--silent", "axe-core@4"], check=False, timeout=300)
    require(AXE_JS.exists(), f"axe-core (npm install --prefix {NODE_DIR} axe-core)")
    return AXE_JS.read_text()


@pytest.fixture(scope="session")
def embedded_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    """The embedded default (a temp SQLite file, eager tasks), demo catalog seeded."""
    url = f"sqlite:///{tmp_path_factory.mktemp('e2e-embedded') / 'e2e.db'}"
    migrate(url)
    server = WebServer({"DATABASE_URL": url, **E2E_SETTINGS}, name="e2e-web-embedded")
    yield server.seed_demo().start()
    server.stop()


@pytest.fixture(scope="session")
def services_server() -> Iterator[WebServer]:
    """PostgreSQL + Redis + a real Celery worker; required under CI=true."""
    with fresh_database() as url:
        settings = {"DATABASE_URL": url, "TASKS_EAGER": "false", **redis_settings(),
                    **E2E_SETTINGS}
        server = WebServer(settings, name="e2e-web-services").seed_demo()
        worker = Worker(server.settings, concurrency=1, name="e2e").start()
        try:
            yield server.start()
        finally:
            server.stop()
            worker.stop()


@pytest.fixture(params=["embedded", "services"])
def any_server(request: pytest.FixtureRequest) -> WebServer:
    """The toast test's deployments: the embedded default and the real services."""
    return request.getfixturevalue(f"{request.param}_server")


@pytest.fixture
def server(embedded_server: WebServer) -> WebServer:
    return embedded_server


@pytest.fixture(autouse=True)
def badges_stay_in_their_test(request: pytest.FixtureRequest) -> Iterator[None]:
    """The embedded server is shared by a whole test process: a badge a test publishes
    (on the demo modules) would be earned in every later test's toasts and counts. What
    a test published is archived when it ends: it awards nothing more."""
    if not {"server", "embedded_server"} & set(request.fixturenames):
        yield
        return
    shared: WebServer = request.getfixturevalue("embedded_server")
    before = published_badges(shared)
    yield
    archive_badges(shared, published_badges(shared) - before)


def published_badges(server: WebServer) -> set[str]:
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Badge

    with server.app.app_context():
        keys = set(db.session.scalars(select(Badge.key).where(Badge.status == "published")))
        db.session.remove()
        return keys


def archive_badges(server: WebServer, keys: set[str]) -> None:
    from app.extensions import db
    from app.services.accounts.principal import Principal
    from app.services.badges import archive_badge

    with server.app.app_context():
        for key in sorted(keys):
            archive_badge(Principal(kind="admin", id=0, name="e2e cleanup"), key)
        db.session.remove()


@pytest.fixture
def learner(server: WebServer) -> dict[str, Any]:
    return server.new_learner()


@pytest.fixture
def new_context(browser: Any) -> Iterator[Callable[..., Any]]:
    contexts: list[Any] = []

    def make(base_url: str, **options: Any) -> Any:
        context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900},
                                      **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def log_in(page: Any, learner: dict[str, Any]) -> Any:
    page.goto("/login")
    page.get_by_label("Email").fill(learner["email"])
    page.get_by_label("Password").fill(learner["password"])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")
    wait_live(page)
    return page


def wait_live(page: Any) -> None:
    """The page's EventSource is open (live.js marks <html data-live="open">)."""
    wait_js(page, "document.documentElement.dataset.live === 'open'")


def wait_js(page: Any, expression: str, timeout: float = 10.0) -> None:
    """Poll a JavaScript condition until it holds. Playwright's ``wait_for_function``
    polls by ``eval`` inside the page, which the pages' CSP (no 'unsafe-eval') refuses;
    ``evaluate`` goes through the debugging protocol instead."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{expression!r} still false after {timeout} s")
        page.wait_for_timeout(50)


@pytest.fixture
def logged_in(server: WebServer, learner: dict[str, Any],
              new_context: Callable[..., Any]) -> Any:
    """A page of a fresh learner, logged in on the dashboard with the stream open."""
    return log_in(new_context(server.url).new_page(), learner)


@pytest.fixture
def proxy(server: WebServer) -> Iterator[DroppingProxy]:
    instance = DroppingProxy(server.port).start()
    yield instance
    instance.stop()


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=name != "toast")
    return path


def run_axe(page: Any, axe_source: str) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations on the current page (WCAG 2.x A/AA)."""
    # A form's redirect can show the awaited element before the stylesheet arrives; unstyled,
    # every link is a small target (target-size failed so under a loaded CI run).
    page.wait_for_load_state("load")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the debugging protocol: the pages' CSP refuses inline scripts,
        # so an injected <script> tag would not run (and must not: that is the policy).
        page.evaluate(axe_source)
    # A toast carried over from the previous page fades in; axe would measure the
    # contrast of its half-transparent first frames. Let entrances finish (capped).
    page.evaluate("""() => Promise.race([
        Promise.all(document.getAnimations().map(a => a.finished.catch(() => null))),
        new Promise(done => setTimeout(done, 1500))])""")
    result = page.evaluate("""() => axe.run(document, {runOnly: {type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}})""")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]

