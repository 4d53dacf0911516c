"""ListAchievementTypes lists published badges as REST does (one read function): type BADGE,
key ``badge:<key>``, a hidden one as an undescribed "Hidden badge"."""

from __future__ import annotations

from app.grpc.generated.achievements.v1 import achievements_pb2 as pb
from app.services.accounts.principal import Principal
from app.services.badges import create_badge, publish_badge

ADMIN = Principal(kind="admin", id=0, name="setup")


def make(key: str, publish: bool = True, **extra: object) -> None:
    create_badge(ADMIN, {"key": key, "title": f"Badge {key}", "description": "Earned it.",
                         "criteria": {"module_complete": "c1-u1-m1"}, **extra})
    if publish:
        publish_badge(ADMIN, key)


def test_published_badges_are_types(catalog, stub, service) -> None:
    make("open")
    make("secret", hidden=True)
    make("draft", publish=False)
    reply = stub.ListAchievementTypes(pb.ListAchievementTypesRequest(), metadata=service)
    by_key = {t.type_key: t for t in reply.types}
    assert "badge:draft" not in by_key and "streak" in by_key
    shown = by_key["badge:open"]
    assert (shown.type, shown.title, shown.description, shown.badge) == (
        pb.ACHIEVEMENT_TYPE_BADGE, "Badge open", "Earned it.", "badge")
    assert not shown.thresholds
    hidden = by_key["badge:secret"]
    assert (hidden.type, hidden.title, hidden.description) == (
        pb.ACHIEVEMENT_TYPE_BADGE, "Hidden badge", "")
    assert by_key["badge"].type == pb.ACHIEVEMENT_TYPE_BADGE


def test_a_badge_published_later_is_listed_at_once(catalog, stub, service) -> None:
    before = stub.ListAchievementTypes(pb.ListAchievementTypesRequest(), metadata=service)
    make("late")
    after = stub.ListAchievementTypes(pb.ListAchievementTypesRequest(), metadata=service)
    assert "badge:late" not in {t.type_key for t in before.types}
    assert "badge:late" in {t.type_key for t in after.types}
