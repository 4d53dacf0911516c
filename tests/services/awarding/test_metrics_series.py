"""What detection, publishing and the sweep tell Prometheus, on both databases: a lag per
settled event, awards by type, a failed publish and its republish, the outbox backlog."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from app.extensions import db
from app.models import Achievement
from app.read.backlog import outbox_backlog
from tests.services.awarding.conftest import award_keys, record
from tests.services.awarding.test_outbox_sweep import lost_enqueue

pytestmark = pytest.mark.both_databases


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_each_settled_event_has_a_lag_and_each_award_is_counted(catalog, learner) -> None:
    lags = sample("achievements_detection_lag_seconds_count")
    modules = sample("achievements_awards_stored_total", type="module_complete")
    courses = sample("achievements_awards_stored_total", type="course_complete")
    record(learner, "module_completed", None, module="c1-u1-m1")
    record(learner, "module_completed", None, module="c1-u1-m2")
    assert sample("achievements_detection_lag_seconds_count") == lags + 2
    assert sample("achievements_awards_stored_total", type="module_complete") == modules + 2
    assert sample("achievements_awards_stored_total", type="course_complete") == courses + 1


def test_a_failed_publish_is_counted_and_the_sweep_republishes(app, monkeypatch, catalog,
                                                               learner) -> None:
    from workers.tasks import sweep_outbox

    def down(messages: object) -> None:
        raise ConnectionError("redis is down")

    failures = sample("achievements_publish_failures_total")
    monkeypatch.setattr("app.services.awarding.publishing.publish_many", down)
    record(learner, "module_completed", None, module="c1-u1-m1")
    assert sample("achievements_publish_failures_total") > failures
    unsent = db.session.query(Achievement).filter(Achievement.published_at.is_(None)).count()
    assert unsent >= 1
    monkeypatch.setattr("app.services.awarding.publishing.publish_many", lambda messages: None)
    monkeypatch.setattr(app.config["ACHIEVEMENTS_CONFIG"], "OUTBOX_SWEEP_AGE_SECONDS", 0)
    republished = sample("achievements_sweep_requeued_total", what="awards")
    published = sample("achievements_awards_published_total")
    sweep_outbox.apply().get()
    assert sample("achievements_sweep_requeued_total", what="awards") == republished + unsent
    assert sample("achievements_awards_published_total") == published + unsent


def test_the_backlog_and_the_sweep_that_clears_it(monkeypatch, catalog, learner) -> None:
    from workers.tasks import sweep_outbox

    lost_enqueue(monkeypatch, learner.id, "c1-u1-m1")
    backlog = outbox_backlog(age_seconds=60)
    assert (backlog.pending, backlog.stale) == (1, 1) and 290 < backlog.oldest_seconds < 400
    swept = sample("achievements_sweep_requeued_total", what="events")
    sweep_outbox.apply().get()
    assert sample("achievements_sweep_requeued_total", what="events") == swept + 1
    assert "module_complete:c1-u1-m1" in award_keys(learner)
    assert outbox_backlog(age_seconds=60) == (0, 0, 0.0)
