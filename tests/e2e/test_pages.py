"""The learner pages in a real browser: history filters, keyboard use, axe, screenshots."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import DEMO_MODULES, log_in, run_axe, screenshot, wait_js, wait_live
from tests.support.web_server import WebServer


def earn_a_few(server: WebServer, learner: dict[str, Any], modules: int = 3) -> None:
    for module in DEMO_MODULES[:modules]:
        server.complete_module(learner["id"], module)


def test_history_filters_by_type(server: WebServer, learner: dict[str, Any],
                                 logged_in: Any) -> None:
    earn_a_few(server, learner)
    page = logged_in
    page.goto("/achievements")
    page.get_by_label("Type").select_option("milestone")
    page.get_by_role("button", name="Apply filters").click()

    page.wait_for_url("**/achievements?type=milestone*")
    types = page.locator("#history-list .award-card").evaluate_all(
        "cards => cards.map(c => c.dataset.type)")
    assert types == ["milestone"]
    assert page.get_by_role("heading", name="Milestone achievements").is_visible()
    screenshot(page, "history-filtered")


def test_history_filters_and_pages_without_javascript(server: WebServer, learner: dict[str, Any],
                                                      new_context: Any) -> None:
    earn_a_few(server, learner, modules=5)  # 5 modules + 2 units + milestone: 8 awards
    page = new_context(server.url, java_script_enabled=False).new_page()
    page.goto("/login")
    page.get_by_label("Email").fill(learner["email"])
    page.get_by_label("Password").fill(learner["password"])
    page.get_by_role("button", name="Log in").click()
    page.goto("/achievements?type=module_complete")
    assert page.locator("#history-list .award-card").count() == 5

    page.goto("/achievements")
    cards = page.locator("#history-list .award-card")
    first_page = cards.count()
    if page.get_by_role("link", name="Older achievements →").count():
        page.get_by_role("link", name="Older achievements →").click()
        assert first_page + cards.count() == 8
    else:
        assert first_page == 8


def test_keyboard_only_completes_a_module(logged_in: Any) -> None:
    page = logged_in
    page.goto("/learn/demo-python")
    wait_live(page)
    button = page.get_by_role("button", name="Mark “Variables” complete")
    for _ in range(40):  # tab until the button has focus, as a keyboard user would
        page.keyboard.press("Tab")
        if button.evaluate("b => b === document.activeElement"):
            break
    page.keyboard.press("Enter")
    page.locator("#toasts .toast").first.wait_for(state="visible", timeout=2000)
    assert page.evaluate("document.activeElement.textContent") == "Completed ✓"


def test_badge_detail_and_other_learners_award_is_not_found(
        server: WebServer, learner: dict[str, Any], logged_in: Any) -> None:
    earn_a_few(server, learner, modules=1)
    page = logged_in
    page.goto("/achievements?type=module_complete")
    page.locator("#history-list .award-card a").first.click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Module complete")
    award_url = page.url

    other = server.new_learner()
    stranger = log_in(page.context.browser.new_context(base_url=server.url).new_page(), other)
    response = stranger.goto(award_url)
    assert response is not None and response.status == 404
    stranger.context.close()


def test_every_page_passes_axe(server: WebServer, learner: dict[str, Any], new_context: Any,
                               axe_source: str) -> None:
    page = new_context(server.url).new_page()
    page.goto("/login")
    problems = {"/login": run_axe(page, axe_source)}
    log_in(page, learner)
    earn_a_few(server, learner, modules=2)
    page.reload()
    wait_live(page)
    server.complete_module(learner["id"], DEMO_MODULES[2])  # a module and its unit
    page.locator("#toasts .toast").first.wait_for(state="visible", timeout=3000)
    wait_js(page, "document.querySelectorAll('#achievement-list li').length >= 5")
    page.wait_for_timeout(1200)  # let the celebration settle for the picture
    problems["/ (with a toast)"] = run_axe(page, axe_source)
    screenshot(page, "dashboard")
    award_id = page.locator("#achievement-list .award-card").first.get_attribute("data-award-id")
    for path in ["/", "/achievements", "/achievements?type=milestone&from=2000-01-01",
                 f"/achievements/{award_id}", "/learn", "/learn/demo-python",
                 "/learn/quiz/demo-python-final", "/achievements/999999"]:
        page.goto(path)
        problems[path] = run_axe(page, axe_source)
        if path == "/achievements":
            screenshot(page, "history")
        if path == f"/achievements/{award_id}":
            screenshot(page, "badge-detail")
        if path == "/learn/demo-python":
            screenshot(page, "course-player")
    assert {path: found for path, found in problems.items() if found} == {}
