"""Marshmallow schemas: they validate requests, shape replies and generate the OpenAPI doc."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from app.domain import rules as _rules  # noqa: F401  (registers every type)
from app.domain.registry import RULES
from app.models.progress import EVENT_KINDS
from app.read.history import MAX_LIMIT
from app.services.awarding.revocation import MAX_REASON

MAX_ID = 2**31 - 1  # ids are 32-bit integers in the schema
ACHIEVEMENT_TYPES = sorted(RULES)


class Text(fields.String):
    """A string the database can store: no NUL characters, no lone surrogates."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in text:
            raise ValidationError("must not contain NUL characters")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValidationError("must be valid Unicode text") from exc
        return text


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


def _id(*, strict: bool = False, **kwargs: Any) -> fields.Integer:
    """An id; ``strict`` (JSON bodies) refuses "3" and 3.0 where 3 is meant."""
    return fields.Integer(strict=strict, validate=validate.Range(min=1, max=MAX_ID), **kwargs)


class ProgressEventIn(StrictSchema):
    user_id = _id(strict=True, required=True)
    kind = fields.String(required=True, validate=validate.OneOf(EVENT_KINDS))
    module = Text(validate=validate.Length(min=1, max=200),
                  metadata={"description": "module key (module_completed)"})
    assessment = Text(validate=validate.Length(min=1, max=200),
                      metadata={"description": "assessment key (assessment_scored)"})
    score = fields.Float(allow_nan=False, validate=validate.Range(min=0, max=1e9))
    occurred_at = fields.AwareDateTime(format="iso", default_timezone=None,
                                       metadata={"description": "RFC 3339 with offset; "
                                                 "defaults to now"})
    idempotency_key = Text(validate=validate.Length(min=1, max=200),
                           metadata={"description": "or the Idempotency-Key header"})


class ProgressEventOut(Schema):
    id = fields.Integer(required=True)
    user_id = fields.Integer(required=True)
    kind = fields.String(required=True)
    module = fields.String()
    assessment = fields.String()
    score = fields.Float()
    occurred_at = fields.DateTime(required=True)
    recorded_at = fields.DateTime(required=True)
    idempotency_key = fields.String(required=True)


class IdempotencyHeader(Schema):
    class Meta:
        unknown = "exclude"

    idempotency_key = Text(data_key="Idempotency-Key", validate=validate.Length(min=1, max=200),
                           metadata={"description": "same key and body replay the first answer; "
                                     "keys are per caller"})


class OpenBadgesLinks(Schema):
    assertion = fields.String(required=True, allow_none=True,
                              metadata={"description": "Open Badges 2.0 Assertion URL; null "
                                        "while private"})
    credential = fields.String(required=True, allow_none=True,
                               metadata={"description": "Open Badges 3.0 credential (VC-JWT) "
                                         "URL; null while private"})


class Revocation(Schema):
    at = fields.String(required=True, metadata={"format": "date-time"})
    reason = fields.String(required=True, allow_none=True)


class AchievementOut(Schema):
    id = fields.Integer(required=True)
    user_id = fields.Integer(required=True)
    type = fields.String(required=True)
    dedupe_key = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    earned_at = fields.String(required=True, metadata={"format": "date-time"})
    metadata = fields.Dict(required=True)
    badge = fields.String()
    badge_url = fields.String()
    public = fields.Boolean(required=True, metadata={"description": "shared by its learner"})
    open_badges = fields.Nested(OpenBadgesLinks, required=True)
    revoked = fields.Nested(Revocation, metadata={
        "description": "only on a revoked award (listed with `include_revoked=true`): "
                       "when and why it was revoked"})


class StrictBoolean(fields.Boolean):
    """JSON true or false only (1, "yes" and "true" are refused)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class SharingIn(StrictSchema):
    public = StrictBoolean(required=True,
                            metadata={"description": "share (true) or unshare (false)"})


class AchievementPage(Schema):
    items = fields.List(fields.Nested(AchievementOut), required=True)
    next_cursor = fields.String(allow_none=True, required=True,
                                metadata={"description": "pass as `cursor` for the next page; "
                                          "null on the last page"})


class SubjectQuery(StrictSchema):
    user_id = _id(metadata={"description": "the learner; defaults to the logged-in user"})


class AchievementQuery(SubjectQuery):
    type = fields.List(fields.String(validate=validate.OneOf(ACHIEVEMENT_TYPES)),
                       metadata={"description": "repeatable: any of these types"})
    since = fields.AwareDateTime(format="iso", default_timezone=None,
                                 metadata={"description": "earned at or after (inclusive)"})
    until = fields.AwareDateTime(format="iso", default_timezone=None,
                                 metadata={"description": "earned before (exclusive)"})
    cursor = Text(validate=validate.Length(max=100), metadata={"description": "opaque"})
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_LIMIT))
    include_revoked = fields.Boolean(metadata={
        "description": "also list revoked awards, each with `revoked` {at, reason} "
                       "(default false: revoked awards are hidden)"})


_CANONICAL_ID = re.compile(r"[1-9][0-9]{0,9}\Z")
_CURSOR_CHARS = re.compile(r"[A-Za-z0-9_-]{1,100}\Z")  # what encode_cursor writes
_TYPE_SET = frozenset(ACHIEVEMENT_TYPES)


def canonical_achievement_query(lists: Mapping[str, list[str]]) -> dict[str, Any] | None:
    """``AchievementQuery().load`` of a plain history query, without marshmallow; else None.

    ``lists`` is the query string's values per key. Only keys given once in
    canonical form (decimal ids in range, known types, a cursor in
    ``encode_cursor``'s alphabet) are read here; anything else (``since``,
    ``until``, repeats, signs, unknown keys) returns None and the schema itself
    answers, errors included. Tests check equality with the schema's load.
    """
    loaded: dict[str, Any] = {"limit": 20}
    for key, values in lists.items():
        if key == "type" and _TYPE_SET.issuperset(values):
            loaded["type"] = list(values)
            continue
        read = _CANONICAL_READERS.get(key)
        value = read(values[0]) if read is not None and len(values) == 1 else None
        if value is None:
            return None
        loaded[key] = value
    return loaded


def _id_in(low: int, high: int) -> Callable[[str], int | None]:
    def read(text: str) -> int | None:
        number = int(text) if _CANONICAL_ID.match(text) else 0
        return number if low <= number <= high else None
    return read


_CANONICAL_READERS: dict[str, Callable[[str], Any]] = {
    "user_id": _id_in(1, MAX_ID),
    "limit": _id_in(1, MAX_LIMIT),
    "cursor": lambda text: text if _CURSOR_CHARS.match(text) else None,
}


class RevokeIn(StrictSchema):
    reason = Text(required=True, validate=validate.Length(min=1, max=MAX_REASON),
                  metadata={"description": "why; kept with the award for the audit trail"})


class RevokedOut(AchievementOut):
    revoked_at = fields.DateTime(required=True)
    revoked_reason = fields.String(required=True)
    revoked_by = fields.String(required=True)


class NextMilestone(Schema):
    key = fields.String(required=True, metadata={"description": "dedupe key of the level"})
    type = fields.String(required=True)
    title = fields.String(required=True)
    current = fields.Integer(required=True)
    target = fields.Integer(required=True)
    unit = fields.String(required=True, metadata={"description": "modules, courses or days"})
    text = fields.String(required=True)


class SummaryOut(Schema):
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                         metadata={"description": "unrevoked awards per type"})
    total = fields.Integer(required=True)
    next_milestones = fields.List(fields.Nested(NextMilestone), required=True)
    rarity = fields.Dict(keys=fields.String(), values=fields.Float(), required=True,
                         metadata={"description": "share of learners (0..1) holding each key"})


class Threshold(Schema):
    key = fields.String(required=True)
    value = fields.Float(required=True)
    unit = fields.String(required=True)


class AchievementTypeOut(Schema):
    key = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    thresholds = fields.List(fields.Nested(Threshold), required=True)
    badge = fields.String(required=True)
    badge_url = fields.String(required=True)
    hidden = fields.Boolean(required=True, metadata={"description": "a hidden badge: a "
                                                     "locked mystery until earned"})


class HealthOut(Schema):
    status = fields.String(required=True, metadata={"description": "ok or unavailable"})
    checks = fields.Dict(keys=fields.String(), values=fields.String(),
                         metadata={"description": "per dependency: ok, or the error"})
