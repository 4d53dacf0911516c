"""HTTP clients of the web app for benchmarks: the real login form, and an SSE reader."""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from common import in_thread


def login(base_url: str, email: str, password: str) -> Any:
    """A ``requests`` session logged in through the real form (CSRF token included)."""
    import re

    import requests

    session = requests.Session()
    page = session.get(f"{base_url}/login", timeout=10).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    data = {"email": email, "password": password, "csrf_token": token.group(1) if token else ""}
    response = session.post(f"{base_url}/login", data=data, allow_redirects=False, timeout=10)
    if response.status_code != 302:
        raise RuntimeError(f"login failed for {email}: {response.status_code}")
    return session


class SSEListener:
    """Reads ``/api/v1/achievements/stream`` over real HTTP in a thread.

    ``on_award(award, received_monotonic)`` is called for every achievement event.
    """

    def __init__(self, session: Any, base_url: str,
                 on_award: Callable[[dict[str, Any], float], None]) -> None:
        self.session = session
        self.url = f"{base_url}/api/v1/achievements/stream"
        self.on_award = on_award
        self.connected = threading.Event()
        self.stopped = threading.Event()
        self.thread = in_thread(self._run, "sse-listener")

    def _run(self) -> None:
        try:
            self._read()
        except Exception as exc:  # the server went away at the end of a run
            if not self.stopped.is_set():
                print(f"SSE listener failed: {exc!r}", file=sys.stderr)

    def _read(self) -> None:
        with self.session.get(self.url, stream=True, timeout=(5, 60)) as response:
            response.raise_for_status()
            data: str | None = None
            for line in response.iter_lines(chunk_size=None, decode_unicode=True):
                self.connected.set()
                if self.stopped.is_set():
                    return
                if line.startswith("data: "):
                    data = line[6:]
                elif line == "" and data is not None:
                    self.on_award(json.loads(data), time.monotonic())
                    data = None

    def stop(self) -> None:
        self.stopped.set()
