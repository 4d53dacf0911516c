"""A badge given by hand leaves the service with its note: Open Badges ``evidence`` (2.0
Assertion, 3.0 credential, both checked by independent verifiers) and the public page.

Awards are stored directly with the metadata the by-hand path writes, so these tests
hold the documents to the shape, whichever way the award was made.
"""

from __future__ import annotations

import pytest
from openbadgeslib.ob3.verifier import OB3Verifier

from app.domain.registry import AwardDue
from app.extensions import db
from app.infra.signing import forget_active_key
from app.models import Achievement, User
from app.services.awarding.awards import insert_awards
from tests.web.test_openbadges_v3 import served_public_pem, verify_with_jwcrypto

NOTE = "Led the **lab** session.\nHelped three classmates."
PORTFOLIO = "https://portfolio.example.org/ann/lab-3"


@pytest.fixture(autouse=True)
def _fresh_key() -> None:
    forget_active_key()  # a PostgreSQL database is emptied between tests: so are its keys


def hand_award(user: User, *, narrative: str | None = NOTE, url: str | None = PORTFOLIO,
               by: str = "teacher@example.com", image: dict | None = None,
               version: int = 1, key: str = "lab-lead") -> Achievement:
    """An author-defined badge given by hand, shared: a row as ``by_hand.give`` stores it."""
    meta = {"badge": key, "version": version, "hidden": False, "expires_after_days": None,
            "image": image or {},
            "by_hand": {"by": by, "narrative": narrative, "evidence_url": url}}
    [stored] = insert_awards(user.id, [AwardDue(
        "badge", f"badge:{key}", "Lab lead", "Ran a lab session.", meta)], source_event_id=None)
    stored.public = True
    db.session.commit()
    return stored


def credential_claims(client, stored: Achievement) -> dict:
    token = client.get(f"/ob/v3/credentials/{stored.public_id}").get_data(as_text=True)
    return verify_with_jwcrypto(client, token)[1]


@pytest.mark.both_databases
def test_the_note_is_evidence_in_both_versions(client, people) -> None:
    stored = hand_award(people["ann"])
    assertion = client.get(f"/ob/v2/assertions/{stored.public_id}").get_json()
    assert assertion["evidence"] == [{"type": "Evidence", "id": PORTFOLIO, "narrative": NOTE}]
    assert assertion["narrative"] == "Ran a lab session."  # the award's own, unchanged
    claims = credential_claims(client, stored)
    assert claims["evidence"] == [{"type": ["Evidence"], "id": PORTFOLIO, "narrative": NOTE}]


def test_who_gave_it_stays_inside(client, people) -> None:
    """``by`` may be a staff email: no public document or page names it."""
    stored = hand_award(people["ann"], by="teacher@example.com")
    for path in (f"/ob/v2/assertions/{stored.public_id}", f"/ob/v3/credentials/{stored.public_id}",
                 f"/badges/{stored.public_id}", "/ob/v2/badges/badge:lab-lead"):
        assert "teacher@example.com" not in client.get(path).get_data(as_text=True), path


@pytest.mark.parametrize(("narrative", "url", "expected"), [
    (NOTE, None, {"narrative": NOTE}),
    (None, PORTFOLIO, {"id": PORTFOLIO}),
    ("  ", "javascript:alert(1)", None),  # blank text, unsafe link: nothing to carry
    (None, None, None),
])
def test_only_what_the_note_holds_is_carried(client, people, narrative, url, expected) -> None:
    stored = hand_award(people["ann"], narrative=narrative, url=url)
    assertion = client.get(f"/ob/v2/assertions/{stored.public_id}").get_json()
    claims = credential_claims(client, stored)
    if expected is None:
        assert "evidence" not in assertion and "evidence" not in claims
    else:
        assert assertion["evidence"] == [{"type": "Evidence", **expected}]
        assert claims["evidence"] == [{"type": ["Evidence"], **expected}]


def test_awards_not_given_by_hand_carry_no_evidence(client, people) -> None:
    meta = {"badge": "night-owl", "version": 1, "hidden": False, "expires_after_days": None,
            "image": {}}
    [stored] = insert_awards(people["ann"].id, [AwardDue(
        "badge", "badge:night-owl", "Night owl", "Late.", meta)], source_event_id=None)
    stored.public = True
    db.session.commit()
    assert "evidence" not in client.get(f"/ob/v2/assertions/{stored.public_id}").get_json()
    assert "evidence" not in credential_claims(client, stored)
    assert "Evidence" not in client.get(f"/badges/{stored.public_id}").get_data(as_text=True)


def test_openbadgeslib_verifies_the_credential_and_reads_the_evidence(client, people) -> None:
    stored = hand_award(people["ann"])
    token = client.get(f"/ob/v3/credentials/{stored.public_id}").get_data(as_text=True)
    verifier = OB3Verifier(pubkey_pem=served_public_pem(client, token))
    download = lambda url: client.get(url.removeprefix("http://127.0.0.1:5000")).data  # noqa: E731
    credential = verifier.verify(token, check_status=True, download=download)
    [evidence] = credential.evidence
    assert (evidence.id, evidence.narrative) == (PORTFOLIO, NOTE)


def test_the_public_page_shows_the_note_as_text(client, people) -> None:
    hostile = "<script>alert(1)</script>\n<b>bold</b> & more"
    stored = hand_award(people["ann"], narrative=hostile)
    page = client.get(f"/badges/{stored.public_id}").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "<b>bold" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;<br>&lt;b&gt;bold&lt;/b&gt; &amp; more" in page
    assert f'<a href="{PORTFOLIO}" rel="nofollow ugc noopener noreferrer">{PORTFOLIO}</a>' in page


def test_a_quote_in_the_url_cannot_leave_the_attribute(client, people) -> None:
    url = 'https://example.org/x"onmouseover="alert(1)'
    stored = hand_award(people["ann"], narrative=None, url=url)
    page = client.get(f"/badges/{stored.public_id}").get_data(as_text=True)
    assert '"onmouseover="' not in page and "&#34;onmouseover=&#34;" in page
    assertion = client.get(f"/ob/v2/assertions/{stored.public_id}").get_json()
    assert assertion["evidence"] == [{"type": "Evidence", "id": url}]
