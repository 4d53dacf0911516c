"""pysaml2's own IdP as a test process: ``python -m tests.support.saml_idp PORT KEY CERT
SP_METADATA``. Its sign-in form takes a user and a ``mode`` that forges one defect in the
response: unsigned, tampered (edited after signing), audience (for another SP), recipient
(for another ACS), expired, unsolicited (answers no request), no_in_response_to (our
RelayState, but the response names no request). ``idp_metadata`` gives the
metadata the SP is configured with before this process starts."""

from __future__ import annotations

import base64
import html
import shutil
import sys
from contextlib import nullcontext
from typing import Any
from unittest.mock import patch

from saml2 import BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import NAMEID_FORMAT_PERSISTENT, NameID
from saml2.server import Server
from saml2.time_util import in_a_while
from werkzeug.serving import run_simple
from werkzeug.wrappers import Request, Response

USERS = {
    "ada": {"eduPersonPrincipalName": ["ada@idp.example"], "mail": ["ada@idp.example"],
            "displayName": ["Ada Lovelace"], "eduPersonAffiliation": ["member", "faculty"]},
    "sam": {"eduPersonPrincipalName": ["sam@idp.example"], "mail": ["sam@idp.example"],
            "displayName": ["Sam Student"], "eduPersonAffiliation": ["member", "student"]},
}
PASSWORD_CLASS = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
MODES = ("ok", "unsigned", "tampered", "audience", "recipient", "expired", "unsolicited",
         "no_in_response_to")


def idp_config(port: int, key: str, cert: str, sp_metadata: str | None) -> IdPConfig:
    base = f"http://127.0.0.1:{port}"
    config = IdPConfig()
    config.load({
        "entityid": f"{base}/idp", "key_file": key, "cert_file": cert,
        "xmlsec_binary": shutil.which("xmlsec1"),
        "metadata": {"local": [sp_metadata]} if sp_metadata else {},
        "service": {"idp": {
            "endpoints": {"single_sign_on_service": [(f"{base}/sso", BINDING_HTTP_REDIRECT)]},
            "policy": {"default": {"lifetime": {"minutes": 15}, "attribute_restrictions": None,
                                   "name_form": "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"}},
            "name_id_format": [NAMEID_FORMAT_PERSISTENT],
        }},
    })
    return config


def idp_metadata(port: int, key: str, cert: str) -> str:
    return create_metadata_string(None, config=idp_config(port, key, cert, None),
                                  valid=None).decode()


class TestIdP:
    def __init__(self, port: int, key: str, cert: str, sp_metadata: str) -> None:
        self.server = Server(config=idp_config(port, key, cert, sp_metadata))

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        if request.path == "/sso" and request.method == "GET":
            response = self.form(request)
        elif request.path == "/sso" and request.method == "POST":
            response = self.answer(request)
        else:
            response = Response("not found", status=404)
        return response(environ, start_response)

    def form(self, request: Request) -> Response:
        hidden = "".join(f'<input type="hidden" name="{k}" value="{html.escape(v)}">'
                         for k, v in request.args.items())
        return Response(f"""<!doctype html><title>Test IdP</title><h1>Test IdP</h1>
<form method="post">{hidden}<label>User <input name="user"></label>
<select name="mode">{''.join(f'<option>{m}</option>' for m in MODES)}</select>
<button type="submit">Sign in</button></form>""", mimetype="text/html")

    def answer(self, request: Request) -> Response:
        parsed = self.server.parse_authn_request(request.form["SAMLRequest"],
                                                 BINDING_HTTP_REDIRECT)
        authn, mode = parsed.message, request.form.get("mode", "ok")
        user = request.form["user"]
        acs = authn.assertion_consumer_service_url
        audience = "https://another-sp.example/saml/metadata" if mode == "audience" \
            else authn.issuer.text
        clock = patch("saml2.assertion.in_a_while", lambda **_: in_a_while(hours=-1)) \
            if mode == "expired" else nullcontext()
        with clock:
            response = self.server.create_authn_response(
                USERS[user],
                in_response_to=None if mode in ("unsolicited", "no_in_response_to") else authn.id,
                destination="http://127.0.0.1:1/elsewhere/acs" if mode == "recipient" else acs,
                sp_entity_id=audience, userid=user,
                name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=f"pid-{user}"),
                sign_assertion=mode != "unsigned", sign_response=False,
                authn={"class_ref": PASSWORD_CLASS, "authn_auth": self.server.config.entityid})
        text = str(response)
        if mode == "tampered":
            text = text.replace(USERS[user]["displayName"][0], "Mallory")
        relay = "" if mode == "unsolicited" else request.form.get("RelayState", "")
        encoded = base64.b64encode(text.encode()).decode()
        return Response(f"""<!doctype html><title>Test IdP</title>
<form method="post" action="{html.escape(acs)}">
<input type="hidden" name="SAMLResponse" value="{encoded}">
<input type="hidden" name="RelayState" value="{html.escape(relay)}">
<button type="submit">Continue</button></form>""", mimetype="text/html")


if __name__ == "__main__":
    port, key, cert, sp_metadata = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    run_simple("127.0.0.1", port, TestIdP(port, key, cert, sp_metadata), threaded=True)
