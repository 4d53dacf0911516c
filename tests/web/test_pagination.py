"""Keyset pagination of GET /achievements: newest first, stable while awards are added."""

from __future__ import annotations

from tests.web.conftest import award, utc


def page(client, **params):
    response = client.get("/api/v1/achievements", query_string=params)
    assert response.status_code == 200, response.data
    data = response.get_json()
    return [item["id"] for item in data["items"]], data["next_cursor"]


def walk(client, insert_between=None, **params) -> list[int]:
    """Every id over all pages, calling ``insert_between`` after each page."""
    seen, cursor = [], None
    while True:
        ids, cursor = page(client, **params, **({"cursor": cursor} if cursor else {}))
        seen += ids
        if insert_between:
            insert_between()
        if cursor is None:
            return seen


def test_pages_are_newest_first_and_default_to_twenty(as_user, people) -> None:
    ids = [award(people["ann"], f"m{i}").id for i in range(25)]
    first, cursor = page(as_user(people["ann"]))
    assert first == sorted(ids, reverse=True)[:20] and cursor is not None


def test_awards_inserted_between_pages_skip_and_repeat_nothing(as_user, people) -> None:
    before = [award(people["ann"], f"m{i}").id for i in range(23)]
    counter = iter(range(1000))
    client = as_user(people["ann"])
    seen = walk(client, lambda: award(people["ann"], f"new{next(counter)}"), limit=5)
    assert seen == sorted(before, reverse=True)
    assert len(set(seen)) == len(seen)


def test_type_filter_is_repeatable(as_user, people) -> None:
    award(people["ann"], "a", "module_complete")
    award(people["ann"], "b", "unit_complete")
    award(people["ann"], "c", "course_complete")
    client = as_user(people["ann"])
    response = client.get("/api/v1/achievements?type=unit_complete&type=course_complete")
    assert {i["type"] for i in response.get_json()["items"]} == {"unit_complete",
                                                                  "course_complete"}


def test_since_is_inclusive_and_until_exclusive(as_user, people) -> None:
    award(people["ann"], "old", earned_at=utc(2025, 1, 1))
    middle = award(people["ann"], "mid", earned_at=utc(2025, 6, 1))
    award(people["ann"], "new", earned_at=utc(2025, 12, 1))
    ids, _ = page(as_user(people["ann"]), since="2025-06-01T00:00:00Z",
                  until="2025-12-01T00:00:00Z")
    assert ids == [middle.id]


def test_filtered_pages_cover_the_filter_exactly(as_user, people) -> None:
    wanted = [award(people["ann"], f"u{i}", "unit_complete").id for i in range(7)]
    for i in range(7):
        award(people["ann"], f"m{i}")
    seen = walk(as_user(people["ann"]), type="unit_complete", limit=3)
    assert seen == sorted(wanted, reverse=True)


def test_last_page_has_no_cursor(as_user, people) -> None:
    award(people["ann"], "only")
    assert page(as_user(people["ann"]), limit=1)[1] is None


def test_revoked_awards_are_not_listed(as_user, people, client, token_headers) -> None:
    kept, gone = award(people["ann"], "kept"), award(people["ann"], "gone")
    client.post(f"/api/v1/achievements/{gone.id}/revoke", json={"reason": "test"},
                headers=token_headers("achievements:admin"))
    assert page(as_user(people["ann"]))[0] == [kept.id]
