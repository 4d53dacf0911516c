"""Every response carries the hardened headers; the API docs load Redoc from this origin."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from app import create_app
from app.models import User
from tests.conftest import embedded_config

TEMPLATES = Path(__file__).resolve().parents[2] / "app" / "web" / "templates"
INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\sstyle=|\son[a-z]+\s*=|javascript:", re.I)


def _policy(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    header = response.headers["Content-Security-Policy"]
    return {part.split()[0]: " ".join(part.split()[1:]) for part in header.split("; ")}


def assert_hardened(response) -> None:  # type: ignore[no-untyped-def]
    policy = _policy(response)
    assert "'unsafe-inline'" not in policy["script-src"]
    assert policy["script-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


@pytest.mark.parametrize("path", ["/login", "/api/v1/docs", "/api/v1/openapi.json",
                                  "/static/live.js", "/nope", "/badges/unknown",
                                  "/.well-known/jwks.json"])
def test_every_response_is_hardened_logged_out(client: FlaskClient, path: str) -> None:
    assert_hardened(client.get(path))


@pytest.mark.parametrize("path", ["/", "/achievements", "/learn", "/api/v1/achievements"])
def test_every_page_is_hardened_logged_in(as_user: Callable[[User], FlaskClient],
                                          make_user: Callable[..., User], path: str) -> None:
    response = as_user(make_user()).get(path)
    assert response.status_code == 200
    assert_hardened(response)


def test_the_docs_load_redoc_from_this_origin(client: FlaskClient) -> None:
    page = client.get("/api/v1/docs").get_data(as_text=True)
    sources = re.findall(r'<script src="([^"]+)"', page)
    assert sources == ["/vendor/redoc/redoc.standalone.js"]
    bundle = client.get(sources[0])
    assert bundle.status_code == 200
    assert bundle.content_type.startswith("text/javascript")
    assert len(bundle.data) > 500_000 and b"Redoc" in bundle.data[:2000] + bundle.data[-5000:]


def test_only_the_docs_page_allows_inline_styles_and_never_inline_scripts(
        client: FlaskClient) -> None:
    docs = _policy(client.get("/api/v1/docs"))
    assert docs["style-src"] == "'self' 'unsafe-inline'" and docs["script-src"] == "'self'"
    assert _policy(client.get("/login"))["style-src"] == "'self'"


def test_https_is_not_forced_by_default_and_can_be(client: FlaskClient,
                                                   tmp_path: Path) -> None:
    assert client.get("/login").status_code == 200
    forced = create_app(embedded_config(tmp_path, FORCE_HTTPS=True)).test_client()
    response = forced.get("/login")
    assert response.status_code in (301, 302)
    assert response.headers["Location"].startswith("https://")


@pytest.mark.parametrize("template", sorted(TEMPLATES.rglob("*.html")),
                         ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_no_template_has_inline_scripts_styles_or_handlers(template: Path) -> None:
    """The CSP would block them: behaviour lives in static/*.js, looks in app.css."""
    assert not INLINE.findall(template.read_text())
