"""Telling learners what happened, by email and Web Push: what the use cases call.

Use cases write notices in their own transaction (:mod:`.outbox`) and wake the relay
after commit (:mod:`.kick`); the relay itself, the kinds and their templates are in
``app.services.delivery``, which this package must not import (it imports awarding).
"""

from app.services.notifications.kick import RELAY_TASK, kick
from app.services.notifications.outbox import coalesce_seconds, queue_awards, queue_changes

__all__ = ["RELAY_TASK", "coalesce_seconds", "kick", "queue_awards", "queue_changes"]
