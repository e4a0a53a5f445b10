"""The portal's session: a signed cookie holding the token ``login`` returned, and a CSRF token.

The cookie is signed with ``ASPE_SECRET_KEY`` (itsdangerous), HttpOnly, SameSite=Lax, Secure
in production (``ASPE_SESSION_COOKIE_SECURE``), and lives ``ASPE_SESSION_MAX_AGE_MINUTES``.
It holds no identity of its own: the viewer is whatever the API's token says, checked on
every page by ``aspe.portal.gql`` exactly as ``/graphql`` checks a bearer token, so the
session ends when the token expires, and as soon as its account is deactivated, changes
its password or logs out (``/deconnexion`` runs ``logout``: a copy of the cookie is worth
nothing after it).

Every visitor, logged in or not, has a per-session CSRF token; every form carries it as
``csrf_token`` and every POST is refused (403) without it (``check_csrf``). Logging in starts
a new session (new CSRF token), so a token seen before login is worth nothing after.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, replace
from typing import Any

from fastapi import Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.responses import Response

from aspe.settings import Settings

COOKIE_NAME = "aspe_session"
CSRF_FIELD = "csrf_token"
_SALT = "aspe.portal.session"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class CsrfRefused(Exception):
    """A form was posted without this session's CSRF token."""


@dataclass(frozen=True)
class PortalSession:
    csrf_token: str
    token: str | None = None
    """The signed JWT that ``login`` returned; ``None``: nobody is logged in."""
    is_new: bool = False
    """Not read from the request's cookie: the response must set it."""

    @property
    def logged_in(self) -> bool:
        return self.token is not None


def new_session(token: str | None = None) -> PortalSession:
    return PortalSession(csrf_token=secrets.token_urlsafe(32), token=token, is_new=True)


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.signing_key(), salt=_SALT)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def load_session(request: Request) -> PortalSession:
    """The request's session (read once per request), or a new anonymous one."""
    cached = getattr(request.state, "portal_session", None)
    if isinstance(cached, PortalSession):
        return cached
    session = _read(request) or new_session()
    request.state.portal_session = session
    return session


def _read(request: Request) -> PortalSession | None:
    raw = request.cookies.get(COOKIE_NAME)
    if not raw:
        return None
    settings = _settings(request)
    try:
        data: Any = _serializer(settings).loads(raw, max_age=settings.session_max_age_minutes * 60)
    except BadSignature:  # tampered with, or older than the session's lifetime
        return None
    if not isinstance(data, dict) or not isinstance(data.get("c"), str):
        return None
    token = data.get("t")
    return PortalSession(csrf_token=data["c"], token=token if isinstance(token, str) else None)


def replace_session(request: Request, session: PortalSession) -> PortalSession:
    """Make ``session`` the request's: ``store`` writes it to the response."""
    session = replace(session, is_new=True)
    request.state.portal_session = session
    return session


def store(request: Request, response: Response) -> Response:
    """Set the session cookie on ``response`` if this request started or changed the session."""
    session = getattr(request.state, "portal_session", None)
    if isinstance(session, PortalSession) and session.is_new:
        settings = _settings(request)
        value = _serializer(settings).dumps({"c": session.csrf_token, "t": session.token})
        response.set_cookie(
            COOKIE_NAME,
            value,
            max_age=settings.session_max_age_minutes * 60,
            path="/",
            httponly=True,
            samesite="lax",
            secure=settings.secure_cookies,
        )
        request.state.portal_session = replace(session, is_new=False)  # set once
    return response


def forget(request: Request, response: Response) -> Response:
    """End the session: the browser drops the cookie."""
    request.state.portal_session = None
    settings = _settings(request)
    response.delete_cookie(
        COOKIE_NAME, path="/", httponly=True, samesite="lax", secure=settings.secure_cookies
    )
    return response


async def check_csrf(request: Request) -> None:
    """A dependency of every portal route: an unsafe method needs the session's CSRF token."""
    if request.method not in UNSAFE_METHODS:
        return
    session = load_session(request)
    try:
        form = await request.form()
    except Exception:  # not a form at all (or a malformed one): it has no token either
        raise CsrfRefused() from None
    sent = form.get(CSRF_FIELD)
    if session.is_new or not isinstance(sent, str) or not sent:
        raise CsrfRefused()
    if not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
        raise CsrfRefused()
