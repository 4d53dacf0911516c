"""Who may scrape a metrics port, and the port itself (served in process here; the
observability integration test scrapes the real worker, beat and gRPC processes)."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest
from sqlalchemy.exc import OperationalError

from app.infra.metrics.exposition import serve
from app.services import monitoring
from tests.support.services import free_port


def test_the_scope_decides(app, make_token) -> None:
    assert monitoring.bearer_access(app, None) == 401
    assert monitoring.bearer_access(app, "Basic abc") == 401
    assert monitoring.bearer_access(app, "Bearer ach_unknown") == 401
    assert monitoring.bearer_access(app, f"Bearer {make_token('achievements:read')}") == 403
    assert monitoring.bearer_access(app, f"Bearer {make_token('metrics:read')}") == 200


def test_a_database_outage_is_a_503_not_a_traceback(app, monkeypatch) -> None:
    def down(_app):
        raise OperationalError("SELECT", {}, Exception("connection refused"))

    monkeypatch.setattr(monitoring, "shared_cache", down)
    assert monitoring.bearer_access(app, "Bearer ach_x") == 503


def test_public_metrics_need_no_token(app, monkeypatch) -> None:
    monkeypatch.setattr(app.config["ACHIEVEMENTS_CONFIG"], "METRICS_PUBLIC", True)
    assert monitoring.bearer_access(app, None) == 200


@pytest.mark.parametrize(("path", "granted", "status"), [
    ("/metrics", 200, 200), ("/metrics", 401, 401), ("/metrics", 503, 503), ("/other", 200, 404),
])
def test_the_port_answers(path: str, granted: int, status: int) -> None:
    port = free_port()
    endpoint = serve("127.0.0.1", port, lambda header: granted)
    try:
        url = f"http://127.0.0.1:{port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=5) as reply:
                got, body = reply.status, reply.read()
        except urllib.error.HTTPError as exc:
            got, body = exc.code, exc.read()
        assert got == status
        assert (b"# HELP" in body) == (status == 200)
    finally:
        endpoint.shutdown()
