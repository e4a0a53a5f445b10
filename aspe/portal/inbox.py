"""The viewer's notifications: ``/notifications``, and each notification's link to its case.

A notification's ``body`` is the text of the e-mail it was also sent as: a greeting, its
paragraphs, the case's reference and the platform's signature. The page shows its
paragraphs (and its « - » lines as a list) without the e-mail's greeting, reference and
signature, which the page says otherwise. Following a notification's link
(``/notifications/{id}``) marks it read (``markNotificationsRead``) and opens its case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from starlette.responses import Response

from aspe.portal.gql import execute
from aspe.portal.pages import CHROME, PageNotFound, redirect, render

NOTIFICATIONS_QUERY = f"""
query Notifications {{
  {CHROME}
  notifications(first: 50) {{
    unreadCount
    items {{ id subject body caseId createdAt readAt }}
  }}
}}
"""

MARK_ALL_READ = "mutation MarkAllRead { markNotificationsRead { unreadCount } }"

MARK_ONE_READ = """
mutation MarkOneRead($id: ID!) { markNotificationsRead(ids: [$id]) { unreadCount } }
"""

CASE_OF = "query CaseOfNotification { notifications(first: 100) { items { id caseId } } }"

GREETING = re.compile(r"^Bonjour\b[^\n]*,$")
BOILERPLATE = re.compile(
    r"^(Référence : |Dossier : [0-9a-f-]{36}$|Le détail est à consulter sur la plateforme|— )"
)
"""Paragraphs of the e-mail that the page does not need: the case's reference (the link
says it), the invitation to log in, the signature."""
ITEM = "- "


@dataclass(frozen=True)
class Block:
    """A paragraph, or a list of items (the body's « - » lines)."""

    text: str | None = None
    items: tuple[str, ...] = ()


def readable(body: str) -> list[Block]:
    """The body's paragraphs worth reading on the page, in order."""
    blocks: list[Block] = []
    paragraphs = [part.strip() for part in re.split(r"\n\s*\n", body or "") if part.strip()]
    for index, paragraph in enumerate(paragraphs):
        if (index == 0 and GREETING.match(paragraph)) or BOILERPLATE.match(paragraph):
            continue
        lines = [line.strip() for line in paragraph.splitlines() if line.strip()]
        lines = [line for line in lines if not BOILERPLATE.match(line)]
        text = [line for line in lines if not line.startswith(ITEM)]
        items = tuple(line[len(ITEM) :] for line in lines if line.startswith(ITEM))
        if text:
            blocks.append(Block(text=" ".join(text)))
        if items:
            blocks.append(Block(items=items))
    return blocks


def _shown(item: dict[str, Any]) -> dict[str, Any]:
    return {**item, "blocks": readable(item["body"])}


def register(router: APIRouter) -> None:
    @router.get("/notifications", include_in_schema=False)
    async def notifications(request: Request) -> Response:
        data = await execute(request, NOTIFICATIONS_QUERY)
        inbox = data["notifications"]
        shown = {**inbox, "items": [_shown(item) for item in inbox["items"]]}
        return await render(request, "notifications.html", {"inbox": shown}, data=data)

    @router.post("/notifications/lues", include_in_schema=False)
    async def mark_all_read(request: Request) -> Response:
        await execute(request, MARK_ALL_READ)
        return redirect("/notifications")

    @router.get("/notifications/{notification_id}", include_in_schema=False)
    async def open_notification(request: Request, notification_id: str) -> Response:
        """Mark the notification read, then open its case (the inbox when it has none)."""
        try:
            UUID(notification_id)
        except ValueError:
            raise PageNotFound() from None
        await execute(request, MARK_ONE_READ, {"id": notification_id})
        data = await execute(request, CASE_OF)
        found = next(
            (item for item in data["notifications"]["items"] if item["id"] == notification_id),
            None,
        )
        if found is None:
            raise PageNotFound()
        case_id = found["caseId"]
        return redirect(f"/dossiers/{case_id}" if case_id else "/notifications")
