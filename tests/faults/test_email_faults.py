"""Email under faults, with real processes (PostgreSQL, Redis, Celery worker and beat):
the SMTP server down then up, and the worker SIGKILLed in the middle of a send. Either
way every notice is sent, and no Message-ID arrives twice."""

from __future__ import annotations

import os
import signal
import threading
from datetime import UTC, datetime

import psycopg
from aiosmtpd.controller import Controller

from app.services.accounts import create_user
from tests.services.awarding.conftest import record
from tests.services.notifications.conftest import Inbox, free_port
from tests.support.catalog import build_catalog
from tests.support.services import wait_for

WHEN = datetime(2024, 5, 1, 9, tzinfo=UTC)


class SlowInbox(Inbox):
    """Holds the first sender in MAIL FROM until released: a send caught in the middle."""

    def __init__(self) -> None:
        super().__init__()
        self.entered, self.release = threading.Event(), threading.Event()

    async def handle_MAIL(self, server, session, envelope, address, options):
        if not self.entered.is_set():
            self.entered.set()
            while not self.release.is_set():
                import asyncio
                await asyncio.sleep(0.05)
            return "421 going away"
        envelope.mail_from = address
        return "250 OK"


def email_settings(settings: dict[str, str], port: int) -> None:
    settings.update({"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port),
                     "MAIL_FROM": "badges@school.example", "NOTIFY_COALESCE_SECONDS": "0",
                     "NOTIFY_RELAY_INTERVAL_SECONDS": "1", "NOTIFY_LEASE_SECONDS": "3",
                     "SMTP_TIMEOUT_SECONDS": "5"})


def learners_progress(count: int) -> None:
    build_catalog("c1", units=1, modules=2)
    for n in range(count):
        user = create_user(f"mail{n}@example.com", "password123", "learner", "UTC")
        record(user, "module_completed", WHEN, module="c1-u1-m1")


def rows(pg_url: str) -> list[tuple[str, str | None]]:
    with psycopg.connect(pg_url.replace("+psycopg", "")) as connection:
        return connection.execute("SELECT status, message_id FROM notifications "
                                  "WHERE channel = 'email'").fetchall()


def all_sent(pg_url: str, count: int) -> bool:
    found = rows(pg_url)
    return len(found) == count and all(status == "sent" for status, _ in found)


def assert_each_once(inbox: Inbox, pg_url: str) -> None:
    received = [m["Message-ID"] for m in inbox.messages]
    assert len(received) == len(set(received)), "a Message-ID arrived twice"
    assert set(received) == {mid for _, mid in rows(pg_url)}


def test_smtp_down_then_up_delays_and_sends_each_email_once(services_app, service_settings,
                                                            pg_url, start_worker, beat) -> None:
    port = free_port()  # nothing listens here yet
    email_settings(service_settings, port)
    start_worker(name="mailer")
    learners_progress(4)
    # a learner's module and milestone: one notice naming both
    wait_for(lambda: any(mid for _, mid in rows(pg_url)) and len(rows(pg_url)) == 4,
             timeout=30, what="emails claimed and failing")
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        wait_for(lambda: all_sent(pg_url, 4), timeout=60, what="every email sent")
        assert_each_once(inbox, pg_url)
    finally:
        controller.stop()


def test_worker_killed_mid_send_loses_and_doubles_nothing(services_app, service_settings,
                                                          pg_url, start_worker, beat) -> None:
    inbox, port = SlowInbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    email_settings(service_settings, port)
    try:
        doomed = start_worker(name="doomed")
        learners_progress(3)
        assert inbox.entered.wait(30), "no send began"
        os.kill(doomed.pid, signal.SIGKILL)
        doomed.process.wait()  # type: ignore[union-attr]
        inbox.release.set()
        start_worker(name="replacement")
        wait_for(lambda: all_sent(pg_url, 3), timeout=60, what="every email sent")
        assert_each_once(inbox, pg_url)
    finally:
        controller.stop()
