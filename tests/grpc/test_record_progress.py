"""RecordProgress: stored once per request_id, same answer on replay, bad input stores nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import func, select

from app.extensions import db
from app.grpc.generated.achievements.v1 import achievements_pb2 as pb
from app.models import Achievement, ProgressEvent
from tests.grpc.conftest import code_of, complete, field_errors, rpc_error


def stored_events() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(ProgressEvent)) or 0


def at(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def test_records_a_completion_and_returns_the_event(stub, service, catalog, learner) -> None:
    when = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    event = complete(stub, service, learner.id, "c1-u1-m1", "lms-1", occurred_at=at(when)).event
    assert (event.user_id, event.kind, event.module) == (
        learner.id, pb.PROGRESS_KIND_MODULE_COMPLETED, "c1-u1-m1")
    assert event.request_id == "lms-1" and event.id > 0
    assert event.occurred_at.ToDatetime(tzinfo=UTC) == when
    assert event.recorded_at.seconds > 0 and not event.HasField("score")


def test_the_award_is_made_from_the_recorded_event(stub, service, catalog, learner) -> None:
    complete(stub, service, learner.id, "c1-u1-m1")
    db.session.rollback()
    keys = set(db.session.scalars(select(Achievement.dedupe_key)))
    assert "module_complete:c1-u1-m1" in keys


def test_assessment_score_is_recorded(stub, service, learner) -> None:
    from tests.support.catalog import build_catalog

    build_catalog("c2", assessments=[{"key": "quiz", "title": "Quiz", "max_score": 10,
                                      "required": False}])
    request = pb.RecordProgressRequest(request_id="s1", user_id=learner.id, score=0,
                                       kind=pb.PROGRESS_KIND_ASSESSMENT_SCORED, assessment="quiz")
    event = stub.RecordProgress(request, metadata=service).event
    assert event.assessment == "quiz" and event.HasField("score") and event.score == 0


def test_same_request_id_and_body_returns_the_first_answer(stub, service, catalog,
                                                           learner) -> None:
    first = complete(stub, service, learner.id, "c1-u1-m1", "same")
    again = complete(stub, service, learner.id, "c1-u1-m1", "same")
    assert again == first
    assert stored_events() == 1


def test_same_request_id_with_another_body_is_already_exists(stub, service, catalog,
                                                             learner) -> None:
    complete(stub, service, learner.id, "c1-u1-m1", "same")
    code = code_of(lambda: complete(stub, service, learner.id, "c1-u1-m2", "same"))
    assert code == grpc.StatusCode.ALREADY_EXISTS
    assert stored_events() == 1


def test_unknown_module_is_invalid_argument_with_field_errors(stub, service, catalog,
                                                              learner) -> None:
    error = rpc_error(lambda: complete(stub, service, learner.id, "no-such-module"))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "module" in field_errors(error)
    assert stored_events() == 0


def test_unspecified_kind_is_invalid_argument(stub, service, catalog, learner) -> None:
    request = pb.RecordProgressRequest(request_id="k", user_id=learner.id, module="c1-u1-m1")
    assert code_of(lambda: stub.RecordProgress(request, metadata=service)) == \
        grpc.StatusCode.INVALID_ARGUMENT
    assert stored_events() == 0


def test_missing_request_id_is_invalid_argument(stub, service, catalog, learner) -> None:
    error = rpc_error(lambda: complete(stub, service, learner.id, "c1-u1-m1", request_id=""))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "request_id" in field_errors(error)
    assert stored_events() == 0


def test_future_occurred_at_is_invalid_argument(stub, service, catalog, learner) -> None:
    future = at(datetime.now(UTC) + timedelta(days=2))
    code = code_of(lambda: complete(stub, service, learner.id, "c1-u1-m1", occurred_at=future))
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert stored_events() == 0


def test_missing_user_is_invalid_argument(stub, service, catalog) -> None:
    code = code_of(lambda: complete(stub, service, 0, "c1-u1-m1"))
    assert code == grpc.StatusCode.INVALID_ARGUMENT


def test_unknown_user_is_not_found(stub, service, catalog) -> None:
    assert code_of(lambda: complete(stub, service, 999_999, "c1-u1-m1")) == \
        grpc.StatusCode.NOT_FOUND
    assert stored_events() == 0


def test_occurred_at_beyond_year_9999_is_invalid_argument(stub, service, catalog,
                                                          learner) -> None:
    far = Timestamp(seconds=300_000_000_000)
    error = rpc_error(lambda: complete(stub, service, learner.id, "c1-u1-m1", occurred_at=far))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "occurred_at" in field_errors(error)
    assert stored_events() == 0
