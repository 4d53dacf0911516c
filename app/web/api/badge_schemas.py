"""Marshmallow schemas of ``/api/v1/badges``: they shape the documents and the OpenAPI doc.

A definition's ``criteria`` (and ``image``) are free-form JSON here on purpose: the
badge service validates the tree and names the failing path (``criteria.all[1].holds``),
which a schema could not. The schema checks only what every JSON value must be to
be stored: text without NUL characters or lone surrogates.
"""

from __future__ import annotations

import math
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from app.domain.badge_rules import KEY, MAX_DESCRIPTION, MAX_TITLE
from app.web.api.schemas import StrictBoolean, StrictSchema, Text

KEY_PATTERN = KEY.pattern
MAX_DAYS = 36_500


class Json(fields.Dict):
    """A JSON object whose every string (keys included) the database can store."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        loaded = super()._deserialize(value, attr, data, **kwargs)
        _check_text(loaded)
        return loaded


def _check_text(value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _check_text(key)
            _check_text(item)
    elif isinstance(value, list):
        for item in value:
            _check_text(item)
    elif isinstance(value, str):
        Text()._deserialize(value, None, None)
    elif isinstance(value, float) and not math.isfinite(value):
        raise ValidationError("must not contain NaN or Infinity")


CRITERIA_DOC = {"description": "the criteria tree (all / any / at_least+of over "
                "module_complete, unit_complete, course_complete, score_at_least, "
                "modules_completed, streak_days, holds); see the design"}


class BadgeEdit(StrictSchema):
    """A definition as PUT takes it: the key comes from the path (if given, it must match)."""

    key = Text(validate=validate.Regexp(KEY_PATTERN), metadata={"pattern": KEY_PATTERN})
    title = Text(required=True, validate=validate.Length(min=1, max=MAX_TITLE))
    description = Text(validate=validate.Length(max=MAX_DESCRIPTION))
    criteria = Json(required=True, metadata=CRITERIA_DOC)
    hidden = StrictBoolean(metadata={"description": "a locked mystery until earned"})
    expires_after_days = fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(min=1, max=MAX_DAYS),
        metadata={"description": "sets expires_at on each award; null: never"})
    image = Json(metadata={"description": "badge design; empty: the default design"})


class BadgeIn(BadgeEdit):
    """A new badge's definition (POST)."""

    key = Text(required=True, validate=validate.Regexp(KEY_PATTERN),
               metadata={"pattern": KEY_PATTERN})


class PublishIn(StrictSchema):
    dry_run = StrictBoolean(load_default=False,
                            metadata={"description": "count who would earn it now; award "
                                      "nothing"})
    notify = StrictBoolean(load_default=False,
                           metadata={"description": "backfilled awards notify their learners "
                                     "(default: silent)"})


class BadgeVersionOut(Schema):
    version = fields.Integer(required=True)
    created_at = fields.String(required=True, metadata={"format": "date-time"})
    created_by = fields.String(required=True)


class BadgeOut(Schema):
    key = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": "draft, published or "
                                                    "archived"})
    version = fields.Integer(required=True, metadata={"description": "the latest version"})
    published_version = fields.Integer(required=True, allow_none=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    criteria = fields.Dict(required=True)
    hidden = fields.Boolean(required=True)
    expires_after_days = fields.Integer(required=True, allow_none=True)
    image = fields.Dict(required=True)
    dedupe_key = fields.String(required=True, metadata={"description": "badge:<key>"})
    created_at = fields.String(required=True, metadata={"format": "date-time"})
    versions = fields.List(fields.Nested(BadgeVersionOut), required=True)


class PublishOut(Schema):
    key = fields.String(required=True)
    version = fields.Integer(required=True)
    would_earn = fields.Integer(metadata={"description": "dry run: learners who would earn "
                                          "it now"})
    awarded = fields.Integer(metadata={"description": "learners awarded by the backfill"})


class AwardIn(StrictSchema):
    """Give a published badge by hand. ``learners`` items are checked by the service, which
    names each failing one by its place (``learners[3]``): the whole list is refused."""

    learners = fields.List(fields.Raw(), required=True, metadata={
        "description": '[{"user_id": N} | {"email": "..."}], at most 10,000',
        "items": {"type": "object"}})
    narrative = Text(allow_none=True, validate=validate.Length(max=MAX_DESCRIPTION),
                     metadata={"description": "why it is given (Open Badges evidence)"})
    evidence_url = Text(allow_none=True, metadata={"description": "an https:// URL of the "
                                                   "work it recognizes"})
    notify = StrictBoolean(load_default=True, metadata={
        "description": "learners see it live and are notified (default true)"})
    dry_run = StrictBoolean(load_default=False, metadata={
        "description": "answer who would receive it; award nothing"})


class GivenOut(Schema):
    user_id = fields.Integer(required=True)
    achievement_id = fields.Integer(required=True, allow_none=True,
                                    metadata={"description": "null in a dry run"})


class AwardOut(Schema):
    awarded = fields.List(fields.Nested(GivenOut), required=True)
    already_held = fields.List(fields.Integer(), required=True, metadata={
        "description": "user ids who hold it already (revoked included: restore it instead)"})
    dry_run = fields.Boolean(required=True)
