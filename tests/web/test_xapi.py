"""The /xapi statement resource over HTTP: credentials, the version header, status codes,
errors that name the field, the OpenAPI document and the CLI listing."""

from __future__ import annotations

import base64
import uuid

import pytest

from app.extensions import db
from app.models import ProgressEvent
from tests.services.xapi.test_statements import statement

VERSION = {"X-Experience-API-Version": "1.0.3"}


def basic(token: str, user: str = "lms") -> dict[str, str]:
    pair = base64.b64encode(f"{user}:{token}".encode()).decode()
    return {"Authorization": f"Basic {pair}", **VERSION}


@pytest.fixture
def auth(make_token) -> dict[str, str]:
    return basic(make_token("progress:write"))


def test_post_answers_lowercase_ids_in_order(client, catalog, learner, auth) -> None:
    given = str(uuid.uuid4()).upper()
    response = client.post("/xapi/statements", json=[{**statement(), "id": given},
                                                     statement(verb="experienced")], headers=auth)
    assert response.status_code == 200
    ids = response.get_json()
    assert ids[0] == given.lower() and ids[1] == str(uuid.UUID(ids[1]))
    assert response.headers["X-Experience-API-Version"] == "1.0.3"
    assert db.session.query(ProgressEvent).count() == 2


def test_put_stores_under_the_statement_id_and_get_returns_it(client, catalog, learner,
                                                              auth) -> None:
    ident = str(uuid.uuid4())
    response = client.put(f"/xapi/statements?statementId={ident}", json=statement(), headers=auth)
    assert response.status_code == 204 and response.data == b""
    got = client.get(f"/xapi/statements?statementId={ident}", headers=auth)
    assert got.status_code == 200 and got.get_json()["id"] == ident
    assert got.get_json()["verb"] == statement()["verb"]


def test_a_repeat_is_fine_and_another_statement_under_the_id_is_409(client, catalog, learner,
                                                                    auth) -> None:
    url = f"/xapi/statements?statementId={uuid.uuid4()}"
    assert client.put(url, json=statement(), headers=auth).status_code == 204
    assert client.put(url, json=statement(), headers=auth).status_code == 204
    response = client.put(url, json=statement(verb="passed"), headers=auth)
    assert response.status_code == 409
    assert response.content_type == "application/problem+json"


def test_an_invalid_statement_is_400_naming_the_field(client, catalog, auth) -> None:
    bad = {**statement(), "verb": {"display": {"en-US": "did"}}}
    response = client.post("/xapi/statements", json=[statement(), bad], headers=auth)
    assert response.status_code == 400
    assert list(response.get_json()["errors"]) == ["$[1].verb.id"]


@pytest.mark.parametrize("body", [b"not json", b"42", b"[]"])
def test_a_body_that_is_no_statement_is_400(client, auth, body: bytes) -> None:
    response = client.post("/xapi/statements", data=body, headers=auth,
                           content_type="application/json")
    assert response.status_code == 400


def test_put_with_a_bad_or_contradicting_id_is_400(client, catalog, auth) -> None:
    assert client.put("/xapi/statements?statementId=nope", json=statement(),
                      headers=auth).status_code == 400
    other = {**statement(), "id": str(uuid.uuid4())}
    assert client.put(f"/xapi/statements?statementId={uuid.uuid4()}", json=other,
                      headers=auth).status_code == 400


def test_an_unknown_statement_is_404(client, auth) -> None:
    assert client.get(f"/xapi/statements?statementId={uuid.uuid4()}",
                      headers=auth).status_code == 404


@pytest.mark.parametrize("version", [None, "0.95", "3.0.0", "1.1.0"])
def test_the_version_header_is_required(client, auth, version: str | None) -> None:
    headers = {"Authorization": auth["Authorization"]}
    if version:
        headers["X-Experience-API-Version"] = version
    response = client.post("/xapi/statements", json=statement(), headers=headers)
    assert response.status_code == 400
    assert "X-Experience-API-Version" in response.get_json()["errors"]


def test_version_2_is_welcome_and_echoed(client, catalog, learner, make_token) -> None:
    headers = {**basic(make_token("progress:write")), "X-Experience-API-Version": "2.0.0"}
    response = client.post("/xapi/statements", json=statement(), headers=headers)
    assert response.status_code == 200
    assert response.headers["X-Experience-API-Version"] == "2.0.0"


def test_about_with_an_empty_query_string(client) -> None:
    response = client.get("/xapi/about?")
    assert response.status_code == 200 and "1.0.3" in response.get_json()["version"]


def test_about_lists_2_0_to_a_2_0_caller(client) -> None:
    response = client.get("/xapi/about", headers={"X-Experience-API-Version": "2.0.0"})
    assert "2.0.0" in response.get_json()["version"]


def test_a_bearer_token_works_too(client, catalog, learner, make_token) -> None:
    headers = {"Authorization": f"Bearer {make_token('progress:write')}", **VERSION}
    assert client.post("/xapi/statements?", json=statement(), headers=headers).status_code == 200


@pytest.mark.parametrize("authorization", [None, "Basic !!!", "Basic " + base64.b64encode(
    b"lms:ach_wrong").decode(), "Basic " + base64.b64encode(b"no-password").decode()])
def test_missing_or_wrong_credentials_are_401(client, authorization: str | None) -> None:
    headers = {**VERSION, **({"Authorization": authorization} if authorization else {})}
    assert client.post("/xapi/statements", json=statement(), headers=headers).status_code == 401


def test_a_token_without_progress_write_is_403(client, make_token) -> None:
    headers = basic(make_token("achievements:read"))
    assert client.post("/xapi/statements", json=statement(), headers=headers).status_code == 403


def test_a_logged_in_session_is_not_enough(client, learner) -> None:
    client.post("/login", data={"email": learner.email, "password": "password123"})
    assert client.post("/xapi/statements", json=statement(), headers=VERSION).status_code == 401


def test_a_batch_of_100_statements_fits(client, catalog, learner, auth) -> None:
    padded = {**statement(verb="experienced"),
              "context": {"platform": "x" * 600, "language": "en-US"}}
    response = client.post("/xapi/statements", json=[padded] * 100, headers=auth)
    assert response.status_code == 200 and len(set(response.get_json())) == 100


def test_the_openapi_document_describes_the_routes(client) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert set(paths["/xapi/statements"]) == {"get", "post", "put"}
    assert "get" in paths["/xapi/about"]


def test_the_cli_lists_what_waits(app, catalog, auth, client) -> None:
    client.post("/xapi/statements", json=statement("later@example.com"), headers=auth)
    result = app.test_cli_runner().invoke(args=["xapi", "unmatched"])
    assert result.exit_code == 0
    assert "waiting for learner" in result.output and "mbox:later@example.com" in result.output
