"""A real browser signs in through pysaml2's IdP (its own process) to gunicorn: the login
page's institution button, the IdP's form, the signed response posted to our ACS, ``next``
honoured and the role from eduPersonAffiliation."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import select

from tests.support.saml_idp import idp_metadata
from tests.support.services import ARTIFACTS, ROOT, free_port, migrate, require, wait_for
from tests.support.web_server import WebServer
from tests.web.signin.saml_fixtures import SamlSetup, _answers, _pair, sp_app

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def saml_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    require(shutil.which("xmlsec1") is not None, "Debian's xmlsec1 (apt-get install -y xmlsec1)")
    folder = tmp_path_factory.mktemp("e2e-saml")
    port = free_port()
    idp_key, idp_cert = _pair(folder, "idp")
    sp_key, sp_cert = _pair(folder, "sp")
    setup = SamlSetup(f"http://127.0.0.1:{port}", folder / "idp.xml", sp_key, sp_cert)
    setup.idp_metadata.write_text(idp_metadata(port, str(idp_key), str(idp_cert)))
    url = f"sqlite:///{folder / 'saml.db'}"
    migrate(url)
    server = WebServer({"DATABASE_URL": url, "SAML_IDP_METADATA": str(setup.idp_metadata),
                        "SAML_SP_KEY_FILE": str(sp_key), "SAML_SP_CERT_FILE": str(sp_cert),
                        "SAML_ROLES": json.dumps({"faculty": "instructor"})}, name="e2e-web-saml")
    server.settings["PUBLIC_URL"] = server.url
    (folder / "throwaway").mkdir()
    with sp_app(folder / "throwaway", setup, PUBLIC_URL=server.url).app_context() as ctx:
        from app.extensions import db

        db.create_all()
        (folder / "sp.xml").write_bytes(ctx.app.test_client().get("/saml/metadata").data)
    idp = subprocess.Popen([sys.executable, "-m", "tests.support.saml_idp", str(port),
                            str(idp_key), str(idp_cert), str(folder / "sp.xml")], cwd=ROOT,
                           stdout=(ARTIFACTS / f"e2e-saml-idp-{port}.log").open("wb"),
                           stderr=subprocess.STDOUT)
    wait_for(lambda: _answers(setup.idp_url), timeout=30, interval=0.1, what="saml idp")
    yield server.start()
    server.stop()
    idp.terminate()
    idp.wait(timeout=10)


def test_browser_signs_in_through_the_saml_idp(saml_server: WebServer,
                                               new_context: Callable[..., Any]) -> None:
    page = new_context(saml_server.url).new_page()
    page.goto("/login?next=/settings")
    page.get_by_role("link", name="Sign in with your institution").click()
    page.get_by_label("User").fill("ada")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{saml_server.url}/settings")

    from app.extensions import db
    from app.models import User

    with saml_server.app.app_context():
        user = db.session.scalar(select(User).where(User.email == "ada@idp.example"))
        assert user is not None and (user.role, user.display_name) == \
            ("instructor", "Ada Lovelace")
