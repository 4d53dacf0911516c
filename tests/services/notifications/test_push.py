"""Web Push against a local push service that records what it receives and decrypts it
with the subscription's keys (the proof the payload is encrypted to that browser)."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select

from app.extensions import db
from app.models import Notification, PushSubscription
from app.services.notifications.settings import subscribe_push
from tests.services.awarding.conftest import record

WHEN = datetime(2024, 5, 1, 9, tzinfo=UTC)


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class PushService:
    """Answers every POST with ``status`` and keeps (headers, body)."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.status = 201
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                service.received.append((dict(self.headers), body))
                self.send_response(service.status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/push/"


@pytest.fixture
def push_service() -> Iterator[PushService]:
    service = PushService()
    thread = threading.Thread(target=service.server.serve_forever, daemon=True)
    thread.start()
    yield service
    service.server.shutdown()


@pytest.fixture
def browser_keys(learner, push_service):
    """A browser's subscription: its ECDH key pair and auth secret, registered."""
    private = ec.generate_private_key(ec.SECP256R1())
    public = private.public_key().public_bytes(serialization.Encoding.X962,
                                               serialization.PublicFormat.UncompressedPoint)
    auth = b"0123456789abcdef"
    subscribe_push(learner.id, {"endpoint": push_service.url + "abc",
                                "keys": {"p256dh": b64(public), "auth": b64(auth)}})
    return private, auth


def test_an_award_is_pushed_encrypted_to_the_subscription(catalog, learner, push_service,
                                                          browser_keys) -> None:
    record(learner, "module_completed", WHEN, module="c1-u1-m1")
    [(headers, body)] = push_service.received
    private, auth = browser_keys
    payload = json.loads(http_ece.decrypt(body, private_key=private, auth_secret=auth,
                                          version="aes128gcm"))
    assert payload["title"] == "You earned 2 badges"
    assert "Module complete" in payload["body"]
    headers = {k.lower(): v for k, v in headers.items()}
    assert headers["authorization"].startswith("vapid t=") and len(headers["topic"]) == 32
    statuses = db.session.scalars(select(Notification.status).where(
        Notification.channel == "push")).all()
    assert statuses == ["sent"]  # one notice names the act's two awards


def test_a_gone_subscription_is_deleted(catalog, learner, push_service, browser_keys) -> None:
    push_service.status = 410
    record(learner, "module_completed", WHEN, module="c1-u1-m1")
    assert len(push_service.received) == 1
    assert db.session.query(PushSubscription).count() == 0


def test_settings_page_offers_push_with_the_vapid_key(client, learner) -> None:
    client.post("/login", data={"email": learner.email, "password": "password123"})
    page = client.get("/settings").get_data(as_text=True)
    key = page.split('data-push-key="')[1].split('"')[0]
    assert len(base64.urlsafe_b64decode(key + "==")) == 65  # an uncompressed P-256 point
    assert client.get("/settings").get_data(as_text=True).count(key) == 1  # kept, not remade
    assert client.get("/static/push-sw.js").status_code == 200


def test_the_browser_subscribes_and_unsubscribes(client, learner) -> None:
    client.post("/login", data={"email": learner.email, "password": "password123"})
    body = {"endpoint": "https://push.example/x", "keys": {"p256dh": "k", "auth": "a"}}
    assert client.post("/settings/push", json=body).status_code == 201
    assert client.post("/settings/push", json=body).status_code == 201  # unique by endpoint
    assert db.session.query(PushSubscription).count() == 1
    assert client.post("/settings/push", json={"endpoint": "x"}).status_code == 400
    client.post("/settings/push/remove", json={"endpoint": "https://push.example/x"})
    assert db.session.query(PushSubscription).count() == 0


def test_a_push_names_the_listed_awards_and_counts_the_rest(app) -> None:
    """A push service takes 4 KB: a burst's push names the awards its email lists, then
    how many more, in the learner's language."""
    from flask_babel import force_locale

    from app.services.delivery.push import payload

    context = {"kind": "award", "public_url": "https://school.example", "count": 13,
               "more": 3, "awards": [{"title": f"Badge {n}", "url": f"/a/{n}"}
                                     for n in range(10)]}
    with app.test_request_context(), force_locale("de"):
        body = payload(context)
    assert body["body"] == ", ".join(f"Badge {n}" for n in range(10)) + ", 3 weitere"
    assert body["title"] == "Du hast 13 Abzeichen erhalten"
    assert body["url"] == "https://school.example/"
