"""Reading cases for a viewer, and running a viewer's commands: what resolvers share.

A case the viewer may not see is ``None`` here (and ``NotFound`` for a command on it), so
no answer tells it apart from a case that does not exist. Commands run as the viewer in a
worker thread; the resolver then waits until the ``case_file`` read model holds the
command's last event, so the case it returns shows the command's effect.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from starlette.concurrency import run_in_threadpool
from strawberry.types import Info

from aspe.application import AspeApplication
from aspe.application.commands import Created
from aspe.authorization import Viewer, may_see_case
from aspe.domain.actors import Actor, acting_as
from aspe.domain.errors import NotFound
from aspe.graphql.errors import Unauthenticated
from aspe.graphql.permissions import Seen
from aspe.graphql.types import Case, case_of
from aspe.logs.context import request_correlation_id
from aspe.projections.case_file import CaseFileRow, case_file, case_file_as_of

CASE_FILE = "case_file"
CASE_NOT_FOUND = "Dossier introuvable."


def viewer_of(info: Info) -> Viewer:
    viewer: Viewer | None = info.context.viewer
    if viewer is None:
        raise info.context.auth_error or Unauthenticated()
    return viewer


def visible(viewer: Viewer, row: CaseFileRow | None) -> CaseFileRow | None:
    return row if row is not None and may_see_case(viewer, row) else None


def cases_of(viewer: Viewer, rows: list[CaseFileRow | None]) -> list[Case]:
    seen = Seen(viewer)
    return [case_of(row, seen) for row in rows if row is not None and may_see_case(viewer, row)]


async def load_case(info: Info, case_id: str) -> Case | None:
    """The case as the viewer may see it, or ``None`` (absent and hidden look the same)."""
    viewer = viewer_of(info)
    row = visible(viewer, await info.context.loaders.case_file.load(_normalised(case_id)))
    return None if row is None else case_of(row, Seen(viewer))


async def load_case_as_of(info: Info, case_id: str, at: datetime) -> Case | None:
    """The case as it stood at ``at``, read with the viewer's rights now (DESIGN §6).

    Its content comes from the past; whether the viewer sees the case, and the household's
    consent that opens the landlord's rows, come from the case as it is today. The case must
    also have been the viewer's to see then (a landlord sees nothing from before the grant).
    """
    viewer = viewer_of(info)
    key = _normalised(case_id)
    today = visible(viewer, await info.context.loaders.case_file.load(key))
    if today is None:
        return None
    then = await run_in_threadpool(case_file_as_of, info.context.application, UUID(key), at)
    shown = visible(viewer, then)
    return None if shown is None else case_of(shown, Seen(viewer), rights=today)


def _normalised(case_id: str) -> str:
    try:
        return str(UUID(str(case_id)))
    except ValueError:
        return ""


def actor_of(viewer: Viewer) -> Actor:
    return Actor(id=viewer.id, role=viewer.role, organisation_id=viewer.organisation_id)


async def run_command(info: Info, command: Callable[[AspeApplication], Any]) -> Any:
    """Run ``command`` as the viewer, in a worker thread; return what it returned."""
    viewer, context = viewer_of(info), info.context

    def run() -> Any:
        with acting_as(
            actor_of(viewer), clock=context.clock, correlation_id=request_correlation_id()
        ):
            return command(context.application)

    return await run_in_threadpool(run)


async def run_case_command(
    info: Info, case_id: str | UUID, command: Callable[[AspeApplication, UUID], Any]
) -> Case:
    """Run a command on a case the viewer sees; return the case as it stands after it."""
    viewer, context = viewer_of(info), info.context
    key = _normalised(str(case_id))

    def run() -> CaseFileRow:
        view = context.projector.model(CASE_FILE).view
        if visible(viewer, case_file(view, key)) is None:
            raise NotFound(CASE_NOT_FOUND)
        with acting_as(
            actor_of(viewer), clock=context.clock, correlation_id=request_correlation_id()
        ):
            result = command(context.application, UUID(key))
        return _after(context, key, result)

    return await _as_case(viewer, await run_in_threadpool(run))


async def run_creating_command(info: Info, command: Callable[[AspeApplication], Created]) -> Case:
    """Run a command that opens a case; return the new case as the viewer sees it."""
    viewer, context = viewer_of(info), info.context

    def run() -> CaseFileRow:
        with acting_as(
            actor_of(viewer), clock=context.clock, correlation_id=request_correlation_id()
        ):
            created = command(context.application)
        return _after(context, str(created.id), created)

    return await _as_case(viewer, await run_in_threadpool(run))


def _after(context: Any, case_id: str, result: Any) -> CaseFileRow:
    position = result.position if isinstance(result, Created) else int(result)
    context.projector.wait(CASE_FILE, position)
    row = case_file(context.projector.model(CASE_FILE).view, case_id)
    if row is None:
        raise NotFound(CASE_NOT_FOUND)
    return row


async def _as_case(viewer: Viewer, row: CaseFileRow) -> Case:
    if visible(viewer, row) is None:
        raise NotFound(CASE_NOT_FOUND)
    return case_of(row, Seen(viewer))
