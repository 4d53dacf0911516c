"""A pysaml2 IdP process for the session and an SP app configured with it; one helper
walks the whole SAML round trip (our AuthnRequest, the IdP's form, the ACS post)."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app import create_app
from app.config import Config
from app.extensions import db
from app.services.signin.saml_keys import _self_signed
from tests.conftest import embedded_config
from tests.support.databases import sqlite_app_context
from tests.support.saml_idp import idp_metadata
from tests.support.services import ARTIFACTS, ROOT, free_port, require, wait_for

FIELD = re.compile(r'name="(SAMLResponse|RelayState)" value="([^"]*)"')


@dataclass
class SamlSetup:
    idp_url: str
    idp_metadata: Path
    sp_key: Path
    sp_cert: Path


def _pair(folder: Path, name: str) -> tuple[Path, Path]:
    key_pem, cert_pem = _self_signed(name)
    (folder / f"{name}.key").write_text(key_pem)
    (folder / f"{name}.crt").write_text(cert_pem)
    return folder / f"{name}.key", folder / f"{name}.crt"


def sp_config(folder: Path, setup: SamlSetup, **overrides: object) -> Config:
    settings: dict[str, object] = {
        "PUBLIC_URL": "http://localhost", "SAML_IDP_METADATA": str(setup.idp_metadata),
        "SAML_SP_KEY_FILE": str(setup.sp_key), "SAML_SP_CERT_FILE": str(setup.sp_cert),
        "SAML_ROLES": {"faculty": "instructor"}, **overrides}
    return embedded_config(folder, **settings)


def sp_app(folder: Path, setup: SamlSetup, **overrides: object) -> Flask:
    application = create_app(sp_config(folder, setup, **overrides))
    application.config["WTF_CSRF_ENABLED"] = False
    return application


@pytest.fixture(scope="session")
def saml_setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SamlSetup]:
    require(shutil.which("xmlsec1") is not None, "Debian's xmlsec1 (apt-get install -y xmlsec1)")
    folder = tmp_path_factory.mktemp("saml")
    port = free_port()
    idp_key, idp_cert = _pair(folder, "idp")
    sp_key, sp_cert = _pair(folder, "sp")
    setup = SamlSetup(f"http://127.0.0.1:{port}", folder / "idp.xml", sp_key, sp_cert)
    setup.idp_metadata.write_text(idp_metadata(port, str(idp_key), str(idp_cert)))
    throwaway = sp_app(folder, setup)
    with throwaway.app_context():
        db.create_all()
        (folder / "sp.xml").write_bytes(throwaway.test_client().get("/saml/metadata").data)
    log = ARTIFACTS / f"saml-idp-{port}.log"
    log.parent.mkdir(exist_ok=True)
    process = subprocess.Popen([sys.executable, "-m", "tests.support.saml_idp", str(port),
                                str(idp_key), str(idp_cert), str(folder / "sp.xml")],
                               cwd=ROOT, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    wait_for(lambda: _answers(setup.idp_url), timeout=30, interval=0.1, what="saml idp")
    yield setup
    process.terminate()
    process.wait(timeout=10)


def _answers(url: str) -> bool:
    try:
        return requests.get(f"{url}/ping", timeout=1).status_code == 404
    except requests.RequestException:
        return False


@pytest.fixture
def saml_app(tmp_path: Path, saml_setup: SamlSetup) -> Iterator[Flask]:
    with sqlite_app_context(sp_config(tmp_path, saml_setup)) as application:
        yield application


@pytest.fixture
def saml_client(saml_app: Flask) -> FlaskClient:
    return saml_app.test_client()


def idp_answer(client: FlaskClient, user: str, mode: str = "ok",
               next_url: str | None = None) -> dict[str, str]:
    """Our AuthnRequest to the IdP, signed in there as ``user``: the fields it posts back."""
    start = client.get("/saml/login", query_string={"next": next_url} if next_url else {})
    assert start.status_code == 302, start.data
    location = start.headers["Location"]
    fields = dict(parse_qsl(urlsplit(location).query))
    assert "Signature" in fields  # the AuthnRequest is signed
    page = requests.post(location.split("?")[0], data={**fields, "user": user, "mode": mode},
                         timeout=10)
    assert page.status_code == 200, page.text
    return {name: html.unescape(value) for name, value in FIELD.findall(page.text)}


def through_idp(client: FlaskClient, user: str, mode: str = "ok",
                next_url: str | None = None) -> tuple[TestResponse, dict[str, str]]:
    posted = idp_answer(client, user, mode, next_url)
    return client.post("/saml/acs", data=posted), posted
