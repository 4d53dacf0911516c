"""The public badge page (logged out) and the Share panel on the learner's badge page."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

from app.extensions import db
from app.models import Achievement, User
from app.services.accounts import create_user
from tests.web.conftest import PASSWORD, award, login, login_with_csrf


def meta(page: str, name: str) -> str:
    match = re.search(rf'<meta (?:property|name)="{re.escape(name)}" content="([^"]*)"', page)
    assert match, name
    return unescape(match.group(1))


def test_share_panel_shares_and_the_public_page_works_logged_out(app, people) -> None:
    stored = award(people["ann"], "c1-u1-m1")
    learner = login(app.test_client(), people["ann"])
    page = learner.get(f"/achievements/{stored.id}").get_data(as_text=True)
    assert "Share this badge" in page and "Private" in page
    assert app.test_client().get(f"/badges/{stored.public_id}").status_code == 404
    learner.post(f"/achievements/{stored.id}/sharing", data={"public": "1"})
    page = learner.get(f"/achievements/{stored.id}").get_data(as_text=True)
    assert "Stop sharing" in page and f"/badges/{stored.public_id}" in page

    public = app.test_client().get(f"/badges/{stored.public_id}")
    assert public.status_code == 200 and public.headers["Cache-Control"] == "public, no-cache"
    assert public.mimetype == "text/html"
    text = public.get_data(as_text=True)
    assert meta(text, "og:title") == "Award c1-u1-m1"
    assert meta(text, "og:image").endswith("/ob/v2/badges/module_complete/image")
    assert meta(text, "og:url") == f"http://127.0.0.1:5000/badges/{stored.public_id}"
    assert meta(text, "twitter:card") == "summary"
    assert "Verified: issued by" in text and "Finished every part of a module." in text
    assert "Download baked badge" in text and "Download credential" in text
    linkedin = unescape(re.search(r'href="(https://www.linkedin.com/profile/add[^"]+)"',
                                  text).group(1))
    fields = parse_qs(urlsplit(linkedin).query)
    assert fields["startTask"] == ["CERTIFICATION_NAME"] and fields["name"] == ["Award c1-u1-m1"]
    assert fields["certId"] == [stored.public_id]
    assert fields["issueYear"] == [str(stored.earned_at.year)]
    assert fields["certUrl"] == [f"http://127.0.0.1:5000/badges/{stored.public_id}"]
    assert fields["organizationName"] == [app.config["ISSUER_NAME"]]

    learner.post(f"/achievements/{stored.id}/sharing", data={"public": "0"})
    assert app.test_client().get(f"/badges/{stored.public_id}").status_code == 404


def test_sharing_someone_elses_award_from_a_page_is_404(app, people) -> None:
    stored = award(people["ann"], "c1-u1-m1")
    other = login(app.test_client(), people["bob"])
    assert other.post(f"/achievements/{stored.id}/sharing", data={"public": "1"}).status_code \
        == 404
    db.session.expire_all()
    assert db.session.get(Achievement, stored.id).public is False


def test_the_share_button_needs_its_csrf_token(csrf_app) -> None:
    with csrf_app.app_context():
        user = create_user("cat@example.com", PASSWORD, "learner", "UTC")
        db.session.commit()
        stored = award(user, "c1-u1-m1")
        award_id, user_id = stored.id, user.id
    client = csrf_app.test_client()
    token = login_with_csrf(client, User(id=user_id, email="cat@example.com"))
    assert client.post(f"/achievements/{award_id}/sharing",
                       data={"public": "1"}).status_code == 400
    assert client.post(f"/achievements/{award_id}/sharing",
                       data={"public": "1", "csrf_token": token}).status_code == 302
