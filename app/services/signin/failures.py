"""One way to refuse a sign-in: a reason code the metrics and logs carry, a status for the
page. Nothing is created before a refusal: every check runs before the account rules."""

from __future__ import annotations

import logging

from app.infra.metrics import record

log = logging.getLogger("app.signin")


class SignInRefused(Exception):
    """``reason`` is a short stable code (``state``, ``issuer``, ``audience``, ...);
    ``detail`` what the log says; ``status`` 400 for a broken request, 401 for a
    credential that does not prove who the person is."""

    def __init__(self, protocol: str, reason: str, detail: str, status: int = 401) -> None:
        super().__init__(f"{protocol} sign-in refused ({reason}): {detail}")
        self.protocol, self.reason, self.detail, self.status = protocol, reason, detail, status


def refuse(protocol: str, reason: str, detail: str, status: int = 401) -> SignInRefused:
    """Log and count a refusal; the caller raises or renders what this returns."""
    log.warning("%s sign-in refused: %s (%s)", protocol, reason, detail)
    record.signin_refused(protocol, reason)
    return SignInRefused(protocol, reason, detail, status)
