"""``login``: the one operation open to anonymous callers."""

from __future__ import annotations

from datetime import datetime

import strawberry
from starlette.concurrency import run_in_threadpool
from strawberry.types import Info

from aspe.authorization import C
from aspe.graphql.identity import authenticate, sign_token
from aspe.graphql.permissions import classified
from aspe.graphql.types import Role


@strawberry.type(description="A signed token to send as `Authorization: Bearer <token>`.")
class Session:
    token: str = classified(C.ANONYMOUS)
    expires_at: datetime = classified(C.ANONYMOUS)
    role: Role = classified(C.ANONYMOUS)  # type: ignore[valid-type]


@strawberry.type
class LoginMutation:
    @classified(C.ANONYMOUS, description="Check an e-mail and password; return a token.")
    async def login(self, info: Info, email: str, password: str) -> Session:
        context = info.context
        viewer = await run_in_threadpool(authenticate, context.application, email, password)
        signed = sign_token(context.settings, viewer, context.clock())
        return Session(token=signed.token, expires_at=signed.expires_at, role=viewer.role)
