"""Who is calling: local accounts and their signed tokens, or an OIDC issuer's tokens.

``login`` checks a password against the account's argon2 hash and signs a short-lived JWT
(HS256 with ``ASPE_SECRET_KEY``) with the account's credentials version. Every request
then carries ``Authorization: Bearer``; ``viewer_from_local_token`` turns it back into a
``Viewer`` if the account still exists, is active and is at that version. In production,
tokens of an OIDC issuer may be trusted instead: their signature is checked against the
issuer's JWKS, and their ``email`` claim names the ASPE account (and so its role and
organisation), which must be active.
"""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any
from uuid import UUID

import jwt

from aspe.application import AspeApplication
from aspe.application.passwords import verify_no_password, verify_password
from aspe.authorization import Viewer
from aspe.domain.actors import Role
from aspe.domain.errors import NotFound
from aspe.domain.household import Household
from aspe.domain.staff import Staff
from aspe.graphql.errors import InvalidCredentials, InvalidToken
from aspe.settings import Settings

ISSUER = "aspe"
ALGORITHM = "HS256"


@dataclass(frozen=True)
class SignedToken:
    token: str
    expires_at: datetime


def authenticate(app: AspeApplication, email: str, password: str) -> Viewer:
    """The account that logs in with ``email`` and ``password``; one error for any mismatch.

    An unknown e-mail, or an account without a password, costs one argon2 verification too
    (against a hash that never matches): its refusal takes as long as a wrong password's."""
    account = app.account_for_email(email)
    if account is None:
        verify_no_password(password)
        raise InvalidCredentials()
    account_id, role = account
    viewer, password_hash = _account(app, account_id, role)
    if not password_hash:
        verify_no_password(password)
        raise InvalidCredentials()
    if not verify_password(password_hash, password):
        raise InvalidCredentials()
    return viewer


def _account(app: AspeApplication, account_id: UUID, role: Role) -> tuple[Viewer, str | None]:
    """The account as a viewer, and its password hash: none for a deactivated account,
    which ``authenticate`` then refuses as it refuses a wrong password."""
    account = app.load_account(account_id, role)
    return _viewer_of(account), account.password_hash if account.active else None


def _viewer_of(account: Staff | Household) -> Viewer:
    if isinstance(account, Household):
        return Viewer(
            account.id,
            Role.HOUSEHOLD,
            None,
            account.account_email,
            account.name,
            account.credentials_version,
        )
    return Viewer(
        account.id,
        account.role,
        account.organisation_id,
        account.email,
        account.full_name,
        account.credentials_version,
    )


def sign_token(settings: Settings, viewer: Viewer, now: datetime | None = None) -> SignedToken:
    """A token for ``viewer``, at its account's credentials version (``ver``)."""
    issued = now or datetime.now(UTC)
    expires = issued + timedelta(minutes=settings.token_ttl_minutes)
    claims = {
        "iss": ISSUER,
        "sub": str(viewer.id),
        "role": viewer.role.value,
        "org": str(viewer.organisation_id) if viewer.organisation_id else None,
        "email": viewer.email,
        "name": viewer.name,
        "ver": viewer.credentials_version,
        "iat": issued,
        "exp": expires,
    }
    token = jwt.encode(claims, settings.signing_key(), algorithm=ALGORITHM)
    return SignedToken(token, expires)


def local_claims(settings: Settings, token: str, now: datetime) -> dict[str, Any]:
    """The claims of a token of ours, if its signature holds and it has not expired by
    ``now``.

    Expiry is judged by the application's clock, not the system's: a token signed at the
    application's ``now`` lives exactly ``ASPE_TOKEN_TTL_MINUTES`` of that clock."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            settings.signing_key(),
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={
                "require": ["exp", "iat", "sub", "iss", "ver"],
                "verify_exp": False,
                "verify_iat": False,
            },
        )
        expires = float(claims["exp"])
    except (jwt.PyJWTError, KeyError, ValueError, TypeError):
        raise InvalidToken() from None
    if expires <= now.timestamp():
        raise InvalidToken()
    return claims


def viewer_from_local_token(
    app: AspeApplication, settings: Settings, token: str, now: datetime
) -> Viewer:
    """The viewer a token of ours names, as its account stands now.

    The account must exist, be active, and be at the credentials version the token was
    signed at: a sign-out, a deactivation or a new password refuses the tokens signed
    before, in every API process (the account is read from the store, through the
    application's aggregate cache, on every request)."""
    claims = local_claims(settings, token, now)
    try:
        account_id, role, version = UUID(claims["sub"]), Role(claims["role"]), claims["ver"]
    except (KeyError, ValueError, TypeError):
        raise InvalidToken() from None
    viewer = _active_viewer(app, account_id, role)
    if type(version) is not int or version != viewer.credentials_version:
        raise InvalidToken()
    return viewer


def _active_viewer(app: AspeApplication, account_id: UUID, role: Role) -> Viewer:
    """The account as a viewer; ``InvalidToken`` if it does not exist or is deactivated."""
    try:
        account = app.load_account(account_id, role)
    except NotFound:
        raise InvalidToken() from None
    if not account.active or (isinstance(account, Household) and not account.has_account):
        raise InvalidToken()
    viewer = _viewer_of(account)
    if viewer.role is not role:
        raise InvalidToken()
    return viewer


class OidcVerifier:
    """Checks tokens of one OIDC issuer: signature (its JWKS), issuer, audience, expiry, and
    that the issuer verified the e-mail that names the ASPE account."""

    def __init__(self, issuer: str, audience: str | None) -> None:
        # Settings refuse an issuer without audience; a copy made past validation must not
        # silently accept tokens the issuer signed for any other service.
        if not audience:
            raise ValueError("ASPE_OIDC_AUDIENCE must be set with ASPE_OIDC_ISSUER")
        self.issuer = issuer.rstrip("/")
        self.audience = audience

    @cached_property
    def _keys(self) -> jwt.PyJWKClient:
        url = f"{self.issuer}/.well-known/openid-configuration"
        with urllib.request.urlopen(url, timeout=5.0) as response:
            discovery = json.load(response)
        return jwt.PyJWKClient(discovery["jwks_uri"], cache_keys=True)

    def claims(self, token: str) -> dict[str, Any]:
        try:
            key = self._keys.get_signing_key_from_jwt(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=["RS256", "ES256"],
                issuer=self.issuer,
                audience=self.audience,
                options={"require": ["exp", "iss", "aud"], "verify_aud": True},
            )
        except (jwt.PyJWTError, OSError, KeyError, ValueError):
            raise InvalidToken() from None
        # Anyone may put any address in an account of some issuers: only a verified one
        # (the JSON value true, not a string) may name an ASPE account.
        if claims.get("email_verified") is not True:
            raise InvalidToken()
        return claims

    def viewer(self, app: AspeApplication, token: str) -> Viewer:
        email = self.claims(token).get("email")
        account = app.account_for_email(email) if isinstance(email, str) else None
        if account is None:
            raise InvalidToken("Ce compte n'est pas connu d'ASPE.")
        try:
            return _account(app, *account)[0]
        except NotFound:
            raise InvalidToken("Ce compte n'est pas connu d'ASPE.") from None


class Authenticator:
    """Turns a bearer token into a viewer: local tokens always, OIDC ones when configured."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        issuer = settings.oidc_issuer
        self.oidc = OidcVerifier(issuer, settings.oidc_audience) if issuer else None

    def viewer(self, app: AspeApplication, token: str, now: datetime) -> Viewer:
        if self.oidc is not None and _issuer_of(token) == self.oidc.issuer:
            viewer = self.oidc.viewer(app, token)
            return _active_viewer(app, viewer.id, viewer.role)
        return viewer_from_local_token(app, self.settings, token, now)


def _issuer_of(token: str) -> str | None:
    try:
        issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
    except jwt.PyJWTError:
        return None
    return issuer.rstrip("/") if isinstance(issuer, str) else None
