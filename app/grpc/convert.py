"""Messages <-> the plain values and dicts the domain functions take and return.

Only shape changes live here (enums, timestamps, structs, zero values meaning
"unset"); every rule about what is valid stays in the domain, which raises
:class:`~app.errors.InvalidInput` the same way for REST and gRPC.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from google.protobuf.struct_pb2 import Struct
from google.protobuf.timestamp_pb2 import Timestamp

from app.errors import InvalidInput
from app.grpc.generated.achievements.v1 import achievements_pb2 as pb

DEFAULT_PAGE_SIZE = 20
TYPE_PREFIX = "ACHIEVEMENT_TYPE_"
KIND_PREFIX = "PROGRESS_KIND_"


def timestamp(value: datetime | str | None) -> Timestamp | None:
    """A Timestamp from an aware datetime or an ISO 8601 string (None stays None)."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    message = Timestamp()
    message.FromDatetime(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    return message


def moment(message: Any, field: str) -> datetime | None:
    """The aware UTC datetime of a Timestamp field, or None when the field is unset."""
    if not message.HasField(field):
        return None
    try:
        return getattr(message, field).ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError) as exc:  # outside 0001-01-01..9999-12-31
        raise InvalidInput(f"{field} is out of range", fields={field: ["out of range"]}) from exc


def struct(values: Mapping[str, Any] | None) -> Struct:
    message = Struct()
    message.update(dict(values or {}))
    return message


def type_enum(key: str) -> int:
    """The enum value of a registry key; UNSPECIFIED for a type this proto does not name."""
    try:
        return pb.AchievementType.Value(TYPE_PREFIX + key.upper())
    except ValueError:
        return pb.ACHIEVEMENT_TYPE_UNSPECIFIED


def type_keys(values: Iterable[int]) -> list[str]:
    """Registry keys of a type filter; UNSPECIFIED or unknown numbers are bad input."""
    return [_enum_key(pb.AchievementType, value, TYPE_PREFIX, "types") for value in values]


def kind_key(value: int) -> str:
    return _enum_key(pb.ProgressKind, value, KIND_PREFIX, "kind")


def kind_enum(key: str) -> int:
    return pb.ProgressKind.Value(KIND_PREFIX + key.upper())


def _enum_key(enum: Any, value: int, prefix: str, field: str) -> str:
    name = enum.Name(value) if value in enum.values() else ""
    if not name or name.endswith("_UNSPECIFIED"):
        raise InvalidInput(f"{field} must be set to a known value",
                           fields={field: [f"unknown or unspecified value {value}"]})
    return name.removeprefix(prefix).lower()


def optional_id(value: int, field: str) -> int | None:
    """Proto3 zero means "not given"; a negative id is bad input."""
    if value < 0:
        raise InvalidInput(f"{field} must be positive", fields={field: ["must be positive"]})
    return value or None


def page_size(value: int, maximum: int) -> int:
    """0 means the default; too large is coerced to the maximum (AIP-158)."""
    if value < 0:
        raise InvalidInput("page_size must not be negative", fields={"page_size": ["negative"]})
    return min(value or DEFAULT_PAGE_SIZE, maximum)


def achievement(award: Mapping[str, Any]) -> pb.Achievement:
    """An award in its public dict shape (``award_as_dict``, plus ``learner_name`` where the
    servicer added it) as a message."""
    return pb.Achievement(
        id=award["id"], user_id=award["user_id"], type=type_enum(award["type"]),
        type_key=award["type"], dedupe_key=award["dedupe_key"], title=award["title"],
        description=award.get("description") or "", earned_at=timestamp(award["earned_at"]),
        metadata=struct(award.get("metadata")), badge=award.get("badge", ""),
        badge_url=award.get("badge_url", ""), public=bool(award.get("public")),
        open_badges=_open_badges(award.get("open_badges") or {}),
        learner_name=award.get("learner_name") or "",
    )


def _open_badges(links: Mapping[str, Any]) -> pb.OpenBadgesLinks:
    return pb.OpenBadgesLinks(assertion=links.get("assertion") or "",
                              credential=links.get("credential") or "")


def progress_event(event: Mapping[str, Any]) -> pb.ProgressEvent:
    """A recorded event in its public dict shape (``event_as_dict``) as a message."""
    message = pb.ProgressEvent(
        id=event["id"], user_id=event["user_id"], kind=kind_enum(event["kind"]),
        module=event.get("module") or "", assessment=event.get("assessment") or "",
        occurred_at=timestamp(event["occurred_at"]), recorded_at=timestamp(event["recorded_at"]),
        request_id=event["idempotency_key"],
    )
    if event.get("score") is not None:
        message.score = float(event["score"])
    return message


def after_id(request: Any, field: str = "after_id") -> int | None:
    """Unset: only new awards (or changes); 0 or more: replay everything after that id."""
    if not request.HasField(field):
        return None
    value = int(getattr(request, field))
    if value < 0:
        raise InvalidInput(f"{field} must not be negative", fields={field: ["negative"]})
    return value


_CHANGE_KINDS = {"revoked": pb.STANDING_CHANGE_KIND_REVOKED,
                 "restored": pb.STANDING_CHANGE_KIND_RESTORED}


def standing_change(change: Mapping[str, Any]) -> pb.StandingChange:
    """A revocation or restore (``app.read.standing.change_as_dict``) as a message."""
    return pb.StandingChange(
        id=change["id"], kind=_CHANGE_KINDS.get(change["kind"], 0),
        achievement_id=change["achievement_id"], user_id=change["user_id"],
        reason=change.get("reason") or "", at=timestamp(change["at"]),
        achievement=achievement(change["achievement"]))



def type_info(info: Mapping[str, Any]) -> pb.AchievementTypeInfo:
    """One entry of ``listed_types()`` as a message; a badge's (``badge:<key>``) is of
    type BADGE (a hidden one arrives already masked: no proto field says hidden)."""
    return pb.AchievementTypeInfo(
        type=type_enum(info["key"].partition(":")[0]), type_key=info["key"], title=info["title"],
        description=info["description"], badge=info.get("badge") or info["key"],
        thresholds=[pb.Threshold(key=t["key"], value=float(t["value"]), unit=t["unit"])
                    for t in info.get("thresholds") or ()],
    )


def summary(user_id: int, values: Mapping[str, Any]) -> pb.GetSummaryResponse:
    """``learner_summary()`` as a message."""
    return pb.GetSummaryResponse(
        user_id=user_id, total=values["total"],
        counts=[pb.TypeCount(type=type_enum(key), type_key=key, count=count)
                for key, count in sorted(values["counts"].items())],
        next_milestones=[_milestone(m) for m in values["next_milestones"]],
        rarity=[pb.Rarity(dedupe_key=key, share=share)
                for key, share in sorted(values["rarity"].items())],
    )


def _milestone(level: Mapping[str, Any]) -> pb.MilestoneProgress:
    return pb.MilestoneProgress(
        type=type_enum(level["type"]), type_key=level["type"], dedupe_key=level["key"],
        title=level["title"], current=level["current"], target=level["target"],
        unit=level["unit"], text=level.get("text", ""),
    )
