"""Bad input on every transport: a clear error, and nothing stored.

Runs against PostgreSQL, where an out-of-range integer or a malformed value
that SQLite would shrug off turns into a server error if validation misses it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from app.grpc.generated.achievements.v1 import achievements_pb2 as pb
from app.grpc.generated.achievements.v1 import achievements_pb2_grpc as pb_grpc
from app.grpc.server import AchievementsServer
from tests.faults.harness import sql

TABLES = ("progress_events", "module_completions", "assessment_attempts", "achievements")
ASSESSMENT = {"key": "quiz", "title": "Quiz", "max_score": 10, "required": True}


def stored_rows(url: str) -> dict[str, int]:
    return {table: sql(url, f"SELECT count(*) FROM {table}")[0][0] for table in TABLES}


@pytest.fixture
def world(burst) -> Any:  # type: ignore[no-untyped-def]
    """One learner, course c1 (one module c1-u1-m1) with a course-level quiz out of 10."""
    from app.services.catalog import import_catalog
    from tests.support.catalog import catalog_doc

    scenario = burst(learners=1, units=1, modules=1)
    document = catalog_doc("c1", units=1, modules=1, assessments=[ASSESSMENT])
    import_catalog(document)
    return scenario


def good_body(user_id: int) -> dict[str, Any]:
    return {"user_id": user_id, "kind": "module_completed", "module": "c1-u1-m1",
            "occurred_at": "2024-05-01T10:00:00Z", "idempotency_key": "k-1"}


REST_CASES: dict[str, Any] = {
    "user_id as text": {"user_id": "one"},
    "user_id too large": {"user_id": 2**70},
    "user_id negative": {"user_id": -5},
    "user_id unknown": {"user_id": 987_654},
    "kind unknown": {"kind": "module_finished"},
    "kind as number": {"kind": 5},
    "module as number": {"module": 12},
    "module unknown": {"module": "no-such-module"},
    "module missing": {"module": None},
    "unknown key": {"colour": "blue"},
    "far-future timestamp": {"occurred_at": "2999-01-01T00:00:00Z"},
    "ancient timestamp": {"occurred_at": "1970-01-01T00:00:00Z"},
    "timestamp without offset": {"occurred_at": "2024-05-01T10:00:00"},
    "timestamp garbage": {"occurred_at": "yesterday"},
    "idempotency key too long": {"idempotency_key": "k" * 201},
    "score negative": {"kind": "assessment_scored", "assessment": "quiz", "score": -1,
                       "module": None},
    "score above max": {"kind": "assessment_scored", "assessment": "quiz", "score": 11,
                        "module": None},
    "score as text": {"kind": "assessment_scored", "assessment": "quiz", "score": "ten",
                      "module": None},
    "assessment unknown": {"kind": "assessment_scored", "assessment": "nope", "score": 1,
                           "module": None},
}


def rest_body(user_id: int, change: dict[str, Any]) -> dict[str, Any]:
    body = {**good_body(user_id), **change}
    return {k: v for k, v in body.items() if v is not None}


def assert_problem(response: Any) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.get_data())
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["title"] and problem.get("detail"), problem


@pytest.mark.parametrize("case", sorted(REST_CASES))
def test_rest_rejects_bad_progress_and_stores_nothing(world, case: str) -> None:
    client = world.app.test_client()
    response = client.post("/api/v1/progress-events", json=rest_body(
        world.learners[0].user_id, REST_CASES[case]),
        headers={"Authorization": f"Bearer {world.token}"})
    assert_problem(response)
    assert stored_rows(world.database_url) == dict.fromkeys(TABLES, 0)


@pytest.mark.parametrize("raw, content_type", [
    (b"x" * (70 * 1024), "application/json"),  # oversized
    (b'{"user_id": 1, "kind": ', "application/json"),  # truncated JSON
    (b"[1, 2, 3]", "application/json"),  # not an object
    (b"user_id=1&kind=activity", "application/x-www-form-urlencoded"),
])
def test_rest_rejects_malformed_bodies_and_stores_nothing(world, raw: bytes,
                                                          content_type: str) -> None:
    response = world.app.test_client().post(
        "/api/v1/progress-events", data=raw, content_type=content_type,
        headers={"Authorization": f"Bearer {world.token}", "Idempotency-Key": "k-raw"})
    assert_problem(response)
    assert stored_rows(world.database_url) == dict.fromkeys(TABLES, 0)


def test_rest_accepts_the_good_body(world) -> None:
    """The control: the same request without the defect is stored."""
    response = world.app.test_client().post(
        "/api/v1/progress-events", json=good_body(world.learners[0].user_id),
        headers={"Authorization": f"Bearer {world.token}"})
    assert response.status_code == 202, response.get_data(as_text=True)
    assert stored_rows(world.database_url)["progress_events"] == 1


@pytest.fixture
def stub(world) -> Iterator[pb_grpc.AchievementServiceStub]:  # type: ignore[no-untyped-def]
    server = AchievementsServer(world.app, host="127.0.0.1", port=0).start()
    with grpc.insecure_channel(server.address) as channel:
        yield pb_grpc.AchievementServiceStub(channel)
    server.stop(grace=1.0)


def stamp(iso: str) -> Timestamp:
    value = Timestamp()
    value.FromJsonString(iso)
    return value


GRPC_CASES: dict[str, dict[str, Any]] = {
    "no request_id": {"request_id": ""},
    "request_id too long": {"request_id": "r" * 201},
    "user_id zero": {"user_id": 0},
    "user_id too large": {"user_id": 2**62},
    "user_id unknown": {"user_id": 987_654},
    "kind unspecified": {"kind": pb.PROGRESS_KIND_UNSPECIFIED},
    "kind out of range": {"kind": 99},
    "module unknown": {"module": "no-such-module"},
    "module missing": {"module": ""},
    "far-future timestamp": {"occurred_at": stamp("2999-01-01T00:00:00Z")},
    "ancient timestamp": {"occurred_at": stamp("1970-01-01T00:00:00Z")},
    "score above max": {"kind": pb.PROGRESS_KIND_ASSESSMENT_SCORED, "assessment": "quiz",
                        "score": 11, "module": ""},
    "score missing": {"kind": pb.PROGRESS_KIND_ASSESSMENT_SCORED, "assessment": "quiz",
                      "module": ""},
    "assessment unknown": {"kind": pb.PROGRESS_KIND_ASSESSMENT_SCORED, "assessment": "nope",
                           "score": 1, "module": ""},
}
BAD_STATUSES = {grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND,
                grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.OUT_OF_RANGE}


@pytest.mark.parametrize("case", sorted(GRPC_CASES))
def test_grpc_rejects_bad_progress_and_stores_nothing(world, stub, case: str) -> None:
    fields = {"request_id": "r-1", "user_id": world.learners[0].user_id,
              "kind": pb.PROGRESS_KIND_MODULE_COMPLETED, "module": "c1-u1-m1",
              **GRPC_CASES[case]}
    with pytest.raises(grpc.RpcError) as failure:
        stub.RecordProgress(pb.RecordProgressRequest(**fields), timeout=10,
                            metadata=(("authorization", f"Bearer {world.token}"),))
    assert failure.value.code() in BAD_STATUSES, failure.value
    assert failure.value.details()
    assert stored_rows(world.database_url) == dict.fromkeys(TABLES, 0)


def test_grpc_rejects_an_oversized_message(world, stub) -> None:
    request = pb.RecordProgressRequest(request_id="r-1", user_id=world.learners[0].user_id,
                                       kind=pb.PROGRESS_KIND_MODULE_COMPLETED,
                                       module="m" * (5 * 1024 * 1024))
    with pytest.raises(grpc.RpcError) as failure:
        stub.RecordProgress(request, timeout=10,
                            metadata=(("authorization", f"Bearer {world.token}"),))
    assert failure.value.code() in BAD_STATUSES | {grpc.StatusCode.RESOURCE_EXHAUSTED}
    assert stored_rows(world.database_url) == dict.fromkeys(TABLES, 0)
