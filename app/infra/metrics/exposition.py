"""The scrape: this role's series (merged across its processes) plus scrape-time ones, as
Prometheus text, and a small HTTP server for roles that serve no HTTP of their own."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from http import HTTPStatus
from socketserver import ThreadingMixIn
from typing import Any, Protocol
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from app.infra.metrics.processes import multiprocess_dir

CONTENT_TYPE = CONTENT_TYPE_LATEST
# The answer for a scrape's Authorization header: 200 (may scrape), 401, 403 or 503.
Access = Callable[[str | None], int]


class _Merged:
    """What ``generate_latest`` needs: something to ``collect()`` from."""

    def __init__(self, parts: Iterable[Collector]) -> None:
        self.parts = list(parts)

    def collect(self) -> Iterator[Any]:
        for part in self.parts:
            yield from part.collect()


def scrape(extra: Iterable[Collector] = ()) -> bytes:
    """The Prometheus text of this role: every process's files in multi-process mode
    (a fresh read each scrape), this process's registry otherwise; then ``extra``."""
    path = multiprocess_dir()
    base: Collector = MultiProcessCollector(None, path=path) if path else REGISTRY
    return generate_latest(_Merged([base, *extra]))  # type: ignore[arg-type]


class Endpoint(Protocol):
    def shutdown(self) -> None: ...


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass  # scrapes every 15 s would drown the process's own log


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


def serve(host: str, port: int, access: Access) -> Endpoint:
    """``GET /metrics`` on ``host:port`` from a daemon thread, guarded by ``access``."""

    def answer(environ: dict[str, Any], start: Callable[..., Any]) -> list[bytes]:
        if environ.get("PATH_INFO") != "/metrics":
            start("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found: GET /metrics\n"]
        status = access(environ.get("HTTP_AUTHORIZATION"))
        if status != 200:
            start(f"{status} {HTTPStatus(status).phrase}",
                  [("Content-Type", "text/plain"), ("WWW-Authenticate", "Bearer")])
            return [b"a bearer token with the metrics:read scope is required\n" if status < 500
                    else b"the token cannot be checked now (database unavailable)\n"]
        body = scrape()
        start("200 OK", [("Content-Type", CONTENT_TYPE), ("Content-Length", str(len(body)))])
        return [body]

    server = make_server(host, port, answer, _ThreadingServer, handler_class=_Quiet)
    threading.Thread(target=server.serve_forever, name=f"metrics:{port}", daemon=True).start()
    return server
