"""Idempotency-Key on POST /progress-events: replays answer the same, conflicts are 409."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import ProgressEvent

URL = "/api/v1/progress-events"


def body(user_id: int, module: str = "c1-u1-m1", **extra) -> dict:
    return {"user_id": user_id, "kind": "module_completed", "module": module, **extra}


def stored_events() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(ProgressEvent))


def test_replay_with_the_same_body_returns_the_first_answer(client, people, bearer) -> None:
    keyed = {**bearer, "Idempotency-Key": "k"}
    first = client.post(URL, json=body(people["ann"].id), headers=keyed)
    again = client.post(URL, json=body(people["ann"].id), headers=keyed)
    assert first.status_code == again.status_code == 202
    assert again.get_data() == first.get_data()
    assert stored_events() == 1


def test_body_key_works_like_the_header(client, people, bearer) -> None:
    first = client.post(URL, json=body(people["ann"].id, idempotency_key="k"), headers=bearer)
    keyed = {**bearer, "Idempotency-Key": "k"}
    again = client.post(URL, json=body(people["ann"].id), headers=keyed)
    assert again.get_json() == first.get_json()
    assert stored_events() == 1


def test_same_key_with_another_body_is_a_conflict(client, people, bearer) -> None:
    client.post(URL, json=body(people["ann"].id), headers={**bearer, "Idempotency-Key": "k"})
    response = client.post(URL, json=body(people["ann"].id, module="c1-u1-m2"),
                           headers={**bearer, "Idempotency-Key": "k"})
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    assert stored_events() == 1


def test_keys_are_per_caller(client, people, token_headers) -> None:
    one, two = token_headers("progress:write"), token_headers("progress:write")
    first = client.post(URL, json=body(people["ann"].id), headers={**one, "Idempotency-Key": "k"})
    other = client.post(URL, json=body(people["ann"].id, module="c1-u1-m2"),
                        headers={**two, "Idempotency-Key": "k"})
    assert (first.status_code, other.status_code) == (202, 202)
    assert stored_events() == 2


def test_header_and_body_keys_must_agree(client, people, bearer) -> None:
    response = client.post(URL, json=body(people["ann"].id, idempotency_key="a"),
                           headers={**bearer, "Idempotency-Key": "b"})
    assert response.status_code == 422 and "idempotency_key" in response.get_json()["errors"]
    assert stored_events() == 0


def test_a_key_is_required(client, people, bearer) -> None:
    response = client.post(URL, json=body(people["ann"].id), headers=bearer)
    assert response.status_code == 422 and "idempotency_key" in response.get_json()["errors"]
    assert stored_events() == 0
