"""The typed context of one GraphQL request: who asks, the stores, per-request loaders.

Built by ``context_getter`` from the FastAPI request (bearer token) or by the portal for its
session's viewer; the same schema and authorization serve both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from strawberry.fastapi import BaseContext

from aspe.application import AspeApplication
from aspe.authorization import Viewer
from aspe.domain.local_time import day_of
from aspe.graphql.errors import ApiError
from aspe.graphql.loaders import Loaders
from aspe.graphql.throttle import LoginThrottle
from aspe.projections.runner import Projector
from aspe.settings import Settings


@dataclass
class Context(BaseContext):
    application: AspeApplication
    projector: Projector
    settings: Settings
    viewer: Viewer | None
    clock: Callable[[], datetime]
    auth_error: ApiError | None = None
    """Why a bearer token was refused: reported instead of ``UNAUTHENTICATED``."""
    login_throttle: LoginThrottle | None = None
    """The app's (``create_app``): ``login`` is refused without one."""
    client_address: str | None = None
    """The caller's address (the portal's visitor's, for its in-process operations)."""
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        super().__init__()
        self.loaders = Loaders(self.projector, self.today)

    def today(self) -> date:
        """The date where the people are (``ASPE_TIMEZONE``)."""
        return day_of(self.clock(), self.settings.zone)
