"""A revoked award stays its learner's (issue 27.1): the history lists it on request
(REST ``include_revoked=true``, the page's "Show revoked" filter), its page answers 200
with the date and reason, and it can still be unshared; anyone else still gets 404."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.services.awarding.revocation import revoke_award
from tests.web.conftest import award


@pytest.fixture
def revoked(people):  # type: ignore[no-untyped-def]
    stored = award(people["ann"], "c1-u1-m1")
    kept = award(people["ann"], "c1-u1-m2")
    revoke_award(stored.id, "copied the quiz", "admin@example.com")
    return stored, kept


def ids(response) -> list[int]:  # type: ignore[no-untyped-def]
    return [item["id"] for item in response.get_json()["items"]]


def test_rest_history_hides_revoked_awards_unless_asked(client, as_user, people, revoked) -> None:
    stored, kept = revoked
    web = as_user(people["ann"])
    assert stored.id not in ids(web.get("/api/v1/achievements"))
    listed = web.get("/api/v1/achievements?include_revoked=true").get_json()["items"]
    by_id = {item["id"]: item for item in listed}
    assert by_id[stored.id]["revoked"]["reason"] == "copied the quiz"
    assert by_id[stored.id]["revoked"]["at"]
    assert "revoked" not in by_id[kept.id]


def test_the_openapi_document_names_the_filter(client) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    names = [p["name"] for p in spec["paths"]["/api/v1/achievements"]["get"]["parameters"]]
    assert "include_revoked" in names
    assert "revoked" in spec["components"]["schemas"]["AchievementOut"]["properties"]


def test_its_learner_sees_the_revoked_page_with_date_and_reason(client, as_user, people,
                                                                 revoked) -> None:
    stored, _ = revoked
    web = as_user(people["ann"])
    page = web.get(f"/achievements/{stored.id}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Revoked on" in text and "copied the quiz" in text
    assert "Share this badge" not in text  # a revoked badge cannot be shared again


def test_anyone_else_gets_404_for_the_revoked_page(client, as_user, people, revoked) -> None:
    stored, _ = revoked
    web = as_user(people["bob"])
    assert web.get(f"/achievements/{stored.id}").status_code == 404


def test_a_shared_award_revoked_can_still_be_unshared_from_its_page(client, as_user, people,
                                                                     revoked) -> None:
    stored, _ = revoked
    stored.public = True
    db.session.commit()
    web = as_user(people["ann"])
    text = web.get(f"/achievements/{stored.id}").get_data(as_text=True)
    assert "Stop sharing" in text
    response = web.post(f"/achievements/{stored.id}/sharing", data={"public": "0"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(type(stored), stored.id).public is False
    assert client.get(f"/badges/{stored.public_id}").status_code == 404


def test_the_history_page_shows_revoked_awards_only_when_asked(client, as_user, people,
                                                               revoked) -> None:
    stored, _ = revoked
    web = as_user(people["ann"])
    plain = web.get("/achievements").get_data(as_text=True)
    assert f'data-award-id="{stored.id}"' not in plain
    assert 'name="revoked"' in plain  # the filter, off by default
    shown = web.get("/achievements?revoked=1").get_data(as_text=True)
    assert f'data-award-id="{stored.id}"' in shown and "Revoked" in shown


def test_rest_gives_its_learner_the_revoked_award_with_date_and_reason(client, as_user, people,
                                                                      revoked,
                                                                      token_headers) -> None:
    stored, _ = revoked
    mine = as_user(people["ann"]).get(f"/api/v1/achievements/{stored.id}")
    assert mine.status_code == 200 and mine.get_json()["revoked"]["reason"] == "copied the quiz"
    assert as_user(people["bob"]).get(f"/api/v1/achievements/{stored.id}").status_code == 404
    service = client.get(f"/api/v1/achievements/{stored.id}",
                         headers=token_headers("achievements:read"))
    assert service.status_code == 404  # integrations see revoked awards as gone
