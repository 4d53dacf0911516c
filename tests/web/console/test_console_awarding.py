"""The console's award-by-hand flow (search, typed or uploaded list, preview with line
numbers, confirm), long lists as jobs that resume, and a badge's holders revoked or
restored in bulk with one reason."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import Achievement, AuditEvent, BadgeJob, User
from app.services.accounts import enroll
from app.services.badges import jobs as badge_jobs
from app.services.badges import publish_badge
from app.services.badges.by_hand import Note
from tests.services.awarding.conftest import record
from tests.web.console.conftest import ADMIN

BADGE = "c1b"


@pytest.fixture
def published(world: dict[str, Any], make_user: Callable[..., User]) -> dict[str, Any]:
    """c1b published, and ann earns it by completing c1-u1-m1; bea and cal are on c1 too."""
    publish_badge(ADMIN, BADGE)
    record(world["ann"], "module_completed", datetime(2024, 5, 1, tzinfo=UTC), module="c1-u1-m1")
    extra = {name: make_user("learner", email=f"{name}@example.com") for name in ("bea", "cal")}
    for person in extra.values():
        enroll(person.id, "c1", "learner")
    return {**world, **extra}


def holders() -> dict[int, Achievement]:
    return {a.user_id: a for a in db.session.scalars(
        select(Achievement).where(Achievement.dedupe_key == f"badge:{BADGE}"))}


def preview(client: FlaskClient, **form: Any) -> str:
    answer = client.post(f"/console/badges/{BADGE}/award/preview",
                         data={"notify": "1", **form}, content_type="multipart/form-data")
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    return answer.get_data(as_text=True)


def test_search_finds_learners_of_the_instructors_courses_only(
        published: dict[str, Any], client_for: Callable) -> None:
    page = client_for("ida").get(f"/console/badges/{BADGE}/award?q=example").get_data(
        as_text=True)
    assert "bea@example.com" in page and "ann@example.com" in page
    assert "oscar@example.com" not in page and "ada@example.com" not in page


def test_an_uploaded_list_previews_with_line_numbers(
        published: dict[str, Any], client_for: Callable) -> None:
    listing = "email\nbea@example.com\n\nnobody@example.com\nANN@example.com\n"
    page = preview(client_for("ida"), file=(io.BytesIO(listing.encode()), "list.csv"))
    assert "1 learner would receive it" in page
    assert "1 already holds it" in page  # ann earned it
    assert "Line 4" in page and "No learner you may award has this email." in page
    assert f'name="user_ids" value="{published["bea"].id}"' in page
    assert len(holders()) == 1  # a preview awards nothing


def test_confirm_awards_once_with_the_note(published: dict[str, Any],
                                           client_for: Callable) -> None:
    client = client_for("ida")
    ids = f'{published["bea"].id},{published["cal"].id},{published["ann_id"]}'
    form = {"user_ids": ids, "narrative": "Helped the cohort", "notify": "1",
            "evidence_url": "https://example.org/work"}
    first = client.post(f"/console/badges/{BADGE}/award/confirm", data=form)
    assert first.status_code == 302 and first.headers["Location"].endswith(
        f"/console/badges/{BADGE}/holders")
    client.post(f"/console/badges/{BADGE}/award/confirm", data=form)  # a reload: no repeat
    given = holders()
    assert set(given) == {published["ann_id"], published["bea"].id, published["cal"].id}
    assert given[published["bea"].id].meta["by_hand"] == {
        "by": "ida@example.com", "narrative": "Helped the cohort",
        "evidence_url": "https://example.org/work"}
    assert "by_hand" not in given[published["ann_id"]].meta
    page = client.get(f"/console/badges/{BADGE}/holders").get_data(as_text=True)
    assert "Awarded to 2 learners. 1 already held it." in page
    assert "Given by ida@example.com" in page


def test_an_outsider_id_in_a_confirm_awards_no_one(published: dict[str, Any],
                                                   client_for: Callable) -> None:
    ids = f'{published["bea"].id},{published["oscar"].id}'  # oscar is no learner of c1
    answer = client_for("ida").post(f"/console/badges/{BADGE}/award/confirm",
                                    data={"user_ids": ids})
    assert answer.status_code == 422 and answer.mimetype == "text/html"
    assert "preview again" in answer.get_data(as_text=True)
    assert set(holders()) == {published["ann_id"]}


def test_a_draft_cannot_be_awarded(world: dict[str, Any], client_for: Callable) -> None:
    assert client_for("ida").get(f"/console/badges/{BADGE}/award").status_code == 409


def test_bulk_revoke_then_restore_with_one_reason(published: dict[str, Any],
                                                  client_for: Callable) -> None:
    client = client_for("ida")
    client.post(f"/console/badges/{BADGE}/award/confirm",
                data={"user_ids": f'{published["bea"].id}'})
    ids = [str(a.id) for a in holders().values()]
    done = client.post(f"/console/badges/{BADGE}/holders/revoke",
                       data={"award": ids, "reason": "Criteria changed"})
    assert done.status_code == 302
    assert all(a.revoked_reason == "Criteria changed" for a in holders().values())
    page = client.get(f"/console/badges/{BADGE}/holders").get_data(as_text=True)
    assert "2 awards revoked." in page and "Revoked" in page
    client.post(f"/console/badges/{BADGE}/holders/restore", data={"award": ids})
    assert all(a.revoked_at is None for a in holders().values())
    acts = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert acts.count("award.revoke") == 2 and acts.count("award.restore") == 2


def test_bulk_revoke_needs_a_reason_and_changes_nothing_without(
        published: dict[str, Any], client_for: Callable) -> None:
    ids = [str(a.id) for a in holders().values()]
    client_for("ida").post(f"/console/badges/{BADGE}/holders/revoke", data={"award": ids})
    assert all(a.revoked_at is None for a in holders().values())


def test_another_badges_award_in_a_bulk_act_changes_nothing(
        published: dict[str, Any], client_for: Callable) -> None:
    ids = [str(a.id) for a in holders().values()] + [str(published["award"])]
    answer = client_for("ida").post(f"/console/badges/{BADGE}/holders/revoke",
                                    data={"award": ids, "reason": "x"})
    assert answer.status_code == 404
    assert all(a.revoked_at is None for a in holders().values())


def test_other_instructors_see_no_holders(published: dict[str, Any],
                                         client_for: Callable) -> None:
    assert client_for("oscar").get(f"/console/badges/{BADGE}/holders").status_code == 404
    assert client_for("ann").get(f"/console/badges/{BADGE}/holders").status_code == 403


def test_a_long_list_is_a_job_that_resumes_where_it_stopped(
        published: dict[str, Any], make_user: Callable[..., User],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches commit with the job's count: a task redelivered after one batch gives the
    rest only; the result counts each learner once."""
    people = [make_user("learner") for _ in range(5)]
    monkeypatch.setattr(badge_jobs, "BATCH", 2)
    sent: list[int] = []
    monkeypatch.setattr(badge_jobs, "_enqueue", sent.append)
    job = badge_jobs.start_award(ADMIN, BADGE, [p.id for p in people], Note("bulk", None, False))
    assert sent == [job.id] and job.status == "queued"
    real_give = badge_jobs.give
    calls = {"n": 0}

    def dies_after_one_batch(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("worker lost")
        return real_give(*args, **kwargs)

    monkeypatch.setattr(badge_jobs, "give", dies_after_one_batch)
    with pytest.raises(RuntimeError):
        badge_jobs.run_job(job.id)
    db.session.rollback()
    assert db.session.get(BadgeJob, job.id).done == 2
    badge_jobs.run_job(job.id)  # the redelivery
    finished = db.session.get(BadgeJob, job.id)
    assert (finished.status, finished.done) == ("done", 5)
    assert finished.result == {"awarded": 5, "already_held": 0}
    assert {p.id for p in people} <= set(holders())


def test_the_job_page_shows_progress_to_its_starter_only(
        published: dict[str, Any], client_for: Callable, monkeypatch: pytest.MonkeyPatch
        ) -> None:
    monkeypatch.setattr(badge_jobs, "_enqueue", lambda job_id: None)
    from app.services.accounts.principal import Principal
    ida = Principal.user(published["ida"].id, "instructor", "ida@example.com")
    job = badge_jobs.start_award(ida, BADGE, [published["bea"].id], Note())
    page = client_for("ida").get(f"/console/jobs/{job.id}").get_data(as_text=True)
    assert "Waiting for a worker" in page and "<progress" in page
    state = client_for("ida").get(f"/console/jobs/{job.id}.json").get_json()
    assert state == {"status": "queued", "done": 0, "total": 1, "result": {}, "error": None}
    assert client_for("oscar").get(f"/console/jobs/{job.id}").status_code == 404
    badge_jobs.run_job(job.id)
    assert "Awarded to 1 learner." in client_for("ida").get(f"/console/jobs/{job.id}").get_data(
        as_text=True)


def test_publishing_for_many_learners_runs_as_a_job(
        world: dict[str, Any], client_for: Callable, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(badge_jobs, "INLINE_LIMIT", 1)
    from app.web.console import badges as console_badges
    monkeypatch.setattr(console_badges, "INLINE_LIMIT", 1)
    record(world["ann"], "module_completed", datetime(2024, 5, 1, tzinfo=UTC), module="c1-u1-m1")
    answer = client_for("ida").post(f"/console/badges/{BADGE}/publish", data={})
    assert answer.status_code == 302 and "/console/jobs/" in answer.headers["Location"]
    job = db.session.scalar(select(BadgeJob))
    assert (job.kind, job.status) == ("publish", "done")  # eager tasks ran it
    assert job.result["holders"] == 1 and job.done == job.total


def test_a_course_page_revokes_several_awards_and_returns_there(
        published: dict[str, Any], client_for: Callable) -> None:
    ann = published["ann_id"]
    ids = [str(published["award"]), str(holders()[ann].id)]
    back = f"/console/courses/c1/learners/{ann}"
    client = client_for("ida")
    answer = client.post("/console/courses/c1/awards/revoke",
                                    data={"award": ids, "reason": "Duplicate", "back": back})
    assert answer.status_code == 302 and answer.headers["Location"] == back
    revoked = db.session.scalars(select(Achievement).where(Achievement.id.in_(ids))).all()
    assert [a.revoked_reason for a in revoked] == ["Duplicate", "Duplicate"]
    page = client.get(back).get_data(as_text=True)
    assert "2 awards revoked." in page and page.count("Revoked</span>") == 2


def test_a_course_bulk_act_goes_only_where_it_may(published: dict[str, Any],
                                                  client_for: Callable) -> None:
    ids = [str(published["award"])]
    answer = client_for("ida").post("/console/courses/c1/awards/revoke", data={
        "award": ids, "reason": "x", "back": "https://evil.example/"})
    assert answer.headers["Location"] == "/console/courses/c1"
    assert client_for("oscar").post("/console/courses/c1/awards/restore",
                                    data={"award": ids}).status_code == 404


def test_a_runner_overtaken_by_another_stops_and_its_batch_rolls_back(
        published: dict[str, Any], make_user: Callable[..., User],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Two runners of one job (a slow one and the sweep's): a batch commits only while
    ``done`` is what its runner read, so the overtaken runner gives nothing and stops."""
    from sqlalchemy import update

    people = [make_user("learner") for _ in range(2)]
    monkeypatch.setattr(badge_jobs, "BATCH", 1)
    monkeypatch.setattr(badge_jobs, "_enqueue", lambda job_id: None)
    job = badge_jobs.start_award(ADMIN, BADGE, [p.id for p in people], Note())
    real_give = badge_jobs.give

    def the_other_runner_commits_first(*args: Any, **kwargs: Any) -> Any:
        db.session.execute(update(BadgeJob).where(BadgeJob.id == job.id).values(done=1))
        db.session.commit()
        return real_give(*args, **kwargs)

    monkeypatch.setattr(badge_jobs, "give", the_other_runner_commits_first)
    badge_jobs.run_job(job.id)
    assert people[0].id not in holders()  # its batch rolled back
    assert db.session.get(BadgeJob, job.id).status == "running"  # the other runner's to end


def test_the_sweep_hands_a_job_that_stood_still_to_a_worker_again(
        published: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import timedelta

    from app.models.types import utcnow

    sent: list[int] = []
    monkeypatch.setattr(badge_jobs, "_enqueue", sent.append)
    job = badge_jobs.start_award(ADMIN, BADGE, [published["bea"].id], Note())
    assert badge_jobs.requeue_stale(60) == 0  # it just moved
    job.updated_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    assert badge_jobs.requeue_stale(60) == 1 and sent == [job.id, job.id]
    badge_jobs.run_job(job.id)
    assert badge_jobs.requeue_stale(0) == 0  # done jobs stay done


def test_counting_is_inline_for_few_learners_and_a_job_for_many(
        world: dict[str, Any], client_for: Callable, monkeypatch: pytest.MonkeyPatch) -> None:
    record(world["ann"], "module_completed", datetime(2024, 5, 1, tzinfo=UTC), module="c1-u1-m1")
    client = client_for("ida")
    client.post(f"/console/badges/{BADGE}/count")
    assert "1 learner would earn it now." in client.get(f"/console/badges/{BADGE}").get_data(
        as_text=True)
    from app.web.console import awarding
    monkeypatch.setattr(awarding, "INLINE_LIMIT", 1)
    answer = client.post(f"/console/badges/{BADGE}/count")
    job = db.session.scalar(select(BadgeJob))
    assert answer.headers["Location"].endswith(f"/console/jobs/{job.id}")
    assert (job.kind, job.status, job.result["would_earn"]) == ("count", "done", 1)
    assert holders() == {}  # counting awards nothing
