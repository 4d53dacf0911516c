"""The links a shared award's pages offer: public page, JSON, downloads, LinkedIn."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from app.services.credentials.issuer import Issuer
from app.services.credentials.openbadges2 import assertion_url
from app.services.credentials.openbadges3 import credential_url
from app.services.credentials.own_art import art_url
from app.services.credentials.records import SharedAward

LINKEDIN_ADD = "https://www.linkedin.com/profile/add"


@dataclass(frozen=True)
class ShareLinks:
    page: str
    assertion: str
    credential: str
    baked: str  # the baked PNG, as a download
    credential_download: str
    image: str  # the badge art as PNG (previews): an authored badge's own, as awarded
    badge_class: str
    linkedin: str


def share_links(who: Issuer, award: SharedAward) -> ShareLinks:
    page = who.url_for(f"/badges/{award.public_id}")
    assertion = assertion_url(who, award.public_id)
    credential = credential_url(who, award.public_id)
    return ShareLinks(page=page, assertion=assertion, credential=credential,
                      baked=f"{assertion}/image?download=1",
                      credential_download=f"{credential}?download=1",
                      image=art_url(who, award.slug, award.image),
                      badge_class=who.url_for(f"/ob/v2/badges/{award.slug}"),
                      linkedin=linkedin_url(who, award, page))


def linkedin_url(who: Issuer, award: SharedAward, page: str) -> str:
    """LinkedIn's "Add licence or certification" form, filled in."""
    fields = {"startTask": "CERTIFICATION_NAME", "name": award.title,
              "organizationName": who.name, "issueYear": award.earned_at.year,
              "issueMonth": award.earned_at.month, "certUrl": page,
              "certId": award.public_id}
    if award.expires_at is not None:
        fields.update(expirationYear=award.expires_at.year,
                      expirationMonth=award.expires_at.month)
    return f"{LINKEDIN_ADD}?{urlencode(fields)}"
