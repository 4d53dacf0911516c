"""What a log line and a metric need to know about the call being served: its request id
and the transport it came in on.

Set by each transport at the edge (web before each request, gRPC per call, a Celery task
from its headers); read by :mod:`app.infra.logs` and :mod:`app.infra.metrics`. Context
variables, so each thread, greenlet and task sees its own.
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

REQUEST_ID_HEADER = "X-Request-ID"
_SAFE_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
transport: ContextVar[str] = ContextVar("transport", default="internal")


def accepted_request_id(offered: str | None) -> str:
    """The caller's id when it is short and plain (it will be logged and stored), else a new one."""
    if offered and _SAFE_ID.fullmatch(offered):
        return offered
    return uuid.uuid4().hex

