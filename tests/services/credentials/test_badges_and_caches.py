"""Pure parts: badge definitions and slugs, expiry, the status bitstring, the two caches."""

from __future__ import annotations

import base64
import gzip
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from app.domain.badges import award_slug, definition, expires_at
from app.infra.caches.award_messages import AwardMessages
from app.infra.caches.signed_credentials import SignedCredentials
from app.services.credentials.issuer import identity_hash, iso, salt_for
from app.services.credentials.status_list import LIST_SIZE, encode_list


@pytest.mark.parametrize(("kind", "meta", "slug", "name"), [
    ("module_complete", {"module": "m1"}, "module_complete", "Module complete"),
    ("streak", {"days": 7}, "streak-7", "7-day streak"),
    ("milestone", {"counter": "courses", "threshold": 1}, "milestone-courses-1",
     "1 course completed"),
    ("milestone", {"counter": "modules", "threshold": 25}, "milestone-modules-25",
     "25 modules completed"),
])
def test_one_badge_per_definition(kind, meta, slug, name) -> None:
    assert award_slug(kind, meta) == slug
    badge = definition(slug)
    assert badge is not None and badge.name == name and badge.type == kind and badge.criteria


@pytest.mark.parametrize("slug", ["streak", "milestone", "streak-0", "streak-x",
                                  "milestone-hours-2", "badge:mine", "", "STREAK-7"])
def test_unknown_slugs_name_no_badge(slug) -> None:
    """``badge:<key>`` is reserved for author-defined badges: none exist yet."""
    assert definition(slug) is None


def test_expiry_comes_from_the_rule_settings() -> None:
    earned = datetime(2026, 1, 1, tzinfo=UTC)
    assert expires_at("high_score", earned) is None
    assert expires_at("high_score", earned, {"high_score": {"valid_days": 365}}) == \
        earned + timedelta(days=365)
    assert expires_at("no_such_type", earned, {"no_such_type": {"valid_days": 1}}) is None


def test_recipient_identity_and_dates() -> None:
    salt = salt_for("0b7c8d0e-1f2a-4b3c-8d4e-5f6a7b8c9d0e")
    assert salt == salt_for("0b7c8d0e-1f2a-4b3c-8d4e-5f6a7b8c9d0e") and len(salt) == 16
    assert salt != salt_for("1b7c8d0e-1f2a-4b3c-8d4e-5f6a7b8c9d0e")
    assert identity_hash("a@example.com", "s").startswith("sha256$")
    assert iso(datetime(2026, 5, 1, 12, 0, 1, 999, tzinfo=UTC)) == "2026-05-01T12:00:01Z"


def test_the_bitstring_is_gzip_base64url_most_significant_bit_first() -> None:
    bits = bytearray(LIST_SIZE // 8)
    bits[0] = 0b0100_0000  # index 1
    encoded = encode_list(bytes(bits))
    assert encoded.startswith("u") and "=" not in encoded
    raw = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    assert raw == bytes(bits) and len(raw) * 8 == 131_072
    assert encode_list(bytes(bits)) == encoded  # same bits, same bytes: cacheable


def test_signed_credentials_are_kept_per_content_and_key() -> None:
    cache, calls = SignedCredentials(capacity=2), []

    def sign(payload: bytes) -> str:
        calls.append(payload)
        return f"token:{payload.decode()}"

    assert cache.get("db", "k1", b"a", sign) == "token:a"
    assert cache.get("db", "k1", b"a", sign) == "token:a" and len(calls) == 1
    cache.get("db", "k2", b"a", sign)  # another key: signed anew
    cache.get("db", "k1", b"b", sign)  # another version: signed anew, oldest dropped
    assert len(calls) == 3 and cache.signed == 3
    cache.get("db", "k1", b"a", sign)
    assert len(calls) == 4


def test_award_messages_are_kept_per_sharing_state() -> None:
    """The list cache's premise: an award's message changes only when it is (un)shared."""
    rows = {1: SimpleNamespace(id=1, public=False), 2: SimpleNamespace(id=2, public=False)}
    loads: list[list[int]] = []

    def load(ids):
        loads.append(list(ids))
        return [rows[i] for i in ids]

    messages = AwardMessages(load, lambda row: f"{row.id}:{row.public}".encode())
    assert messages.encoded([(2, False), (1, False)]) == [b"2:False", b"1:False"]
    assert messages.encoded([(2, False)]) == [b"2:False"] and loads == [[2, 1]]
    rows[2] = SimpleNamespace(id=2, public=True)  # shared: the page now reads (2, True)
    assert messages.encoded([(2, True), (1, False)]) == [b"2:True", b"1:False"]
    assert loads == [[2, 1], [2]]
    rows[2] = SimpleNamespace(id=2, public=False)  # unshared before the load: shown as loaded
    assert messages.encoded([(2, False)]) == [b"2:False"]


def test_an_author_defined_badge_is_named_by_its_key() -> None:
    meta = {"badge": "night-owl", "expires_after_days": 10}
    assert award_slug("badge", meta) == "badge:night-owl"
    earned = datetime(2026, 1, 1, tzinfo=UTC)
    assert expires_at("badge", earned, None, meta) == earned + timedelta(days=10)
    assert expires_at("badge", earned, None, {"badge": "x"}) is None
    assert definition("badge:night-owl") is None  # resolved from its awards, by the services
