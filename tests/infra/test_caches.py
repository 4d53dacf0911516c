"""Each cache in app/infra/caches keeps the bound its docstring states."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from app.errors import Unauthenticated
from app.extensions import db
from app.infra.caches import learner_count as learner_count_module
from app.infra.caches.catalog import catalog
from app.infra.caches.learner_summaries import LearnerSummaries
from app.infra.caches.verified_tokens import VerifiedTokens
from app.models import Module
from tests.support.catalog import build_catalog


class Clock:
    """``time.monotonic`` under the test's control."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = 1_000.0
        monkeypatch.setattr(time, "monotonic", lambda: self.now)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


def counting(value: Callable[[], object]) -> tuple[list[int], Callable[[], object]]:
    calls: list[int] = []

    def build() -> object:
        calls.append(1)
        return value()

    return calls, build


# catalog: never stale — every read checks the revision every catalog write bumps


def test_the_catalog_is_reused_while_its_revision_is_unchanged(app) -> None:
    build_catalog("c1", units=1, modules=2)
    assert catalog() is catalog()


def test_a_catalog_change_is_seen_by_the_next_read(app) -> None:
    build_catalog("c1", units=1, modules=2)
    before = catalog()
    db.session.scalar(db.select(Module).where(Module.key == "c1-u1-m1")).title = "Renamed"
    db.session.commit()
    after = catalog()
    assert after is not before
    assert after.view.modules["c1-u1-m1"].title == "Renamed"


# learner summaries: rebuilt when the learner's key changes; other learners' figures ≤ ttl


def test_a_summary_is_kept_while_the_learners_key_is_unchanged(clock: Clock) -> None:
    kept: LearnerSummaries[str] = LearnerSummaries(ttl=5)
    calls, build = counting(lambda: ("v1", "summary"))
    assert kept.get(7, "v1", build) == kept.get(7, "v1", build) == "summary"
    assert len(calls) == 1


def test_a_changed_key_is_rebuilt_at_once(clock: Clock) -> None:
    kept: LearnerSummaries[str] = LearnerSummaries(ttl=5)
    kept.get(7, "v1", lambda: ("v1", "old"))
    assert kept.get(7, "v2", lambda: ("v2", "new")) == "new"


def test_an_entry_is_rebuilt_after_its_ttl(clock: Clock) -> None:
    kept: LearnerSummaries[str] = LearnerSummaries(ttl=5)
    kept.get(7, "v1", lambda: ("v1", "old"))
    clock.now += 4.9
    assert kept.get(7, "v1", lambda: ("v1", "new")) == "old"
    clock.now += 0.2
    assert kept.get(7, "v1", lambda: ("v1", "new")) == "new"


def test_a_value_without_a_key_is_never_kept(clock: Clock) -> None:
    kept: LearnerSummaries[str] = LearnerSummaries(ttl=5)
    calls, build = counting(lambda: (None, "unversioned"))
    kept.get(7, None, build)
    kept.get(7, None, build)
    assert len(calls) == 2


# learner count: at most ttl seconds old


@pytest.mark.parametrize("app", ["postgresql"], indirect=True)
def test_the_learner_count_is_recounted_after_its_ttl(app, make_user, clock: Clock) -> None:
    count = learner_count_module.LearnerCount(ttl=5)
    make_user()
    assert count.get() == 1
    make_user()
    clock.now += 4.9
    assert count.get() == 1
    clock.now += 0.2
    assert count.get() == 2


# verified tokens: at most ttl seconds; forgotten at once on revocation; failures never kept


def test_a_verified_token_is_trusted_for_its_ttl_only(clock: Clock) -> None:
    calls, verify = counting(lambda: "principal")
    tokens = VerifiedTokens(5, lambda token: verify(), lambda token: token)
    tokens.principal("t")
    clock.now += 4.9
    tokens.principal("t")
    assert len(calls) == 1
    clock.now += 0.2
    tokens.principal("t")
    assert len(calls) == 2


def test_a_forgotten_token_is_verified_again_at_once(clock: Clock) -> None:
    calls, verify = counting(lambda: "principal")
    tokens = VerifiedTokens(5, lambda token: verify(), lambda token: token)
    tokens.principal("t")
    tokens.forget("t")
    tokens.principal("t")
    assert len(calls) == 2


def test_a_failed_verification_is_never_kept(clock: Clock) -> None:
    def refuse(token: str) -> str:
        raise Unauthenticated("unknown token")

    tokens = VerifiedTokens(5, refuse, lambda token: token)
    for _ in range(2):
        with pytest.raises(Unauthenticated):
            tokens.principal("t")
    assert tokens._entries == {}


# email_art: never stale — keyed by the art itself (slug and image description)


def test_email_art_is_made_once_per_art_and_again_for_another() -> None:
    from app.infra.caches.email_art import EmailArt
    calls, build = counting(lambda: b"png bytes")
    art = EmailArt(lambda slug, image: build(), capacity=2)  # type: ignore[arg-type,return-value]
    first = art.base64("streak", '{"color": "blue"}')
    assert art.base64("streak", '{"color": "blue"}') == first and len(calls) == 1
    art.base64("streak", '{"color": "red"}')  # another image: another key
    assert len(calls) == 2
    art.base64("module", "{}")  # full: cleared, still answers
    assert art.base64("streak", '{"color": "blue"}') == first and len(calls) == 4
