"""OpenID providers for sign-in tests: ``oidc-provider-mock`` from PyPI as its own process
(the real protocol, end to end), and a forging provider in a thread that answers the same
protocol with one thing wrong in its ID token (the attacks a real provider never makes).
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import threading
import time
import urllib.request
from typing import Any
from urllib.parse import urlencode

from joserfc import jwt
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from tests.support.services import ARTIFACTS, ROOT, free_port, wait_for


class MockProvider:
    """``python -m oidc_provider_mock`` on a free local port, nonces required."""

    def __init__(self, name: str = "oidc-provider") -> None:
        self.port = free_port()
        self.log_path = ARTIFACTS / f"{name}-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> MockProvider:
        self.log_path.parent.mkdir(exist_ok=True)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "oidc_provider_mock", "-p", str(self.port),
             "--require-nonce", "true"], cwd=ROOT, stdout=self.log_path.open("wb"),
            stderr=subprocess.STDOUT)
        wait_for(self._answers, timeout=30, interval=0.1, what=f"oidc provider on {self.port}")
        return self

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.issuer}/.well-known/openid-configuration",
                                        timeout=1) as response:
                return response.status == 200
        except OSError:
            return False

    def set_user(self, sub: str, **claims: Any) -> None:
        """The claims the provider will put in this subject's tokens."""
        request = urllib.request.Request(f"{self.issuer}/users/{sub}", method="PUT",
                                         data=json.dumps(claims).encode(),
                                         headers={"Content-Type": "application/json"})
        urllib.request.urlopen(request, timeout=5).close()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


class ForgingProvider:
    """A provider whose ID tokens carry one defect (``mode``): issuer, audience, azp (our
    client named only as ``azp``), expired, signature, nonce; ``none`` forges nothing."""

    def __init__(self, client_id: str) -> None:
        self.client_id = client_id
        self.mode = "none"
        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
        self._codes: dict[str, str] = {}
        self.port = free_port()
        self._server = make_server("127.0.0.1", self.port, self._wsgi, threaded=True)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self._server.shutdown()

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        handler = {"/.well-known/openid-configuration": self._discovery, "/jwks": self._jwks,
                   "/auth": self._authorize, "/token": self._token}.get(request.path)
        response = handler(request) if handler else Response(status=404)
        return response(environ, start_response)

    def _discovery(self, request: Request) -> Response:
        return _json({"issuer": self.issuer, "authorization_endpoint": f"{self.issuer}/auth",
                      "token_endpoint": f"{self.issuer}/token", "jwks_uri": f"{self.issuer}/jwks",
                      "response_types_supported": ["code"], "subject_types_supported": ["public"],
                      "id_token_signing_alg_values_supported": ["RS256"]})

    def _jwks(self, request: Request) -> Response:
        return _json({"keys": [self.key.as_dict(private=False)]})

    def _authorize(self, request: Request) -> Response:
        """Signs anyone in at once: back to the client with a code bound to its nonce."""
        code = secrets.token_urlsafe(8)
        self._codes[code] = request.args["nonce"]
        target = request.args["redirect_uri"] + "?" + urlencode(
            {"code": code, "state": request.args["state"]})
        return Response(status=302, headers={"Location": target})

    def _token(self, request: Request) -> Response:
        nonce = self._codes.pop(request.form["code"])
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": "forged-1", "aud": self.client_id, "iat": now,
                  "exp": now + 300, "nonce": nonce, "email": "forged@example.edu",
                  "email_verified": True}
        key = self.key
        match self.mode:
            case "issuer":
                claims["iss"] = "http://127.0.0.1:1"
            case "audience":
                claims["aud"] = "another-client"
            case "azp":
                claims.update(aud="another-client", azp=self.client_id)
            case "expired":
                claims.update(iat=now - 7200, exp=now - 3600)
            case "nonce":
                claims["nonce"] = "replayed-nonce"
            case "signature":
                key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
        id_token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)
        return _json({"access_token": "at", "token_type": "Bearer", "expires_in": 300,
                      "id_token": id_token})


def _json(body: dict[str, Any]) -> Response:
    return Response(json.dumps(body), mimetype="application/json")
