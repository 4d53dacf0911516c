"""Email senders behind one ``send`` interface: SMTP (smtplib) and the console.

Which one: ``ACHIEVEMENTS_SMTP_HOST`` set -> SMTP; unset -> the console sender in the
embedded demo (each email printed to the log) and no email at all otherwise.

Errors the relay needs to tell apart: :class:`PermanentMailError` (the server refused
the recipient for good, 5xx) ends a notice as failed; anything else (connection refused,
timeouts, 4xx) is transient, and the notice waits and is tried again.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
import ssl
import threading
from email.message import Message
from typing import Protocol

from app.config import Config

log = logging.getLogger(__name__)


class PermanentMailError(Exception):
    """The server refused this message for good; sending it again cannot help."""


class Sender(Protocol):
    def send(self, message: Message) -> None:
        """Hand the message over; returns once the server took it (raises otherwise)."""


class ConsoleSender:
    """The demo's sender: the email, headers and plain text, in the log (nothing leaves)."""

    def send(self, message: Message) -> None:
        text = next((part.get_payload(decode=True) for part in message.walk()
                     if part.get_content_type() == "text/plain"), b"")
        log.warning("email (console, not sent)\nTo: %s\nSubject: %s\nMessage-ID: %s\n\n%s",
                    message["To"], message["Subject"], message["Message-ID"],
                    bytes(text or b"").decode("utf-8", "replace"))


class SmtpSender:
    """smtplib, one connection per thread kept open between messages (reopened once
    when the server dropped it)."""

    def __init__(self, settings: Config) -> None:
        self.settings = settings
        self._local = threading.local()

    def send(self, message: Message) -> None:
        try:
            self._send_once(message)
        except smtplib.SMTPServerDisconnected:
            self._close()
            self._send_once(message)
        except smtplib.SMTPRecipientsRefused as exc:
            self._reset()
            codes = [code for code, _ in exc.recipients.values()]
            if codes and all(500 <= code < 600 for code in codes):
                raise PermanentMailError(str(exc.recipients)) from exc
            raise
        except smtplib.SMTPResponseException as exc:
            self._reset()
            if exc.smtp_code in (550, 551, 553, 554) and not isinstance(
                    exc, smtplib.SMTPSenderRefused):
                raise PermanentMailError(f"{exc.smtp_code} {exc.smtp_error!r}") from exc
            raise
        except OSError:
            self._close()
            raise

    def _send_once(self, message: Message) -> None:
        self._connection().send_message(message)

    def _connection(self) -> smtplib.SMTP:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._connect()
            self._local.connection = connection
        return connection

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        host, port, timeout = s.SMTP_HOST or "", s.SMTP_PORT, s.SMTP_TIMEOUT_SECONDS
        if s.SMTP_SECURITY == "tls":
            connection: smtplib.SMTP = smtplib.SMTP_SSL(
                host, port, timeout=timeout, context=ssl.create_default_context())
        else:
            connection = smtplib.SMTP(host, port, timeout=timeout)
            if s.SMTP_SECURITY == "starttls":
                connection.starttls(context=ssl.create_default_context())
        if s.SMTP_USER:
            connection.login(s.SMTP_USER, s.SMTP_PASSWORD or "")
        return connection

    def _reset(self) -> None:
        """After a refusal the session is mid-transaction: RSET, or drop it."""
        try:
            self._connection().rset()
        except (smtplib.SMTPException, OSError):
            self._close()

    def _close(self) -> None:
        connection = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is not None:
            with contextlib.suppress(OSError):
                connection.close()


_senders: dict[tuple[object, ...], Sender | None] = {}


def mail_sender(settings: Config) -> Sender | None:
    """The sender these settings name (one per distinct SMTP setup), None when email is off."""
    key = (settings.SMTP_HOST, settings.SMTP_PORT, settings.SMTP_SECURITY, settings.SMTP_USER,
           settings.SMTP_PASSWORD, settings.SMTP_TIMEOUT_SECONDS, settings.embedded)
    if key not in _senders:
        if settings.SMTP_HOST:
            _senders[key] = SmtpSender(settings)
        else:
            _senders[key] = ConsoleSender() if settings.embedded else None
    return _senders[key]
