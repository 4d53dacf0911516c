"""gRPC answers built-in words in the caller's language: the ``locale`` field, else
``accept-language`` metadata, else English; stored awards keep English and metadata."""

from __future__ import annotations

from app.extensions import db
from app.grpc.generated.achievements.v1 import achievements_pb2 as pb
from app.models import Achievement
from tests.grpc.conftest import complete
from tests.support.catalog import build_catalog


def earn(stub, service, learner) -> None:
    for module in ("c1-u1-m1", "c1-u1-m2"):
        complete(stub, service, learner.id, module)


def module_award(awards) -> pb.Achievement:
    return next(a for a in awards if a.dedupe_key == "module_complete:c1-u1-m1")


def test_list_in_the_requested_locale(stub, service, catalog, learner) -> None:
    earn(stub, service, learner)
    request = pb.ListAchievementsRequest(user_id=learner.id, page_size=100, locale="de")
    award = module_award(stub.ListAchievements(request, metadata=service).achievements)
    title = award.metadata["module_title"]
    assert award.title == f"Modul abgeschlossen: {title}"
    assert award.description == f"Du hast {title} abgeschlossen."
    english = pb.ListAchievementsRequest(user_id=learner.id, page_size=100)
    plain = module_award(stub.ListAchievements(english, metadata=service).achievements)
    assert plain.title == f"Module complete: {title}"  # default, and the cache per language
    stored = db.session.query(Achievement).filter_by(id=award.id).one()
    assert stored.title == plain.title and stored.meta["module_title"] == title


def test_metadata_accept_language_and_field_precedence(stub, service, catalog, learner) -> None:
    earn(stub, service, learner)
    [first] = stub.ListAchievements(pb.ListAchievementsRequest(user_id=learner.id, page_size=1),
                                    metadata=service).achievements
    spanish = (*service, ("accept-language", "es-MX,es;q=0.9"))
    got = stub.GetAchievement(pb.GetAchievementRequest(user_id=learner.id, id=first.id),
                              metadata=spanish).achievement
    assert got.title != first.title and got.metadata == first.metadata
    arabic = stub.GetAchievement(pb.GetAchievementRequest(user_id=learner.id, id=first.id,
                                                          locale="ar"), metadata=spanish)
    assert any("\u0600" <= ch <= "\u06ff" for ch in arabic.achievement.title)
    unknown = stub.GetAchievement(pb.GetAchievementRequest(user_id=learner.id, id=first.id,
                                                           locale="xx"), metadata=service)
    assert unknown.achievement.title == first.title  # no such catalog: English


def test_types_and_summary_localized(stub, service, catalog, learner) -> None:
    build_catalog("big", units=1, modules=12)  # "10 modules" is a goal only if it can be reached
    earn(stub, service, learner)
    types = stub.ListAchievementTypes(pb.ListAchievementTypesRequest(locale="es"),
                                      metadata=service).types
    streak = next(t for t in types if t.type_key == "streak")
    assert streak.title == "Racha de aprendizaje"
    summary = stub.GetSummary(pb.GetSummaryRequest(user_id=learner.id, locale="ar"),
                              metadata=service)
    modules = next(m for m in summary.next_milestones if m.dedupe_key.startswith("milestone:mod"))
    assert modules.title == f"{modules.target} وحدات مكتملة"
    assert modules.text == f"{modules.current} من {modules.target} وحدات"
    english = stub.GetSummary(pb.GetSummaryRequest(user_id=learner.id), metadata=service)
    assert next(m for m in english.next_milestones if m.dedupe_key == modules.dedupe_key
                ).text == f"{modules.current} of {modules.target} modules"
