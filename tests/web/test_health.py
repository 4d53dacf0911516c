"""/healthz answers while the process lives; /readyz checks the database and Redis."""

from __future__ import annotations

import pytest


def test_healthz_is_ok(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json()["status"] == "ok"


def test_readyz_checks_only_the_database_when_embedded(client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200 and response.get_json()["checks"] == {"database": "ok"}


def test_readyz_is_503_problem_when_redis_is_unreachable(app, client) -> None:
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    response = client.get("/readyz")
    assert response.status_code == 503 and response.mimetype == "application/problem+json"
    assert response.get_json()["checks"]["redis"] != "ok"


@pytest.mark.integration
def test_readyz_with_real_postgres_and_redis(services_app) -> None:
    response = services_app.test_client().get("/readyz")
    assert response.status_code == 200, response.data
    assert response.get_json()["checks"] == {"database": "ok", "redis": "ok"}
