"""``login``: the one operation open to anonymous callers.

Throttled per account and per client address (``aspe.graphql.throttle``); the password check
costs the same whether the e-mail names an account or not (``authenticate``), and takes one
of the process's few hashing slots (``aspe.application.passwords``).
"""

from __future__ import annotations

from datetime import datetime

import strawberry
from starlette.concurrency import run_in_threadpool
from strawberry.types import Info

from aspe.authorization import C, Viewer
from aspe.graphql.context import Context
from aspe.graphql.identity import authenticate, sign_token
from aspe.graphql.permissions import classified
from aspe.graphql.types import Role
from aspe.logs.context import identify


@strawberry.type(description="A signed token to send as `Authorization: Bearer <token>`.")
class Session:
    token: str = classified(C.ANONYMOUS)
    expires_at: datetime = classified(C.ANONYMOUS)
    role: Role = classified(C.ANONYMOUS)  # type: ignore[valid-type]


@strawberry.type
class LoginMutation:
    @classified(C.ANONYMOUS, description="Check an e-mail and password; return a token.")
    async def login(self, info: Info, email: str, password: str) -> Session:
        context: Context = info.context
        viewer = await run_in_threadpool(log_in, context, email, password)
        identify(viewer.id, viewer.role)  # the login's access line names the account, by id
        signed = sign_token(context.settings, viewer, context.clock())
        return Session(token=signed.token, expires_at=signed.expires_at, role=viewer.role)


def log_in(context: Context, email: str, password: str) -> Viewer:
    """The viewer ``email`` and ``password`` name, if the throttle admits the attempt."""
    if context.login_throttle is None:  # never unthrottled: the app always sets one
        raise RuntimeError("login needs the app's login throttle")
    with context.login_throttle.attempt(email, context.client_address):
        return authenticate(context.application, email, password)
