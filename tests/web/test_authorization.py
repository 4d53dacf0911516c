"""The authorization matrix, route by route: who may read, write and revoke whose data."""

from __future__ import annotations

import pytest

from app.services.accounts import revoke_token
from tests.web.conftest import award


def event(user_id: int, key: str = "k1") -> dict:
    return {"user_id": user_id, "kind": "module_completed", "module": "c1-u1-m1",
            "idempotency_key": key}


# --- POST /progress-events ----------------------------------------------------------------

def test_anonymous_cannot_post_progress(client, people) -> None:
    assert client.post("/api/v1/progress-events", json=event(people["ann"].id)).status_code == 401


@pytest.mark.parametrize("who", ["ann", "ida"])
def test_learner_and_instructor_cannot_post_progress(as_user, people, who) -> None:
    response = as_user(people[who]).post("/api/v1/progress-events", json=event(people["ann"].id))
    assert response.status_code == 403


def test_token_without_write_scope_cannot_post_progress(client, people, token_headers) -> None:
    response = client.post("/api/v1/progress-events", json=event(people["ann"].id),
                           headers=token_headers("achievements:read"))
    assert response.status_code == 403


def test_write_token_posts_progress(client, people, token_headers) -> None:
    response = client.post("/api/v1/progress-events", json=event(people["ann"].id),
                           headers=token_headers("progress:write"))
    assert response.status_code == 202


def test_admin_user_posts_progress(as_user, people) -> None:
    response = as_user(people["ada"]).post("/api/v1/progress-events", json=event(people["ann"].id))
    assert response.status_code == 202


# --- GET /achievements --------------------------------------------------------------------

def listed(response) -> list[str]:
    assert response.status_code == 200, response.data
    return [item["dedupe_key"] for item in response.get_json()["items"]]


def test_anonymous_cannot_list(client, people) -> None:
    assert client.get(f"/api/v1/achievements?user_id={people['ann'].id}").status_code == 401


def test_learner_lists_only_own_awards(as_user, people) -> None:
    award(people["ann"], "a")
    award(people["bob"], "b")
    assert listed(as_user(people["ann"]).get("/api/v1/achievements")) == ["module_complete:a"]


def test_learner_cannot_name_another_learner(as_user, people) -> None:
    response = as_user(people["ann"]).get(f"/api/v1/achievements?user_id={people['bob'].id}")
    assert response.status_code == 403


def test_instructor_lists_learner_of_their_course(as_user, people) -> None:
    award(people["ann"], "a")
    response = as_user(people["ida"]).get(f"/api/v1/achievements?user_id={people['ann'].id}")
    assert listed(response) == ["module_complete:a"]


def test_instructor_cannot_list_learner_outside_their_courses(as_user, people) -> None:
    response = as_user(people["ida"]).get(f"/api/v1/achievements?user_id={people['bob'].id}")
    assert response.status_code == 403


def test_admin_lists_any_learner(as_user, people) -> None:
    award(people["bob"], "b")
    response = as_user(people["ada"]).get(f"/api/v1/achievements?user_id={people['bob'].id}")
    assert listed(response) == ["module_complete:b"]


def test_read_token_lists_any_learner(client, people, token_headers) -> None:
    award(people["bob"], "b")
    response = client.get(f"/api/v1/achievements?user_id={people['bob'].id}",
                          headers=token_headers("achievements:read"))
    assert listed(response) == ["module_complete:b"]


def test_token_without_read_scope_cannot_list(client, people, token_headers) -> None:
    response = client.get(f"/api/v1/achievements?user_id={people['bob'].id}",
                          headers=token_headers("progress:write"))
    assert response.status_code == 403


def test_token_must_name_the_learner(client, people, token_headers) -> None:
    response = client.get("/api/v1/achievements", headers=token_headers("achievements:read"))
    assert response.status_code == 422


def test_revoked_token_is_refused(app, client, people, make_token) -> None:
    from app.services.accounts import verify_token

    plaintext = make_token("achievements:read")
    revoke_token(verify_token(plaintext).id)
    response = client.get(f"/api/v1/achievements?user_id={people['ann'].id}",
                          headers={"Authorization": f"Bearer {plaintext}"})
    assert response.status_code == 401


def test_unknown_token_is_refused(client, people) -> None:
    response = client.get(f"/api/v1/achievements?user_id={people['ann'].id}",
                          headers={"Authorization": "Bearer ach_not-a-token"})
    assert response.status_code == 401


# --- GET /achievements/<id> ---------------------------------------------------------------

def test_learner_reads_own_award(as_user, people) -> None:
    mine = award(people["ann"], "a")
    response = as_user(people["ann"]).get(f"/api/v1/achievements/{mine.id}")
    assert response.status_code == 200 and response.get_json()["id"] == mine.id


def test_guessing_another_learners_award_id_is_not_found(as_user, people) -> None:
    theirs = award(people["bob"], "b")
    response = as_user(people["ann"]).get(f"/api/v1/achievements/{theirs.id}")
    assert response.status_code == 404
    assert "Award b" not in response.get_data(as_text=True)


def test_instructor_reads_award_of_their_learner(as_user, people) -> None:
    theirs = award(people["ann"], "a")
    assert as_user(people["ida"]).get(f"/api/v1/achievements/{theirs.id}").status_code == 200


def test_instructor_gets_not_found_outside_their_courses(as_user, people) -> None:
    theirs = award(people["bob"], "b")
    assert as_user(people["ida"]).get(f"/api/v1/achievements/{theirs.id}").status_code == 404


def test_read_token_reads_any_award(client, people, token_headers) -> None:
    theirs = award(people["bob"], "b")
    response = client.get(f"/api/v1/achievements/{theirs.id}",
                          headers=token_headers("achievements:read"))
    assert response.status_code == 200


def test_token_without_read_scope_cannot_read_an_award(client, people, token_headers) -> None:
    theirs = award(people["bob"], "b")
    response = client.get(f"/api/v1/achievements/{theirs.id}",
                          headers=token_headers("progress:write"))
    assert response.status_code == 403


def test_anonymous_cannot_read_an_award(client, people) -> None:
    theirs = award(people["bob"], "b")
    assert client.get(f"/api/v1/achievements/{theirs.id}").status_code == 401


# --- GET /achievements/stream -------------------------------------------------------------

def test_learner_streams_own_session(as_user, people) -> None:
    response = as_user(people["ann"]).get("/api/v1/achievements/stream", buffered=False)
    try:
        assert response.status_code == 200 and response.mimetype == "text/event-stream"
        assert b"connected" in next(response.response)
    finally:
        response.close()


def test_token_cannot_stream(client, people, token_headers) -> None:
    response = client.get("/api/v1/achievements/stream",
                          headers=token_headers("achievements:read"))
    assert response.status_code == 403


def test_anonymous_cannot_stream(client) -> None:
    assert client.get("/api/v1/achievements/stream").status_code == 401


# --- GET /achievements/summary and /achievement-types -------------------------------------

def test_learner_reads_own_summary(as_user, people) -> None:
    award(people["ann"], "a")
    response = as_user(people["ann"]).get("/api/v1/achievements/summary")
    assert response.status_code == 200 and response.get_json()["total"] == 1


def test_learner_cannot_read_another_summary(as_user, people) -> None:
    response = as_user(people["ann"]).get(
        f"/api/v1/achievements/summary?user_id={people['bob'].id}")
    assert response.status_code == 403


def test_instructor_reads_summary_of_their_learner(as_user, people) -> None:
    response = as_user(people["ida"]).get(
        f"/api/v1/achievements/summary?user_id={people['ann'].id}")
    assert response.status_code == 200


def test_instructor_cannot_read_summary_outside_their_courses(as_user, people) -> None:
    response = as_user(people["ida"]).get(
        f"/api/v1/achievements/summary?user_id={people['bob'].id}")
    assert response.status_code == 403


def test_token_without_read_scope_cannot_read_a_summary(client, people, token_headers) -> None:
    response = client.get(f"/api/v1/achievements/summary?user_id={people['bob'].id}",
                          headers=token_headers("progress:write"))
    assert response.status_code == 403


def test_anonymous_cannot_read_summary_or_types(client) -> None:
    assert client.get("/api/v1/achievements/summary").status_code == 401
    assert client.get("/api/v1/achievement-types").status_code == 401


def test_any_authenticated_caller_reads_types(client, people, token_headers, as_user) -> None:
    assert as_user(people["ann"]).get("/api/v1/achievement-types").status_code == 200
    response = client.get("/api/v1/achievement-types", headers=token_headers("progress:write"))
    assert response.status_code == 200


# --- POST /achievements/<id>/revoke -------------------------------------------------------

def revoke(client, award_id: int, **kwargs):
    return client.post(f"/api/v1/achievements/{award_id}/revoke", json={"reason": "cheating"},
                       **kwargs)


@pytest.mark.parametrize("who", ["ann", "ida"])
def test_learner_and_instructor_cannot_revoke(as_user, people, who) -> None:
    target = award(people["ann"], "a")
    assert revoke(as_user(people[who]), target.id).status_code == 403


@pytest.mark.parametrize("scope", ["achievements:read", "progress:write"])
def test_token_without_admin_scope_cannot_revoke(client, people, token_headers, scope) -> None:
    target = award(people["ann"], "a")
    assert revoke(client, target.id, headers=token_headers(scope)).status_code == 403


def test_anonymous_cannot_revoke(client, people) -> None:
    target = award(people["ann"], "a")
    assert revoke(client, target.id).status_code == 401


def test_admin_token_revokes_and_the_learner_sees_it_revoked(client, as_user, people,
                                                             token_headers) -> None:
    target = award(people["ann"], "a")
    response = revoke(client, target.id, headers=token_headers("achievements:admin"))
    assert response.status_code == 200 and response.get_json()["revoked_reason"] == "cheating"
    ann = as_user(people["ann"])
    assert ann.get(f"/api/v1/achievements/{target.id}").get_json()["revoked"]["reason"] == \
        "cheating"  # issue 27: its learner keeps it, with the reason
    assert target.id not in [a["id"] for a in ann.get("/api/v1/achievements").get_json()["items"]]


def test_admin_user_revokes(as_user, people) -> None:
    target = award(people["ann"], "a")
    response = revoke(as_user(people["ada"]), target.id)
    assert response.status_code == 200 and "ada@example.com" in response.get_json()["revoked_by"]


def test_revoking_an_unknown_award_is_not_found(client, people, token_headers) -> None:
    assert revoke(client, 999_999, headers=token_headers("achievements:admin")).status_code == 404


def test_cli_enrollment_lets_an_instructor_read_a_learner(app, as_user, people) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "enroll", people["bob"].email, "c1"])
    assert result.exit_code == 0, result.output
    response = as_user(people["ida"]).get(f"/api/v1/achievements?user_id={people['bob'].id}")
    assert response.status_code == 200
