"""Who is calling: local accounts and their signed tokens, or an OIDC issuer's tokens.

``login`` checks a password against the account's argon2 hash and signs a short-lived JWT
(HS256 with ``ASPE_SECRET_KEY``). Every request then carries ``Authorization: Bearer``;
``viewer_from_token`` turns it back into a ``Viewer``. In production, tokens of an OIDC
issuer may be trusted instead: their signature is checked against the issuer's JWKS, and
their ``email`` claim names the ASPE account (and so its role and organisation).
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
from aspe.application.passwords import verify_password
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
    """The account that logs in with ``email`` and ``password``; one error for any mismatch."""
    account = app.account_for_email(email)
    if account is None:
        raise InvalidCredentials()
    account_id, role = account
    viewer, password_hash = _account(app, account_id, role)
    if not password_hash or not verify_password(password_hash, password):
        raise InvalidCredentials()
    return viewer


def _account(app: AspeApplication, account_id: UUID, role: Role) -> tuple[Viewer, str | None]:
    if role is Role.HOUSEHOLD:
        household = app.load(Household, account_id)
        viewer = Viewer(account_id, role, None, household.account_email, household.name)
        return viewer, household.password_hash
    staff = app.load(Staff, account_id)
    viewer = Viewer(account_id, staff.role, staff.organisation_id, staff.email, staff.full_name)
    return viewer, staff.password_hash


def sign_token(settings: Settings, viewer: Viewer, now: datetime | None = None) -> SignedToken:
    issued = now or datetime.now(UTC)
    expires = issued + timedelta(minutes=settings.token_ttl_minutes)
    claims = {
        "iss": ISSUER,
        "sub": str(viewer.id),
        "role": viewer.role.value,
        "org": str(viewer.organisation_id) if viewer.organisation_id else None,
        "email": viewer.email,
        "name": viewer.name,
        "iat": issued,
        "exp": expires,
    }
    token = jwt.encode(claims, settings.secret_key.get_secret_value(), algorithm=ALGORITHM)
    return SignedToken(token, expires)


def viewer_from_local_token(settings: Settings, token: str, now: datetime) -> Viewer:
    """The viewer a token of ours names, if it has not expired by ``now``.

    Expiry is judged by the application's clock, not the system's: a token signed at the
    application's ``now`` lives exactly ``ASPE_TOKEN_TTL_MINUTES`` of that clock."""
    try:
        claims = jwt.decode(
            token,
            settings.secret_key.get_secret_value(),
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={
                "require": ["exp", "iat", "sub", "iss"],
                "verify_exp": False,
                "verify_iat": False,
            },
        )
        if float(claims["exp"]) <= now.timestamp():
            raise InvalidToken()
        return Viewer(
            id=UUID(claims["sub"]),
            role=Role(claims["role"]),
            organisation_id=UUID(claims["org"]) if claims.get("org") else None,
            email=claims.get("email"),
            name=claims.get("name"),
        )
    except (jwt.PyJWTError, KeyError, ValueError):
        raise InvalidToken() from None


class OidcVerifier:
    """Checks tokens of one OIDC issuer: signature (its JWKS), issuer, audience, expiry."""

    def __init__(self, issuer: str, audience: str | None) -> None:
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
            return jwt.decode(
                token,
                key.key,
                algorithms=["RS256", "ES256"],
                issuer=self.issuer,
                audience=self.audience,
                options={"require": ["exp", "iss"], "verify_aud": self.audience is not None},
            )
        except (jwt.PyJWTError, OSError, KeyError, ValueError):
            raise InvalidToken() from None

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
            return self.oidc.viewer(app, token)
        return viewer_from_local_token(self.settings, token, now)


def _issuer_of(token: str) -> str | None:
    try:
        issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
    except jwt.PyJWTError:
        return None
    return issuer.rstrip("/") if isinstance(issuer, str) else None
