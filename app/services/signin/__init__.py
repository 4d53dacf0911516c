"""Institutional sign-in: OpenID Connect providers from settings, what their claims mean
here (identity, role), and the refusals every protocol reports the same way.

The transports (``app.web.signin``) speak the protocols; the account rules they end in
live in ``app.services.accounts.identities``, shared with LTI launches.
"""

from app.services.signin.failures import SignInRefused, refuse
from app.services.signin.oidc import OidcProvider, claims_from_oidc, id_token_checks, providers

__all__ = ["OidcProvider", "SignInRefused", "claims_from_oidc", "id_token_checks", "providers",
           "refuse"]
