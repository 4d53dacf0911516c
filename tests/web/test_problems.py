"""Every error is application/problem+json with type, title, status and detail; bad input
stores nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import ProgressEvent

URL = "/api/v1/progress-events"


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.data
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert body["status"] == status and body["title"] and body["detail"]
    assert body["type"].startswith("https://")
    return body


def nothing_stored() -> bool:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(ProgressEvent)) == 0


def test_unknown_api_route_is_404(client) -> None:
    assert_problem(client.get("/api/v1/nope"), 404)


def test_unknown_page_is_404(client) -> None:
    assert_problem(client.get("/definitely/not/here"), 404)


def test_wrong_method_is_405_with_allow(client) -> None:
    response = client.delete("/api/v1/achievements")
    assert_problem(response, 405)
    assert "GET" in response.headers["Allow"]


def test_no_credentials_is_401_with_challenge(client) -> None:
    response = client.get("/api/v1/achievements")
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_missing_scope_is_403(client, people, token_headers) -> None:
    assert_problem(client.get(f"/api/v1/achievements?user_id={people['ann'].id}",
                              headers=token_headers("progress:write")), 403)


def test_malformed_json_is_400_and_stores_nothing(client, bearer) -> None:
    response = client.post(URL, data="{not json", content_type="application/json",
                           headers=bearer)
    assert_problem(response, 400)
    assert nothing_stored()


def test_wrong_content_type_is_415_and_stores_nothing(client, people, bearer) -> None:
    response = client.post(URL, data=f"user_id={people['ann'].id}&kind=activity",
                           content_type="application/x-www-form-urlencoded", headers=bearer)
    assert_problem(response, 415)
    assert nothing_stored()


def test_oversized_body_is_413_and_stores_nothing(client, people, bearer) -> None:
    body = {"user_id": people["ann"].id, "kind": "activity", "idempotency_key": "x" * 100_000}
    assert_problem(client.post(URL, json=body, headers=bearer), 413)
    assert nothing_stored()


@pytest.mark.parametrize("body, field", [
    ({"kind": "activity"}, "user_id"),
    ({"user_id": "1", "kind": "activity"}, "user_id"),
    ({"user_id": 1, "kind": "teleported"}, "kind"),
    ({"user_id": 1, "kind": "activity", "extra": 1}, "extra"),
    ({"user_id": 1, "kind": "activity", "occurred_at": "2025-01-01T00:00:00"}, "occurred_at"),
    ({"user_id": 1, "kind": "module_completed", "module": "nope"}, "module"),
    ({"user_id": 1, "kind": "module_completed", "module": "a\u0000b"}, "module"),
])
def test_invalid_fields_are_422_naming_the_field(client, people, bearer, body, field) -> None:
    problem = assert_problem(client.post(URL, json={**body, "idempotency_key": "k"},
                                         headers=bearer), 422)
    assert field in problem["errors"]
    assert nothing_stored()


def test_unknown_learner_is_404_and_stores_nothing(client, people, bearer) -> None:
    body = {"user_id": 999_999, "kind": "activity", "idempotency_key": "k"}
    assert_problem(client.post(URL, json=body, headers=bearer), 404)
    assert nothing_stored()


def test_bad_query_parameters_are_422(as_user, people) -> None:
    client = as_user(people["ann"])
    for query in ("limit=0", "limit=101", "cursor=garbage", "type=nope", "since=yesterday"):
        assert_problem(client.get(f"/api/v1/achievements?{query}"), 422)


def test_huge_ids_are_404_not_500(as_user, people) -> None:
    assert_problem(as_user(people["ann"]).get(f"/api/v1/achievements/{10**30}"), 404)


def test_reused_key_with_another_body_is_409(client, people, bearer) -> None:
    body = {"user_id": people["ann"].id, "kind": "activity", "idempotency_key": "k"}
    client.post(URL, json=body, headers=bearer)
    assert_problem(client.post(URL, json={**body, "kind": "module_completed",
                                          "module": "c1-u1-m1"}, headers=bearer), 409)


def test_unexpected_errors_are_500_problems(app) -> None:
    def boom() -> str:
        raise RuntimeError("kaput")

    app.add_url_rule("/api/v1/boom", "boom", boom)
    response = app.test_client().get("/api/v1/boom")
    assert "kaput" not in assert_problem(response, 500)["detail"]
