"""The typed context of one GraphQL request: who asks, the stores, per-request loaders.

Built by ``context_getter`` from the FastAPI request (bearer token) or by the portal for its
session's viewer; the same schema and authorization serve both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID

from strawberry.fastapi import BaseContext

from aspe.application import AspeApplication
from aspe.authorization import Viewer
from aspe.domain.actors import Actor
from aspe.domain.availability import signatories_pending_for
from aspe.domain.errors import NotFound
from aspe.domain.local_time import day_of
from aspe.domain.reads import ReadKind
from aspe.graphql.access_log import API_READS, Reads
from aspe.graphql.errors import ApiError
from aspe.graphql.loaders import CommandsNow, Loaders
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
    reads: Reads = API_READS
    """How this operation's reads of cases go to the access log (the portal sets it)."""
    recorded_reads: set[tuple[str, ReadKind]] = field(default_factory=set)
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        super().__init__()
        self.loaders = Loaders(self.projector, self.today, self._commands_now)

    def today(self) -> date:
        """The date where the people are (``ASPE_TIMEZONE``)."""
        return day_of(self.clock(), self.settings.zone)

    def _commands_now(self, case_id: str) -> CommandsNow:
        """What the viewer may run on the case today: the domain's availability table read
        on the case as its events make it (not on a read model's copy of its state)."""
        viewer = self.viewer
        if viewer is None:
            return CommandsNow()
        actor = Actor(id=viewer.id, role=viewer.role, organisation_id=viewer.organisation_id)
        try:
            case = self.application.get_case(UUID(case_id))
        except NotFound:
            return CommandsNow()
        today, rules = self.today(), self.application.rules
        return CommandsNow(
            commands=tuple(case.available_commands(actor, today, rules)),
            signatories=tuple(signatories_pending_for(case, actor)),
        )
