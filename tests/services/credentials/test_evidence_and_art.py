"""Pure parts: which awards carry evidence and in what shape, and the tokens naming art."""

from __future__ import annotations

import pytest

from app.errors import NotFound
from app.services.credentials.evidence import (
    Evidence,
    evidence_of,
    ob2_evidence,
    ob3_evidence,
)
from app.services.credentials.own_art import art_token, image_of

NOTE = {"by": "Ida", "narrative": " Led the lab. ", "evidence_url": "https://example.org/x"}


@pytest.mark.parametrize(("kind", "meta", "expected"), [
    ("badge", {"by_hand": NOTE}, Evidence("Led the lab.", "https://example.org/x")),
    ("badge", {"by_hand": {**NOTE, "evidence_url": None}}, Evidence("Led the lab.", None)),
    ("badge", {"by_hand": {**NOTE, "narrative": None}}, Evidence(None, "https://example.org/x")),
    ("badge", {"by_hand": {**NOTE, "narrative": "", "evidence_url": "javascript:x()"}}, None),
    ("badge", {"by_hand": {"by": "Ida", "narrative": None, "evidence_url": None}}, None),
    ("badge", {"by_hand": "yes"}, None),
    ("badge", {"badge": "lab"}, None),
    ("badge", None, None),
    ("module_complete", {"by_hand": NOTE}, None),  # only author-defined badges are given
])
def test_only_a_note_given_by_hand_is_evidence(kind, meta, expected) -> None:
    assert evidence_of(kind, meta) == expected


def test_the_two_shapes() -> None:
    both = Evidence("Why.", "https://example.org/x")
    assert ob2_evidence(both) == [{"type": "Evidence", "id": "https://example.org/x",
                                   "narrative": "Why."}]
    assert ob3_evidence(Evidence("Why.", None)) == [{"type": ["Evidence"], "narrative": "Why."}]


@pytest.mark.parametrize(("image", "token"), [
    ({"design": "shield", "color": "#0F766E", "glyph": "star"}, "design-shield-0f766e-star"),
    ({"upload": "a" * 64}, "upload-" + "a" * 64),
    ({}, None), (None, None),
    ({"design": "blob", "color": "#0f766e", "glyph": "star"}, None),
    ({"upload": "../../etc/passwd"}, None),
])
def test_art_tokens_name_exactly_what_draws_the_art(image, token) -> None:
    assert art_token(image) == token
    if token is not None:
        assert art_token(image_of(token)) == token


@pytest.mark.parametrize("token", ["design-shield-0f766e-skull", "upload-abc", "", "badge",
                                   "default"])  # served by own_png, not an ``image`` value
def test_a_token_that_draws_nothing_names_nothing(token) -> None:
    with pytest.raises(NotFound):
        image_of(token)
