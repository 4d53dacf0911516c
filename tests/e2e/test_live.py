"""Live celebrations in a real browser: toasts without reload, in every tab, resumed once."""

from __future__ import annotations

import time
from typing import Any

from tests.e2e.conftest import DEMO_MODULES, log_in, screenshot, wait_js, wait_live
from tests.support.web_server import WebServer

TOAST = "#toasts .toast"


def toast_ids(page: Any) -> list[int]:
    """Award ids celebrated on this page, one entry per celebration."""
    return page.evaluate("window.achievementsLive.celebrated")


def test_foundation_complete_a_module_and_see_toast_and_list(logged_in: Any) -> None:
    page = logged_in
    page.evaluate("window.__sameDocument = true")
    page.get_by_role("button", name="Complete “Variables”").click()

    toast = page.locator(TOAST).first
    toast.wait_for(state="visible", timeout=2000)
    assert "new achievements" in toast.inner_text() or "Variables" in toast.inner_text()
    card = page.locator("#achievement-list [data-type='module_complete']")
    card.wait_for(timeout=5000)
    assert "Variables" in card.inner_text()
    page.locator("#milestones", has_text="streak 1 of 3 days").wait_for(timeout=5000)
    assert page.evaluate("window.__sameDocument") is True  # no reload happened


def test_toast_appears_within_two_seconds_without_reload(any_server: WebServer,
                                                         new_context: Any) -> None:
    learner = any_server.new_learner()
    page = log_in(new_context(any_server.url).new_page(), learner)
    page.goto("/learn/demo-python")
    wait_live(page)
    page.evaluate("window.__sameDocument = true")

    started = time.monotonic()
    page.get_by_role("button", name="Mark “Variables” complete").click()
    page.locator(TOAST).first.wait_for(state="visible", timeout=2000)
    elapsed = time.monotonic() - started

    assert elapsed < 2.0
    assert page.evaluate("window.__sameDocument") is True
    assert page.get_by_role("button", name="Completed ✓").is_visible()


def test_awards_arriving_together_are_one_summary_toast_announced_once(
        server: WebServer, learner: dict[str, Any], logged_in: Any) -> None:
    page = logged_in
    server.complete_module(learner["id"], DEMO_MODULES[0])  # module_complete + 1st milestone

    toast = page.locator(TOAST)
    toast.first.wait_for(state="visible", timeout=2000)
    wait_js(page, "window.achievementsLive.celebrated.length >= 2")
    assert toast.count() == 1
    assert "2 new achievements" in toast.first.inner_text()
    wait_js(page, "document.getElementById('announcer').textContent.length > 0")
    assert page.evaluate("window.achievementsLive.announcements") == [
        page.locator("#announcer").text_content()]
    assert page.locator("#announcer").get_attribute("role") == "status"
    page.wait_for_timeout(1000)  # let the celebration settle for the picture
    screenshot(page, "toast")


def test_two_tabs_both_celebrate(server: WebServer, learner: dict[str, Any],
                                 logged_in: Any) -> None:
    first = logged_in
    second = first.context.new_page()
    second.goto(server.url + "/achievements")
    wait_live(second)

    server.complete_module(learner["id"], DEMO_MODULES[0])

    for page in (first, second):
        page.locator(TOAST).first.wait_for(state="visible", timeout=2000)
        wait_js(page, "window.achievementsLive.celebrated.length >= 2")
    assert sorted(toast_ids(first)) == sorted(toast_ids(second))


def test_dropped_stream_replays_missed_award_exactly_once(
        server: WebServer, learner: dict[str, Any], new_context: Any, proxy: Any) -> None:
    page = log_in(new_context(proxy.url).new_page(), learner)
    server.complete_module(learner["id"], DEMO_MODULES[0])
    wait_js(page, "window.achievementsLive.celebrated.length >= 2")
    before = toast_ids(page)
    reconnects: list[Any] = []
    page.on("request", lambda r: reconnects.append(r) if "/stream" in r.url else None)

    proxy.cut()  # the stream drops; the browser's reconnect is held at the proxy
    wait_js(page, "document.documentElement.dataset.live !== 'open'")
    server.complete_module(learner["id"], DEMO_MODULES[1])
    proxy.resume()

    wait_js(page, f"window.achievementsLive.celebrated.length > {len(before)}", timeout=15)
    page.wait_for_timeout(1500)  # anything duplicated would arrive by now
    after = toast_ids(page)
    assert len(after) == len(set(after)), after
    assert len(page.evaluate("window.achievementsLive.received")) == len(after)
    resumed_from = [r.all_headers().get("last-event-id") for r in reconnects]
    assert str(max(before)) in resumed_from  # resumed with Last-Event-ID = last award seen


def test_award_from_a_form_post_is_celebrated_on_the_next_page(logged_in: Any) -> None:
    page = logged_in
    page.goto("/learn/quiz/demo-python-final")
    wait_live(page)
    for question, answer in [("q1", 1), ("q2", 1), ("q3", 2), ("q4", 1), ("q5", 2)]:
        page.locator(f"#{question}-{answer}").check()
    page.get_by_role("button", name="Submit answers").click()

    page.wait_for_url("**/learn/quiz/demo-python-final?result=1")
    assert "You scored 5 of 5" in page.locator("#result-heading").inner_text()
    toast = page.locator(TOAST).first
    toast.wait_for(state="visible", timeout=3000)
    assert "new achievements" in toast.inner_text()  # high score + perfect score together
    assert sorted(page.evaluate("window.achievementsLive.celebrated")) == sorted(
        set(page.evaluate("window.achievementsLive.celebrated")))


def test_toast_is_keyboard_dismissible_and_never_steals_focus(
        server: WebServer, learner: dict[str, Any], logged_in: Any) -> None:
    page = logged_in
    page.get_by_role("link", name="History", exact=True).focus()
    server.complete_module(learner["id"], DEMO_MODULES[0])
    page.locator(TOAST).first.wait_for(state="visible", timeout=2000)
    assert page.evaluate("document.activeElement.textContent") == "History"

    page.keyboard.press("Escape")
    page.locator(TOAST).wait_for(state="detached", timeout=2000)

    server.complete_module(learner["id"], DEMO_MODULES[1])
    page.locator(TOAST).first.wait_for(state="visible", timeout=2000)
    page.locator(".toast__close").focus()
    page.keyboard.press("Enter")
    page.locator(TOAST).wait_for(state="detached", timeout=2000)


def test_auto_dismiss_pauses_while_hovered(server: WebServer, learner: dict[str, Any],
                                           logged_in: Any) -> None:
    page = logged_in
    # Long enough that the pointer reaches the toast before it expires on a busy machine.
    page.evaluate("document.body.dataset.toastMs = '3000'")
    server.complete_module(learner["id"], DEMO_MODULES[0])
    toast = page.locator(TOAST).first
    toast.wait_for(state="visible", timeout=2000)
    toast.hover()
    page.wait_for_timeout(3500)
    assert toast.is_visible()
    assert "is-paused" in (toast.get_attribute("class") or "")
    page.mouse.move(5, 5)
    page.locator(TOAST).wait_for(state="detached", timeout=8000)


def test_reduced_motion_gets_the_calm_variant(server: WebServer, learner: dict[str, Any],
                                              new_context: Any) -> None:
    context = new_context(server.url, reduced_motion="reduce")
    page = log_in(context.new_page(), learner)
    server.complete_module(learner["id"], DEMO_MODULES[0])
    toast = page.locator(TOAST).first
    toast.wait_for(state="visible", timeout=2000)

    assert toast.get_attribute("data-motion") == "reduced"
    assert page.locator(".toast .confetti").count() == 0
    animation = toast.evaluate("t => getComputedStyle(t).animationName")
    assert animation in ("toast-fade", "none")
