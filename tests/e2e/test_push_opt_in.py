"""Push opt-in in a real browser (issue 27.4, 27.7): Settings' Notifications section at 1280
and 375 px, axe-clean; "Turn on push on this device" registers the service worker, asks for
permission, subscribes with our VAPID key and the server keeps the subscription; turning it
off removes it. Headless Chromium cannot reach its vendor's push service offline, so only
``PushManager.subscribe`` is stood in for (the encrypted delivery itself is tested against a
local push service in tests/services/notifications/test_push.py)."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from sqlalchemy import select

from tests.e2e.conftest import run_axe, screenshot

pytestmark = pytest.mark.e2e

STAND_IN = """
(() => {
  let current = null;
  PushManager.prototype.subscribe = async function (options) {
    const key = new Uint8Array(options.applicationServerKey);
    window.__pushKey = btoa(String.fromCharCode(...key));
    current = {
      endpoint: "https://push.example/e2e-" + Math.random().toString(16).slice(2),
      toJSON() {
        return { endpoint: this.endpoint,
                 keys: { p256dh: "BP" + "A".repeat(85), auth: "c2VjcmV0c2VjcmV0" } };
      },
      async unsubscribe() { current = null; return true; },
    };
    return current;
  };
  PushManager.prototype.getSubscription = async function () { return current; };
})();
"""


def subscriptions(server: Any, user_id: int) -> list[str]:
    from app.models import PushSubscription

    with server.app.app_context():
        from app.extensions import db
        return list(db.session.scalars(select(PushSubscription.endpoint).where(
            PushSubscription.user_id == user_id)))


def test_push_opt_in_from_settings(server: Any, learner: dict[str, Any], new_context: Any,
                                   axe_source: str) -> None:
    from tests.e2e.conftest import log_in

    context = new_context(server.url)
    context.grant_permissions(["notifications"])
    context.add_init_script(STAND_IN)
    page = log_in(context.new_page(), learner)
    page.goto("/settings#notifications")
    toggle = page.get_by_role("button", name="Turn on push on this device")
    toggle.wait_for()
    assert page.get_by_label("Badges you earn: Email").is_checked()
    assert not page.get_by_label("A weekly summary: Email").is_checked()
    assert run_axe(page, axe_source) == []
    screenshot(page, "settings-notifications-1280")
    page.set_viewport_size({"width": 375, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth <= 375")
    screenshot(page, "settings-notifications-375")
    page.set_viewport_size({"width": 1280, "height": 900})

    toggle.click()
    page.locator(".push-status", has_text="on for this device").wait_for()
    [endpoint] = subscriptions(server, learner["id"])
    assert endpoint.startswith("https://push.example/e2e-")
    key = page.evaluate("window.__pushKey")
    shown = page.locator(".push-device").get_attribute("data-push-key")
    assert base64.b64decode(key) == base64.urlsafe_b64decode(shown + "==")

    page.get_by_role("button", name="Turn off push on this device").click()
    page.locator(".push-status", has_text="off for this device").wait_for()
    assert subscriptions(server, learner["id"]) == []
