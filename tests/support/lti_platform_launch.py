"""The launch side of the test platform (``tests.support.lti_platform``): OIDC login
initiation, the auth request answered with the signed id_token (lti1p3platform's message
launch), the course page that frames the tool (and keeps its client-side storage), and the
deep linking return.

Glue beyond the library: ``auth`` checks ``redirect_uri`` against the tool's registered ones
and ``login_hint`` against the user the launch was started for (the library checks only
their presence); a deep linking response must carry ``aud`` = our issuer, the tool's
deployment id and the ``data`` we sent (the library checks signature and type only); the
client-side postMessage storage is not in the library at all.
"""

from __future__ import annotations

import html
import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from tests.support.lti_platform_services import WerkzeugRequest

if TYPE_CHECKING:
    from tests.support.lti_platform import Course, Launch, Member, Platform, Tool

ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
DL_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/"


RULES = [Rule("/launch", endpoint="login"), Rule("/page", endpoint="page"),
         Rule("/auth", endpoint="auth"), Rule("/deep_links/<hint>", endpoint="deep_link_return")]
ENDPOINTS = ("login", "page", "auth", "deep_link_return")


def _pem(key: rsa.RSAPrivateKey, private: bool) -> str:
    if private:
        return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption()).decode()
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


# The platform side of LTI client-side postMessage storage (1EdTech "LTI Client Side
# postMessages" and "Platform Storage"; not in lti1p3platform): the course page keeps what a
# framed tool puts, per origin, and answers lti.capabilities, lti.put_data, lti.get_data.
STORAGE_SCRIPT = """
const kept = new Map();
addEventListener('message', (event) => {
  const m = event.data || {};
  const answer = (extra) => event.source.postMessage(
    {subject: m.subject + '.response', message_id: m.message_id, ...extra}, event.origin);
  const where = event.origin + ' ' + m.key;
  if (m.subject === 'lti.capabilities') {
    answer({supported_messages: [{subject: 'lti.put_data'}, {subject: 'lti.get_data'}]});
  } else if (m.subject === 'lti.put_data') {
    kept.set(where, m.value); answer({key: m.key, value: m.value});
  } else if (m.subject === 'lti.get_data') {
    answer(kept.has(where) ? {key: m.key, value: kept.get(where)}
                           : {error: {code: 'bad_request', message: 'no such key'}});
  }
});
"""


class _Login(OIDCLoginAbstract):
    def set_lti_message_hint(self, **kwargs: Any) -> None:
        self._lti_message_hint = kwargs["hint"]

    def get_redirect(self, url: str) -> Response:
        return Response(status=302, headers={"Location": url})


class _MessageLaunch(LTIAdvantageMessageLaunchAbstract):
    forged_key: rsa.RSAPrivateKey | None = None

    def render_launch_form(self, launch_data: dict[str, Any], **kwargs: Any) -> Response:
        token = launch_data["id_token"]
        if self.forged_key is not None:  # same kid, another key: a forged signature
            header = jwt.get_unverified_header(token)
            payload = jwt.decode(token, options={"verify_signature": False})
            token = jwt.encode(payload, _pem(self.forged_key, True), "RS256",
                               headers={"kid": header["kid"]})
        return auto_post(launch_data["launch_url"], {"id_token": token,
                                                     "state": launch_data["state"]})


def auto_post(url: str, fields: dict[str, str], title: str = "Launching…") -> Response:
    """A page that POSTs ``fields`` to ``url`` at once (how LTI messages travel)."""
    inputs = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                     for k, v in fields.items())
    body = (f'<!doctype html><html lang="en"><title>{title}</title><body>'
            f'<form id="f" method="post" action="{html.escape(url)}">{inputs}'
            f'<button>Continue</button></form>'
            "<script>document.getElementById('f').submit()</script></body></html>")
    return Response(body, content_type="text/html; charset=utf-8")


def login(platform: Platform, request: Request) -> Response:
    launch = platform.launches[request.args["hint"]]
    login = _Login(request, platform.config(launch.tool))
    login.set_lti_message_hint(hint=request.args["hint"])
    login.set_launch_url(launch.link["url"] if launch.link else launch.tool.launch_url)
    response: Response = login.initiate_login(launch.member.user_id)
    if launch.storage:  # LTI client-side storage: the page framing the tool keeps data
        response.headers["Location"] += "&lti_storage_target=_parent"
    return response

def page(platform: Platform, request: Request) -> Response:
    launch = platform.launches[request.args["hint"]]
    src = html.escape(f"{platform.issuer}/launch?hint={request.args['hint']}")
    body = (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width">'
            f"<title>{html.escape(launch.course.title)}</title></head><body><main>"
            f"<h1>{html.escape(launch.course.title)}</h1>"
            f'<iframe id="tool" title="Achievements" src="{src}" '
            f'style="width:100%;height:80vh;border:0"></iframe></main>'
            f"<script>{STORAGE_SCRIPT}</script></body></html>")
    return Response(body, content_type="text/html; charset=utf-8")

def auth(platform: Platform, request: Request) -> Response:
    params = request.values
    launch = platform.launches.get(params.get("lti_message_hint", ""))
    if launch is None or params.get("client_id") != launch.tool.client_id:
        return Response("unknown lti_message_hint or client_id", status=400)
    if params.get("redirect_uri") not in launch.tool.redirect_uris:
        return Response("redirect_uri is not registered for this tool", status=400)
    if params.get("login_hint") != launch.member.user_id:
        return Response("login_hint is not the user this launch was started for", 400)
    if params.get("response_type") != "id_token" or params.get("scope") != "openid":
        return Response("response_type must be id_token and scope openid", status=400)
    return message(platform, launch, WerkzeugRequest(request))

def message(platform: Platform, launch: Launch, request: Any) -> Response:
    message = _MessageLaunch(request, platform.config(launch.tool))
    member, course = launch.member, launch.course
    message.set_user_data(member.user_id, member.roles, member.name, member.email)
    message.set_launch_context_claim(course.id, [ROLE.replace(
        "membership#", "course#CourseOffering")], course.title, course.label)
    message.set_launch_presentation_claim("iframe", f"{platform.issuer}/page")
    assert message.lti_claim_launch_presentation is not None
    message.lti_claim_launch_presentation[CLAIM + "launch_presentation"]["locale"] = (
        member.locale)
    link = launch.link or {"id": f"link-{course.id}", "title": "Achievements"}
    if launch.message == "LtiResourceLinkRequest":
        message.set_resource_link_claim(link["id"], title=link.get("title"))
    message.set_custom_parameters_claim({**(link.get("custom") or {}), **launch.custom})
    message.set_nrps(course.memberships_url).set_ags(course.lineitems_url)
    if launch.message == "LtiDeepLinkingRequest":
        message.set_dl(f"{platform.issuer}/deep_links/{_hint_of(platform, launch)}", "Achievements",
                       accept_types={"ltiResourceLink"}, extra_data=launch.dl_data)  # type: ignore[arg-type]
    extra = {"given_name": member.given_name, "family_name": member.family_name}
    message.set_extra_claims({**{k: v for k, v in extra.items() if v}, **launch.claims})
    message.set_id_token_expiration(launch.expires_in)
    message.forged_key = new_key() if launch.forge_signature else None
    return message.lti_launch()

def deep_link_return(platform: Platform, request: Request, hint: str) -> Response:
    launch = platform.launches[hint]
    config = platform.config(launch.tool)
    items = config.validate_deeplinking_resp({"JWT": request.form.get("JWT", "")})
    claims = jwt.decode(request.form["JWT"], options={"verify_signature": False})
    problems = [name for name, ok in (
        ("aud", platform.issuer in _as_list(claims.get("aud"))),
        ("iss", claims.get("iss") == launch.tool.client_id),
        ("deployment_id", claims.get(CLAIM + "deployment_id") == launch.tool.deployment_id),
        ("data", claims.get(DL_CLAIM + "data") == launch.dl_data)) if not ok]
    if problems:
        return Response(f"deep linking response refused: {', '.join(problems)}", status=400)
    for item in items:
        launch.course.links.append({**item, "id": f"link-{secrets.token_hex(4)}"})
    platform.deep_links.append({"client_id": launch.tool.client_id, "items": items,
                            "course_id": launch.course.id, "claims": claims})
    titles = "".join(f"<li>{html.escape(i.get('title', '?'))}</li>" for i in items)
    return Response(f'<!doctype html><html lang="en"><title>Placed</title><body><main>'
                    f'<h1>Placed in {html.escape(launch.course.title)}</h1>'
                    f'<ul id="placed">{titles}</ul></main></body></html>',
                    content_type="text/html; charset=utf-8")


def id_token_claims(platform: Platform, tool: Tool, course: Course, member: Member,
                    **options: Any) -> dict[str, Any]:
    """A launch as a browser would carry it, without one: login initiation, the auth
    request, the signed id_token; its claims after checking them against our JWKS."""
    import requests

    start = requests.get(platform.launch(tool, course, member, **options),
                         allow_redirects=False, timeout=10)
    query = dict(parse_qsl(urlsplit(start.headers["Location"]).query))
    form = requests.post(platform.auth_login_url, timeout=10, data={
        "scope": "openid", "response_type": "id_token", "response_mode": "form_post",
        "prompt": "none", "client_id": query["client_id"], "state": "s",
        "redirect_uri": query["target_link_uri"], "login_hint": query["login_hint"],
        "lti_message_hint": query["lti_message_hint"], "nonce": secrets.token_hex(8)})
    token = html.unescape(form.text.split('name="id_token" value="')[1].split('"')[0])
    key = jwt.PyJWKClient(platform.jwks_url).get_signing_key_from_jwt(token).key
    return jwt.decode(token, key, algorithms=["RS256"], audience=tool.client_id)


def _hint_of(platform: Platform, launch: Launch) -> str:
    return next(hint for hint, value in platform.launches.items() if value is launch)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


