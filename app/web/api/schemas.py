"""Marshmallow schemas: they validate requests and generate the OpenAPI document."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from app.achievements.queries import MAX_LIMIT
from app.models.progress import EVENT_KINDS


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class ProgressEventIn(StrictSchema):
    user_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**62))
    kind = fields.String(required=True, validate=validate.OneOf(EVENT_KINDS))
    module = fields.String(validate=validate.Length(min=1, max=200))
    assessment = fields.String(validate=validate.Length(min=1, max=200))
    score = fields.Float(allow_nan=False, validate=validate.Range(min=0, max=1e9))
    occurred_at = fields.AwareDateTime(format="iso", default_timezone=None)
    idempotency_key = fields.String(validate=validate.Length(min=1, max=200))


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

    idempotency_key = fields.String(data_key="Idempotency-Key",
                                    validate=validate.Length(min=1, max=200))


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


class AchievementPage(Schema):
    items = fields.List(fields.Nested(AchievementOut), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class AchievementQuery(StrictSchema):
    user_id = fields.Integer(validate=validate.Range(min=1, max=2**62))
    type = fields.List(fields.String(validate=validate.Length(max=40)))
    since = fields.AwareDateTime(format="iso", default_timezone=None)
    until = fields.AwareDateTime(format="iso", default_timezone=None)
    cursor = fields.String(validate=validate.Length(max=100))
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_LIMIT))
