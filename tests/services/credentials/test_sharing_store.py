"""Public ids on both insert paths, sharing rules and the status list, on both databases."""

from __future__ import annotations

import uuid

import pytest

from app.domain.registry import AwardDue
from app.errors import Conflict, NotFound
from app.extensions import db
from app.infra.signing import forget_active_key
from app.models import Achievement
from app.read.history import HistoryFilter, history_versions
from app.services.accounts import Principal
from app.services.awarding.awards import store_awards, store_live_awards
from app.services.awarding.revocation import revoke_award
from app.services.credentials import find_shared, set_sharing
from app.services.credentials.status_list import LIST_SIZE, revoked_bits

pytestmark = pytest.mark.both_databases


def due(key: str) -> AwardDue:
    return AwardDue("module_complete", f"module_complete:{key}", f"Module {key}", "", {})


@pytest.fixture(autouse=True)
def _fresh_key() -> None:
    forget_active_key()  # a PostgreSQL database is emptied between tests


def test_every_insert_path_fills_a_unique_public_id(app, make_user) -> None:
    ann, bob = make_user(), make_user()
    db.session.commit()
    batch = store_awards({ann.id: [due("a"), due("b")], bob.id: [due("a")]},
                         source_event_id=None)
    live = store_live_awards({ann.id: [due("c")]}, {})
    db.session.commit()
    rows = db.session.query(Achievement).all()
    ids = [row.public_id for row in rows]
    assert len(rows) == 4 and len(set(ids)) == 4 == len(batch) + len(live)
    assert all(uuid.UUID(public_id).version == 4 for public_id in ids)
    assert not any(row.public for row in rows)


def test_only_the_learner_or_an_admin_shares(app, make_user) -> None:
    ann, bob = make_user(), make_user()
    db.session.commit()
    [stored] = store_awards({ann.id: [due("a")]}, source_event_id=None)
    db.session.commit()
    with pytest.raises(NotFound):
        set_sharing(stored.id, Principal.user(bob.id, "learner"), True)
    with pytest.raises(NotFound):
        set_sharing(stored.id, Principal.service(1, "reader", frozenset({"achievements:read"})),
                    True)
    with pytest.raises(NotFound):
        set_sharing(2**63, Principal.user(ann.id, "learner"), True)
    award = set_sharing(stored.id, Principal.user(ann.id, "learner"), True)
    assert award.public and find_shared(award.public_id) is not None
    assert history_versions(ann.id, HistoryFilter()).items == [(stored.id, True)]
    admin = Principal.service(2, "ops", frozenset({"achievements:admin"}))
    assert set_sharing(stored.id, admin, False).public is False
    assert find_shared(award.public_id) is None


def test_revocation_sets_the_status_bit_and_blocks_sharing(app, make_user) -> None:
    ann = make_user()
    db.session.commit()
    stored = store_awards({ann.id: [due("a"), due("b")]}, source_event_id=None)
    db.session.commit()
    revoke_award(stored[1].id, "error", "admin@example.com")
    bits = revoked_bits(0)
    assert len(bits) * 8 == LIST_SIZE

    def bit(index: int) -> bool:
        return bool(bits[index // 8] & (0x80 >> (index % 8)))

    assert bit(stored[1].id) and not bit(stored[0].id)
    assert not any(revoked_bits(1))
    with pytest.raises(Conflict):
        set_sharing(stored[1].id, Principal.service(2, "ops", frozenset({"achievements:admin"})),
                    True)
    with pytest.raises(Conflict):  # its learner keeps its page, but cannot share it
        set_sharing(stored[1].id, Principal.user(ann.id, "learner"), True)
    # ...and can still stop sharing it (issue 27: unsharing must stay possible)
    assert set_sharing(stored[1].id, Principal.user(ann.id, "learner"), False).public is False
