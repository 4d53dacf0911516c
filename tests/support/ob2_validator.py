"""Runs the 1EdTech Open Badges 2.0 validator (PyPI ``openbadges``) on one badge, offline.

Run by tests/web/test_openbadges_validator.py with the interpreter of the tool
venv ``.venv-tools`` (tests/run makes it: the validator pins click 6 and
jsonschema 2, which Flask's venv cannot hold). The validator is used
unmodified; the only thing answered here is the JSON-LD context it always
fetches from w3id.org, from the copy it ships
(``openbadges.verifier.openbadges_context``). Every other URL (the service's
own, on a real local port) is fetched for real.

    python tests/support/ob2_validator.py URL-OR-PNG-FILE EMAIL  -> the report (JSON)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import requests
from openbadges import verify
from openbadges.verifier.openbadges_context import (
    OPENBADGES_CONTEXT_V2_DICT,
    OPENBADGES_CONTEXT_V2_URI,
)
from requests.adapters import HTTPAdapter
from requests.models import Response

_send = HTTPAdapter.send


def _send_offline(adapter: HTTPAdapter, request: requests.PreparedRequest,
                  *args: object, **kwargs: object) -> Response:
    if (request.url or "").rstrip("/") != OPENBADGES_CONTEXT_V2_URI:
        return _send(adapter, request, *args, **kwargs)
    response = Response()
    response.status_code = 200
    response._content = json.dumps(OPENBADGES_CONTEXT_V2_DICT).encode()
    response.headers["Content-Type"] = "application/ld+json"
    response.url = request.url or ""
    response.request = request
    return response


def main(badge: str, email: str) -> None:
    HTTPAdapter.send = _send_offline  # type: ignore[method-assign]
    path = Path(badge)
    if path.is_file():
        with path.open("rb") as image:
            report = verify(image, recipient_profile={"email": email}, use_cache=False)
    else:
        report = verify(badge, recipient_profile={"email": email}, use_cache=False)
    print(json.dumps({"report": report["report"], "graph": report["graph"]}, default=str))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
