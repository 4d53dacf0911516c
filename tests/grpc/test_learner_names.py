"""The gRPC ``Achievement`` names its learner by the display name they set, never by email.

Each test runs on SQLite and on PostgreSQL (``both_databases``): PostgreSQL reads the name
on the read pool outside any transaction, SQLite through the session.
"""

from __future__ import annotations

import pytest

from app.extensions import db
from app.grpc.generated.achievements.v1 import achievements_pb2 as pb
from app.services.accounts.users import set_preferences
from tests.grpc.conftest import complete
from tests.grpc.test_watch import awards, watch

pytestmark = pytest.mark.both_databases


def _rename(user, name: str | None) -> None:
    set_preferences(user, user.locale, user.timezone, display_name=name or "")
    db.session.commit()


def _listed(stub, service, user_id: int) -> list[pb.Achievement]:
    request = pb.ListAchievementsRequest(user_id=user_id, page_size=100)
    return list(stub.ListAchievements(request, metadata=service).achievements)


def test_list_and_get_carry_the_name_and_a_rename_shows_at_once(stub, service, catalog,
                                                                 learner) -> None:
    _rename(learner, "Ada Lovelace")
    complete(stub, service, learner.id, "c1-u1-m1")
    listed = _listed(stub, service, learner.id)
    assert listed and {a.learner_name for a in listed} == {"Ada Lovelace"}

    _rename(learner, "Ada King")  # the kept award messages must not keep the old name
    assert {a.learner_name for a in _listed(stub, service, learner.id)} == {"Ada King"}
    reply = stub.GetAchievement(pb.GetAchievementRequest(user_id=learner.id, id=listed[0].id),
                                metadata=service)
    assert reply.achievement.learner_name == "Ada King"


def test_a_learner_without_a_name_is_named_empty_never_by_email(stub, service, catalog,
                                                                learner) -> None:
    complete(stub, service, learner.id, "c1-u1-m1")
    listed = _listed(stub, service, learner.id)
    assert listed and all(a.learner_name == "" for a in listed)
    assert all(learner.email not in str(a) for a in listed)


def test_the_watch_stream_names_the_learner(stub, service, catalog, learner) -> None:
    _rename(learner, "Grace Hopper")
    stream = watch(stub, service, user_id=learner.id)
    complete(stub, service, learner.id, "c1-u1-m1")
    assert awards(stream, 1)[0].learner_name == "Grace Hopper"
    stream.cancel()
