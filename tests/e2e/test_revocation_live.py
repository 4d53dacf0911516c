"""Revocation shown to its learner in a real browser (issue 27.1): an open dashboard drops
the badge with a notice naming the reason, a restore brings it back, a page that was
disconnected learns of it on reconnect; the revoked badge's own page and the history's
"Show revoked" filter, at 1280 and 375 px."""

from __future__ import annotations

from typing import Any

from app.services.awarding.revocation import restore_award, revoke_award
from tests.e2e.conftest import DEMO_MODULES, log_in, screenshot, wait_js, wait_live
from tests.support.web_server import WebServer

NOTICE = "#toasts .toast--notice"


def first_module_award(server: WebServer, page: Any, learner: dict[str, Any]) -> int:
    """Complete the first module and wait for its card on the dashboard; its award id."""
    server.complete_module(learner["id"], DEMO_MODULES[0])
    card = page.locator("#achievement-list [data-type='module_complete']")
    card.wait_for(timeout=10_000)
    return int(card.get_attribute("data-award-id"))


def dismiss_toasts(page: Any) -> None:
    """Toasts carried over from the previous page, out of the full-page pictures."""
    while page.locator("#toasts .toast:not(.is-leaving)").count():
        page.keyboard.press("Escape")
    page.locator("#toasts .toast").first.wait_for(state="detached", timeout=3000)


def revoke(server: WebServer, award_id: int, reason: str) -> None:
    with server.app.app_context():
        revoke_award(award_id, reason, "admin tests")


def restore(server: WebServer, award_id: int) -> None:
    with server.app.app_context():
        restore_award(award_id, "admin tests")


def test_an_open_dashboard_drops_a_revoked_badge_and_gets_it_back(any_server: WebServer,
                                                                  new_context: Any) -> None:
    learner = any_server.new_learner()
    page = log_in(new_context(any_server.url).new_page(), learner)
    award_id = first_module_award(any_server, page, learner)
    page.evaluate("window.__sameDocument = true")
    card = f"#achievement-list [data-award-id='{award_id}']"

    revoke(any_server, award_id, "The quiz was answered by someone else")
    notice = page.locator(f"{NOTICE}.toast--revoked")
    notice.wait_for(state="visible", timeout=10_000)
    assert "The quiz was answered by someone else" in notice.inner_text()
    page.locator(card).wait_for(state="detached", timeout=5000)
    wait_js(page, "document.getElementById('announcer').textContent.includes('revoked')")
    page.wait_for_timeout(600)  # the entrance settles for the picture
    screenshot(page, "revocation-notice-1280")

    restore(any_server, award_id)
    page.locator(f"{NOTICE}.toast--restored").wait_for(state="visible", timeout=10_000)
    page.locator(card).wait_for(timeout=5000)
    assert page.evaluate("window.__sameDocument") is True  # no reload happened


def test_a_disconnected_page_learns_of_the_revocation_on_reconnect(
        server: WebServer, learner: dict[str, Any], new_context: Any, proxy: Any) -> None:
    page = log_in(new_context(proxy.url).new_page(), learner)
    award_id = first_module_award(server, page, learner)
    proxy.cut()  # the stream drops; the browser's reconnect is held at the proxy
    wait_js(page, "document.documentElement.dataset.live !== 'open'")
    revoke(server, award_id, "Revoked while you were away")
    proxy.resume()
    page.locator(f"{NOTICE}.toast--revoked").wait_for(state="visible", timeout=15_000)
    assert page.locator(f"#achievement-list [data-award-id='{award_id}']").count() == 0
    page.wait_for_timeout(1500)  # a repeat would arrive by now
    changes = page.evaluate("window.achievementsLive.changes")
    assert [c["award"] for c in changes] == [award_id]


def test_the_revoked_badge_page_and_history_filter_on_a_phone(
        server: WebServer, learner: dict[str, Any], new_context: Any) -> None:
    page = log_in(new_context(server.url).new_page(), learner)
    award_id = first_module_award(server, page, learner)
    revoke(server, award_id, "Awarded by mistake")
    page.locator(f"{NOTICE}.toast--revoked").wait_for(state="visible", timeout=10_000)

    page.goto(f"/achievements/{award_id}")
    dismiss_toasts(page)
    assert "Revoked on" in page.locator("#revoked-notice").inner_text()
    assert "Awarded by mistake" in page.locator("#revoked-notice").inner_text()
    screenshot(page, "revoked-badge-page-1280")
    page.set_viewport_size({"width": 375, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth <= 375")
    screenshot(page, "revoked-badge-page-375")

    page.goto("/achievements")
    assert page.locator(f"[data-award-id='{award_id}']").count() == 0
    page.get_by_label("Show revoked").check()
    page.get_by_role("button", name="Apply filters").click()
    page.locator(f"#history-list [data-award-id='{award_id}']").wait_for()
    dismiss_toasts(page)
    assert page.evaluate("document.documentElement.scrollWidth <= 375")
    screenshot(page, "history-show-revoked-375")
    page.set_viewport_size({"width": 1280, "height": 900})
    screenshot(page, "history-show-revoked-1280")


def test_a_second_history_page_adds_the_new_row_live(server: WebServer,
                                                     learner: dict[str, Any],
                                                     new_context: Any) -> None:
    context = new_context(server.url)
    page = log_in(context.new_page(), learner)
    history = context.new_page()
    history.goto(server.url + "/achievements")
    wait_live(history)
    server.complete_module(learner["id"], DEMO_MODULES[0])
    history.locator("#history-list [data-type='module_complete']").wait_for(timeout=10_000)
    assert history.locator("#history-empty").count() == 0
    page.close()


def test_the_toast_never_covers_a_button_of_the_page(server: WebServer,
                                                     learner: dict[str, Any],
                                                     new_context: Any) -> None:
    context = new_context(server.url)
    page = log_in(context.new_page(), learner)
    page.set_viewport_size({"width": 375, "height": 700})
    page.goto("/learn/demo-python")
    wait_live(page)
    server.complete_module(learner["id"], DEMO_MODULES[0])
    page.locator("#toasts .toast").first.wait_for(state="visible", timeout=5000)
    page.wait_for_timeout(600)
    covered = page.evaluate("""() => {
        const toasts = [...document.querySelectorAll('#toasts .toast')]
          .map(t => t.getBoundingClientRect());
        return [...document.querySelectorAll('main button, main .button')].filter(c => {
          const r = c.getBoundingClientRect();
          return r.width && toasts.some(b => r.left < b.right && b.left < r.right &&
                                              r.top < b.bottom && b.top < r.bottom);
        }).map(c => c.textContent.trim());
    }""")
    screenshot(page, "toast-clear-of-buttons-375")
    assert covered == []
