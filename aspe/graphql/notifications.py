"""The viewer's in-app inbox: ``notifications`` and ``markNotificationsRead``.

The workers write each notification with only what its recipient may see (DESIGN §6); here
an account reads its own inbox and nothing else, so every field is the viewer's ``ACCOUNT``.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import strawberry
from starlette.concurrency import run_in_threadpool
from strawberry.types import Info

from aspe.authorization import C
from aspe.domain.errors import InvalidInput
from aspe.graphql.permissions import classified
from aspe.graphql.reading import viewer_of
from aspe.graphql.types import id_or_none
from aspe.settings import Settings
from aspe.workers import inbox


@strawberry.type(description="A notification of the viewer's inbox.")
class Notification:
    id: strawberry.ID = classified(C.ACCOUNT)
    subject: str = classified(C.ACCOUNT)
    body: str = classified(C.ACCOUNT)
    case_id: strawberry.ID | None = classified(C.ACCOUNT)
    created_at: datetime = classified(C.ACCOUNT)
    read_at: datetime | None = classified(C.ACCOUNT)

    @classmethod
    def of(cls, notification: inbox.Notification) -> Notification:
        return cls(
            id=strawberry.ID(str(notification.id)),
            subject=notification.subject,
            body=notification.body,
            case_id=id_or_none(notification.case_id),
            created_at=notification.created_at,
            read_at=notification.read_at,
        )


@strawberry.type(description="The viewer's inbox: its unread count and latest notifications.")
class Inbox:
    unread_count: int = classified(C.ACCOUNT)
    items: list[Notification] = classified(C.ACCOUNT)


def _inbox(settings: Settings, account_id: UUID, unread_only: bool, first: int) -> Inbox:
    items = inbox.notifications(settings, account_id, unread_only=unread_only, first=first)
    return Inbox(
        unread_count=inbox.unread_count(settings, account_id),
        items=[Notification.of(item) for item in items],
    )


def _page_size(info: Info, first: int) -> int:
    limit: int = info.context.settings.graphql_max_page_size
    if not 1 <= first <= limit:
        raise InvalidInput(f"« first » doit être compris entre 1 et {limit}.")
    return first


def _ids(ids: list[strawberry.ID] | None) -> list[UUID] | None:
    if ids is None:
        return None
    try:
        return [UUID(str(identifier)) for identifier in ids]
    except ValueError:
        raise InvalidInput("Identifiant de notification invalide.") from None


@strawberry.type
class NotificationQueries:
    @classified(C.ACCOUNT, description="The viewer's notifications, newest first.")
    async def notifications(self, info: Info, unread_only: bool = False, first: int = 20) -> Inbox:
        viewer = viewer_of(info)
        size = _page_size(info, first)
        settings = info.context.settings
        return await run_in_threadpool(_inbox, settings, viewer.id, unread_only, size)


@strawberry.type
class NotificationMutations:
    @classified(
        C.ACCOUNT,
        description="Mark the viewer's notifications `ids` read (all of them when omitted); "
        "another account's ids are left alone. Returns the inbox's first page.",
    )
    async def mark_notifications_read(
        self, info: Info, ids: list[strawberry.ID] | None = None
    ) -> Inbox:
        viewer = viewer_of(info)
        chosen = _ids(ids)
        settings = info.context.settings
        now = info.context.clock()
        await run_in_threadpool(inbox.mark_read, settings, viewer.id, chosen, now)
        return await run_in_threadpool(_inbox, settings, viewer.id, False, 20)
