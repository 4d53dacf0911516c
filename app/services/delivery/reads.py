"""What a claim's messages need of the database, read once per claim: the recipients, the
awards the notices speak of and the recipients' notice switches. Three statements for a
claim of up to ``relay.BATCH`` messages instead of three per message, which were half of
the relay's database time (py-spy, ``bench/notifications.py``).

Read as plain values, not ORM rows: the commit after each message sent would expire ORM
rows and reload each one on its next use. They are as fresh as the claim: a switch turned
off or an award revoked while the claim's earlier messages go out is seen from the next
claim on (a claim is sent within about a second).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import Achievement, User
from app.services.delivery.claims import Message
from app.services.notifications.preferences import Chosen, chosen_switches, wanted


@dataclass(frozen=True)
class Recipient:
    """The learner a message goes to, as sending needs them."""

    id: int
    email: str
    display_name: str | None
    locale: str | None
    timezone: str | None


@dataclass(frozen=True)
class AwardFacts:
    """An award as its notices show it."""

    id: int
    user_id: int
    achievement_type: str
    meta: dict[str, Any] | None
    title: str
    description: str
    earned_at: datetime
    revoked_at: datetime | None


AWARD_COLUMNS = (Achievement.id, Achievement.user_id, Achievement.achievement_type,
                 Achievement.meta, Achievement.title, Achievement.description,
                 Achievement.earned_at, Achievement.revoked_at)


def award_facts(condition: Any) -> list[AwardFacts]:
    """The awards matching ``condition``, by id."""
    rows = db.session.execute(select(*AWARD_COLUMNS).where(condition).order_by(Achievement.id))
    return [AwardFacts(*row) for row in rows]


@dataclass(frozen=True)
class ClaimReads:
    """What :func:`read_for` found: recipients and awards by id, and the switches chosen."""

    recipients: dict[int, Recipient]
    awards: dict[int, AwardFacts]
    switches: Chosen

    def wants(self, user_id: int, kind: str, channel: str) -> bool:
        return wanted(self.switches, user_id, kind, channel)

    def awards_of(self, user_id: int, ids: Iterable[int | None]) -> list[AwardFacts]:
        """The learner's awards among ``ids``, by id (another learner's never)."""
        found = (self.awards.get(i) for i in sorted({i for i in ids if i}))
        return [a for a in found if a is not None and a.user_id == user_id]


def read_for(messages: list[Message]) -> ClaimReads:
    """Everything the messages of one claim need; ends its read transaction."""
    users = sorted({m.user_id for m in messages})
    award_ids = sorted({i for m in messages for r in m.rows for i in r.award_ids})
    recipients = {row[0]: Recipient(*row) for row in db.session.execute(select(
        User.id, User.email, User.display_name, User.locale, User.timezone)
        .where(User.id.in_(users)))}
    awards = {a.id: a for a in award_facts(Achievement.id.in_(award_ids))} if award_ids else {}
    reads = ClaimReads(recipients, awards, chosen_switches(users))
    db.session.commit()  # no transaction held while the messages go out
    return reads
