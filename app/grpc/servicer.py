"""``achievements.v1.AchievementService``: convert messages, call the domain, convert back.

Like grpc's route_guide servicer, and like the REST routes: authorization is
``subject_for_read``/``subject_for_write``, writes go through
``record_progress``, reads through ``app.read`` — the same functions
REST calls. The interceptor has already opened the app context, verified the
token and checked the RPC's scope; it also turns domain errors into codes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import Any

import grpc
from flask import Flask

from app.errors import InvalidInput
from app.grpc import convert
from app.grpc.generated.achievements.v1 import achievements_pb2 as pb
from app.grpc.generated.achievements.v1 import achievements_pb2_grpc as pb_grpc
from app.grpc.interceptors import current_principal
from app.grpc.language import call_locale
from app.grpc.streams import StreamGate
from app.infra.caches.award_messages import AwardMessages
from app.models.types import utcnow
from app.read.achievement_types import listed_types
from app.read.history import (
    MAX_LIMIT,
    HistoryFilter,
    awards_by_ids,
    get_achievement,
    history_versions,
    read_without_transaction,
)
from app.read.live import Framing, follow
from app.read.people import learner_names
from app.read.shapes import award_as_dict
from app.read.standing import is_change
from app.read.summary import CachedSummaries
from app.read.wording import localize_award, localize_summary, localize_type
from app.services.accounts import subject_for_read, subject_for_write
from app.services.recording import ProgressInput, record_progress
from app.services.recording.service import event_as_dict

GRPC_FEED = Framing(via="grpc")  # awards as dicts; counted as gRPC feeds

class AchievementServicer(pb_grpc.AchievementServiceServicer):
    def __init__(self, app: Flask, gate: StreamGate) -> None:
        self.app = app
        self.gate = gate
        # Encoded awards and summaries per language: built-in words differ by locale.
        self.awards: dict[str, AwardMessages] = {}
        self.summaries: dict[str, CachedSummaries[pb.GetSummaryResponse]] = {}

    def _awards(self, locale: str) -> AwardMessages:
        if locale not in self.awards:
            self.awards[locale] = AwardMessages(_award_rows, partial(_encoded_award, locale))
        return self.awards[locale]

    def _summaries(self, locale: str) -> CachedSummaries[pb.GetSummaryResponse]:
        if locale not in self.summaries:
            self.summaries[locale] = CachedSummaries(partial(_summary_message, locale))
        return self.summaries[locale]

    def RecordProgress(self, request: pb.RecordProgressRequest,
                       context: grpc.ServicerContext) -> pb.RecordProgressResponse:
        principal = current_principal()
        user_id = subject_for_write(principal, convert.optional_id(request.user_id, "user_id"))
        result = record_progress(ProgressInput(
            user_id=user_id, kind=convert.kind_key(request.kind),
            occurred_at=convert.moment(request, "occurred_at"), idempotency_key=request.request_id,
            module=request.module or None, assessment=request.assessment or None,
            score=request.score if request.HasField("score") else None,
            source=principal.caller_key,
        ))
        return pb.RecordProgressResponse(event=convert.progress_event(event_as_dict(result.event)))

    def ListAchievements(self, request: pb.ListAchievementsRequest,
                         context: grpc.ServicerContext) -> pb.ListAchievementsResponse:
        """The page's award ids from one query; their messages mostly from ``self.awards``."""
        user_id = self._reader_subject(request.user_id)
        filters = HistoryFilter(types=convert.type_keys(request.types),
                                since=convert.moment(request, "earned_after"),
                                until=convert.moment(request, "earned_before"))
        page = history_versions(user_id, filters, request.page_token or None,
                           convert.page_size(request.page_size, MAX_LIMIT))
        encoded = self._awards(call_locale(request, context)).encoded(page.items)
        return _named(_listing(encoded, page.next_cursor or ""), user_id, page.learner_name)

    def GetAchievement(self, request: pb.GetAchievementRequest,
                       context: grpc.ServicerContext) -> pb.GetAchievementResponse:
        read_without_transaction()  # read-only RPC: no BEGIN/ROLLBACK round trips
        user_id = self._reader_subject(request.user_id)
        award = get_achievement(user_id, request.id)
        shown = localize_award(award_as_dict(award), call_locale(request, context))
        shown["learner_name"] = learner_names([user_id]).get(user_id, "")
        return pb.GetAchievementResponse(achievement=convert.achievement(shown))

    def GetSummary(self, request: pb.GetSummaryRequest,
                   context: grpc.ServicerContext) -> pb.GetSummaryResponse:
        """Answered again from ``self.summaries`` while the learner's version is unchanged."""
        summaries = self._summaries(call_locale(request, context))
        return summaries.get(self._reader_subject(request.user_id))

    def ListAchievementTypes(self, request: pb.ListAchievementTypesRequest,
                             context: grpc.ServicerContext) -> pb.ListAchievementTypesResponse:
        overrides = self.app.config["ACHIEVEMENTS_CONFIG"].RULES
        locale = call_locale(request, context)
        return pb.ListAchievementTypesResponse(
            types=[convert.type_info(localize_type(info, locale))
                   for info in listed_types(overrides)])

    def WatchAchievements(self, request: pb.WatchAchievementsRequest,
                          context: grpc.ServicerContext) -> Iterator[pb.WatchAchievementsResponse]:
        user_id = self._watched(request)
        after = (convert.after_id(request), convert.after_id(request, "after_change_id"))
        locale = call_locale(request, context)
        with self.gate.admit(context, user_id) as stopped:
            yield from _watch(self.app, user_id, after, self.gate.heartbeat, stopped, locale)

    def _reader_subject(self, user_id: int) -> int:
        return subject_for_read(current_principal(), convert.optional_id(user_id, "user_id"))

    def _watched(self, request: pb.WatchAchievementsRequest) -> int | None:
        """The learner to follow, or None for everyone (the interceptor checked the admin scope)."""
        if request.all_learners:
            if request.user_id:
                raise InvalidInput("user_id must be 0 when all_learners is set",
                                   fields={"user_id": ["must be 0 with all_learners"]})
            return None
        return self._reader_subject(request.user_id)


def _encoded_award(locale: str, row: Any) -> bytes:
    """One award as a one-award list response: a page is its awards' bytes joined."""
    message = convert.achievement(localize_award(award_as_dict(row), locale))
    return pb.ListAchievementsResponse(achievements=[message]).SerializeToString()


def _listing(encoded: Sequence[bytes], next_page_token: str) -> pb.ListAchievementsResponse:
    response = pb.ListAchievementsResponse.FromString(b"".join(encoded))
    response.next_page_token = next_page_token
    return response


def _named(response: pb.ListAchievementsResponse, user_id: int,
           name: str | None) -> pb.ListAchievementsResponse:
    """The page with its learner's current name (read with the page on PostgreSQL, else
    here): kept award messages carry none, so a rename needs no invalidation."""
    if response.achievements:
        if name is None:
            name = learner_names([user_id]).get(user_id, "")
        for message in response.achievements:
            message.learner_name = name
    return response


def _award_rows(ids: Sequence[int]) -> list[Any]:
    read_without_transaction()  # read-only RPC: no BEGIN/ROLLBACK round trips
    return awards_by_ids(ids)


def _summary_message(locale: str, user_id: int,
                     values: dict[str, Any]) -> pb.GetSummaryResponse:
    return convert.summary(user_id, localize_summary(values, locale))


def _watch(app: Flask, user_id: int | None, after: tuple[int | None, int | None],
           heartbeat: float, stopped: Callable[[], bool],
           locale: str = "en") -> Iterator[pb.WatchAchievementsResponse]:
    after_id, after_change = after
    for item in follow(app, user_id, after_id, heartbeat, stopped, framing=GRPC_FEED,
                       after_change=after_change):
        if item is None:
            yield pb.WatchAchievementsResponse(heartbeat=_heartbeat())
        elif is_change(item):
            award = _with_name(app, localize_award(item["achievement"], locale))
            change = convert.standing_change({**item, "achievement": award})
            yield pb.WatchAchievementsResponse(standing_change=change)
        else:
            award = _with_name(app, localize_award(item, locale))
            yield pb.WatchAchievementsResponse(achievement=convert.achievement(award))


def _with_name(app: Flask, award: dict[str, Any]) -> dict[str, Any]:
    """The award with its learner's name, read as it is sent (a stream may outlive a rename)."""
    with app.app_context():
        names = learner_names([award["user_id"]])
    return {**award, "learner_name": names.get(award["user_id"], "")}


def _heartbeat() -> pb.Heartbeat:
    return pb.Heartbeat(sent_at=convert.timestamp(utcnow()))

