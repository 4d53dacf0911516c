"""SAML 2.0 service provider (pysaml2; signatures through Debian's ``xmlsec1``).

pysaml2 over python3-saml: it needs only the ``xmlsec1`` program (Debian's package),
not the ``xmlsec`` Python binding whose pairing with lxml breaks often, and it can play
the IdP in tests. What it checks for us: the assertion's signature against the IdP's
metadata certificate (signed assertions required), audience, recipient (our ACS),
NotBefore/NotOnOrAfter, and InResponseTo against the request we name as outstanding.
What we add: each request is kept in ``saml_requests`` and answered once (a replayed or
unsolicited response finds no request and is refused before it is parsed).
"""

from __future__ import annotations

import secrets
import shutil
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete

from app.extensions import db
from app.models import SamlRequest
from app.models.types import utcnow
from app.services.accounts.identities import Claims, role_from
from app.services.signin.failures import refuse
from app.services.signin.saml_keys import key_files

if TYPE_CHECKING:  # pysaml2 is imported where used: its schemas cost every process ~1 s
    from saml2.client import Saml2Client
    from saml2.config import SPConfig

REQUEST_TTL = timedelta(minutes=10)  # time a person has at the IdP
METADATA_REFRESH_SECONDS = 3600.0  # an IdP metadata URL is read again after this
NAME_ATTRIBUTES = ("eduPersonPrincipalName",)  # else the NameID names the person
# pysaml2's binding names (saml2.BINDING_HTTP_*), spelled out so importing this module
# does not load pysaml2: only a process that signs someone in through SAML pays for it.
BINDING_HTTP_POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
BINDING_HTTP_REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"


@dataclass(frozen=True)
class SamlSettings:
    public_url: str
    idp_metadata: str  # a file path or an http(s) URL
    key_file: str | None
    cert_file: str | None
    role_attribute: str
    roles: dict[str, str]
    name: str


class SamlSP:
    """A pysaml2 client for the settings, rebuilt when a metadata URL is due a re-read."""

    def __init__(self, settings: SamlSettings) -> None:
        self.settings = settings
        self._client: Saml2Client | None = None
        self._built = 0.0

    @property
    def client(self) -> Saml2Client:
        remote = self.settings.idp_metadata.startswith(("http://", "https://"))
        stale = remote and time.monotonic() - self._built > METADATA_REFRESH_SECONDS
        if self._client is None or stale:
            from saml2.client import Saml2Client

            try:
                self._client, self._built = Saml2Client(config=self._config()), time.monotonic()
            except Exception as exc:  # unreadable metadata, no xmlsec1, a bad key file
                if self._client is None:
                    raise refuse("saml", "idp_metadata", f"{type(exc).__name__}: {exc}",
                                 502) from exc
                self._built = time.monotonic()  # keep the last good metadata for now
        return self._client

    def _config(self) -> SPConfig:
        base = self.settings.public_url
        key, cert = key_files(self.settings.key_file, self.settings.cert_file, base)
        source = self.settings.idp_metadata
        metadata = ({"remote": [{"url": source}]} if source.startswith(("http://", "https://"))
                    else {"local": [source]})
        from saml2.config import SPConfig

        config = SPConfig()
        config.load({
            "entityid": f"{base}/saml/metadata", "xmlsec_binary": shutil.which("xmlsec1"),
            "key_file": key, "cert_file": cert, "metadata": metadata,
            "encryption_keypairs": [{"key_file": key, "cert_file": cert}],
            "accepted_time_diff": 60, "allow_unknown_attributes": True,
            "service": {"sp": {
                "name": self.settings.name,
                "endpoints": {"assertion_consumer_service": [(f"{base}/saml/acs",
                                                              BINDING_HTTP_POST)]},
                "allow_unsolicited": False, "want_assertions_signed": True,
                "want_response_signed": False, "authn_requests_signed": True,
            }},
        })
        return config

    def metadata(self) -> str:
        """The SP metadata XML to give the identity team (entity id, ACS, certificate)."""
        from saml2.metadata import create_metadata_string

        return create_metadata_string(None, config=self.client.config, valid=None).decode()

    def start(self, next_url: str) -> str:
        """The IdP URL to send the browser to (HTTP-Redirect binding, signed request)."""
        idp = self._idp()
        request_id = "_" + secrets.token_hex(16)
        _, info = self.client.prepare_for_authenticate(
            entityid=idp, relay_state=request_id, binding=BINDING_HTTP_REDIRECT,
            message_id=request_id)
        db.session.execute(delete(SamlRequest).where(  # abandoned sign-ins
            SamlRequest.created_at < utcnow() - REQUEST_TTL))
        db.session.add(SamlRequest(request_id=request_id, next_url=next_url))
        db.session.commit()
        return dict(info["headers"])["Location"]

    def finish(self, saml_response: str, relay_state: str) -> tuple[Claims, str, str]:
        """Claims, role and next URL from a response to one of our open requests."""
        next_url = _claim_request(relay_state)
        try:
            answer = self.client.parse_authn_request_response(
                saml_response, BINDING_HTTP_POST, outstanding={relay_state: next_url})
        except Exception as exc:  # pysaml2 raises many unrelated types for a bad response
            raise refuse("saml", _reason(exc), f"{type(exc).__name__}: {exc}") from exc
        if answer is None or not answer.assertion:
            raise refuse("saml", "no_assertion", "the response carried no usable assertion")
        claims = claims_from_saml(answer.issuer(), answer.get_identity(),
                                  answer.name_id.text if answer.name_id else None,
                                  self.settings.role_attribute)
        return claims, role_from(claims.role_values, self.settings.roles), next_url

    def _idp(self) -> str:
        idps = list(self.client.metadata.identity_providers())
        if len(idps) != 1:
            raise refuse("saml", "idp_metadata", f"{len(idps)} IdPs in the metadata", 502)
        return idps[0]


def _claim_request(request_id: str) -> str:
    """Consume our open request (atomically: a second answer finds none)."""
    row = db.session.get(SamlRequest, request_id) if request_id else None
    opened, next_url = (row.created_at, row.next_url) if row else (None, "")
    gone = db.session.execute(delete(SamlRequest).where(SamlRequest.request_id == request_id))
    db.session.commit()
    if opened is None or gone.rowcount != 1:  # type: ignore[attr-defined]
        raise refuse("saml", "unsolicited", f"no open request {request_id[:40]!r}", 400)
    if utcnow() - opened > REQUEST_TTL:
        raise refuse("saml", "expired", f"request {request_id} older than {REQUEST_TTL}")
    return next_url


def claims_from_saml(issuer: str, attributes: dict[str, list[Any]],
                     name_id: str | None, role_attribute: str) -> Claims:
    """The person from the assertion's attributes (friendly names after pysaml2's maps)."""
    first = {name: str(values[0]) for name, values in attributes.items() if values}
    subject = next((first[n] for n in NAME_ATTRIBUTES if n in first), name_id)
    if not subject:
        raise refuse("saml", "no_subject", "neither eduPersonPrincipalName nor a NameID")
    roles = tuple(str(v) for v in attributes.get(role_attribute, ()))
    return Claims(provider=f"saml:{issuer}", subject=subject, email=first.get("mail"),
                  email_verified=bool(first.get("mail")), name=first.get("displayName"),
                  locale=first.get("preferredLanguage"), role_values=roles)


def _reason(exc: Exception) -> str:
    """A metrics reason from pysaml2's exception (its types and messages vary by check)."""
    text = f"{type(exc).__name__} {exc}".lower()
    for needle, reason in (("signature missing", "unsigned"), ("signature", "signature"),
                           ("signed", "unsigned"),
                           ("audience", "audience"), ("unsolicited", "unsolicited"),
                           ("inresponseto", "in_response_to"), ("in_response_to", "in_response_to"),
                           ("destination", "recipient"), ("recipient", "recipient"),
                           ("lifetime", "expired"), ("toearly", "not_yet_valid"),
                           ("condition not ok", "conditions"), ("status", "idp_status")):
        if needle in text:
            return reason
    return "invalid_response"
