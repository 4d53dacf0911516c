"""Every shipped language in a real browser: the dashboard and a live toast, screenshotted
into test-artifacts/ (dashboard-<locale>.png, toast-<locale>.png); Arabic right to left
passes the same axe scan as English."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import ARTIFACTS, DEMO_MODULES, run_axe, wait_live
from tests.support.web_server import WebServer

LANGUAGES = {
    # browser locale, <html lang>, dir, toast eyebrow for several awards, "N new achievements"
    "en": ("en-US", "ltr", "Congratulations!", {2: "2 new achievements", 3: "3 new achievements"}),
    "es": ("es-ES", "ltr", "¡Enhorabuena!", {2: "2 logros nuevos", 3: "3 logros nuevos"}),
    "de": ("de-DE", "ltr", "Herzlichen Glückwunsch!", {2: "2 neue Erfolge", 3: "3 neue Erfolge"}),
    "ar": ("ar-EG", "rtl", "تهانينا!", {2: "إنجازان جديدان", 3: "3 إنجازات جديدة"}),
}


def log_in_form(page: Any, learner: dict[str, Any]) -> None:
    """The log-in form by its fields, whatever language its labels are in."""
    page.goto("/login")
    page.fill("#email", learner["email"])
    page.fill("#password", learner["password"])
    page.click("form.stack button[type=submit]")
    page.wait_for_url("**/")
    wait_live(page)


@pytest.mark.parametrize("locale", list(LANGUAGES))
def test_dashboard_and_toast_in_each_language(server: WebServer, new_context: Any,
                                              axe_source: str, locale: str) -> None:
    browser_locale, direction, eyebrow, many = LANGUAGES[locale]
    learner = server.new_learner()
    # The browser locale sets Accept-Language; CSP bypassed only so axe can be injected.
    page = new_context(server.url, locale=browser_locale, bypass_csp=True).new_page()
    log_in_form(page, learner)
    assert page.evaluate("[document.documentElement.lang, document.dir]") == [locale, direction]
    for module in DEMO_MODULES[:2]:
        server.complete_module(learner["id"], module)
    page.reload()
    wait_live(page)
    server.complete_module(learner["id"], DEMO_MODULES[2])  # a module and its unit
    toast = page.locator("#toasts .toast").first
    toast.wait_for(state="visible", timeout=3000)
    page.wait_for_timeout(900)  # let the entrance finish for the picture
    count = len((toast.get_attribute("data-award-ids") or "").split(","))
    assert toast.locator(".toast__eyebrow").text_content() == eyebrow
    assert toast.locator(".toast__title").text_content() == many[count]
    ARTIFACTS.mkdir(exist_ok=True)
    toast.screenshot(path=str(ARTIFACTS / f"toast-{locale}.png"))
    page.screenshot(path=str(ARTIFACTS / f"dashboard-{locale}.png"), full_page=True)
    if direction == "rtl":
        box = toast.bounding_box()
        assert box["x"] < 1280 / 2, "an RTL toast sits at the inline end: the left"
        problems = {"/": run_axe(page, axe_source)}
        for path in ["/achievements", "/learn/demo-python", "/settings"]:
            page.goto(path)
            problems[path] = run_axe(page, axe_source)
        assert {path: found for path, found in problems.items() if found} == {}
