"""Live updates: ``/evenements`` streams server-sent events, the first one the viewer's unread
count; the case page opens it and works without it.

``TestClient`` waits for a response to end, and a stream does not: the tests talk ASGI to the
app directly, read the first event (bounded by a timeout, never by a sleep) and disconnect.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from uuid import UUID

import anyio
from fastapi import FastAPI

from aspe.demo.scenarios import Account, CaseStory
from aspe.domain.values import Status
from aspe.portal import case_page
from aspe.portal.case_page import live_events
from aspe.portal.gql import NOT_RECORDED, SessionExpired
from tests.portal.conftest import READ_MODEL_TIMEOUT, Visitor

LoggedIn = Callable[[Account | str], Visitor]


class Stream:
    """What one ASGI request to a streaming route answered, up to the first event."""

    def __init__(self) -> None:
        self.status: int | None = None
        self.headers: dict[str, str] = {}
        self.body = b""

    @property
    def events(self) -> list[tuple[str, dict[str, Any]]]:
        found = []
        for block in self.body.decode().split("\n\n"):
            lines = dict(
                line.split(": ", 1) for line in block.splitlines() if line[:1] not in ("", ":")
            )
            if "event" in lines:
                found.append((lines["event"], json.loads(lines.get("data", "{}"))))
        return found


async def first_event(app: FastAPI, path: str, query: str, cookie: str) -> Stream:
    """GET ``path`` on ``app`` until the first ``event:`` arrives, then disconnect."""
    stream = Stream()
    got_event = anyio.Event()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"accept", b"text/event-stream"),
            (b"cookie", cookie.encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }
    requested = False

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await got_event.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            stream.status = message["status"]
            stream.headers = {k.decode(): v.decode() for k, v in message["headers"]}
            if stream.status != 200:
                got_event.set()
        elif message["type"] == "http.response.body":
            stream.body += message.get("body", b"")
            if stream.events or not message.get("more_body", False):
                got_event.set()

    with anyio.fail_after(READ_MODEL_TIMEOUT):
        await app(scope, receive, send)
    return stream


def cookie_of(browser: Visitor) -> str:
    return "; ".join(f"{name}={value}" for name, value in browser.client.cookies.items())


def test_the_stream_sends_the_viewer_s_unread_count_first(
    world: Any, portal: FastAPI, logged_in: LoggedIn
) -> None:
    browser = logged_in(world.referent)

    stream = anyio.run(first_event, portal, "/evenements", "", cookie_of(browser))

    assert stream.status == 200
    assert stream.headers["content-type"].startswith("text/event-stream")
    assert stream.headers["cache-control"] == "no-store"
    assert stream.events[0] == ("non-lues", {"unreadCount": 0})


def test_a_case_page_s_stream_starts_with_the_unread_count_too(
    world: Any, portal: FastAPI, logged_in: LoggedIn
) -> None:
    household = world.departement.add_household(
        world.referent, world.landlord_id, "Famille Lambert"
    )
    case_id: UUID = CaseStory(world.departement, world.referent, household).walk_to(
        Status.SUBMITTED
    )
    browser = logged_in(world.referent)
    page = browser.page(f"/dossiers/{case_id}")

    stream = anyio.run(first_event, portal, "/evenements", f"dossier={case_id}", cookie_of(browser))

    assert f'<script src="/static/dossier.js" data-flux="/evenements?dossier={case_id}"' in page
    assert "new EventSource" in browser.page("/static/dossier.js")
    assert 'id="mise-a-jour"' in page
    assert "Recharger la page" in page
    assert stream.events[0] == ("non-lues", {"unreadCount": 0})


def test_nobody_logged_in_gets_no_stream(portal: FastAPI, visitor: Callable[[], Visitor]) -> None:
    response = visitor().get("/evenements")

    assert response.status_code == 303
    assert response.headers["location"].startswith("/connexion")


class FakeRequest:
    """Enough of a request for ``live_events`` with ``execute`` replaced."""


def test_the_stream_tells_of_a_change_of_the_case_and_ends_with_the_session(
    monkeypatch: Any,
) -> None:
    """Given answers of the API poll after poll, the stream sends ``dossier`` when the case
    changed, a new ``non-lues`` when the count changed, and ``fin`` when the session ends."""
    case_id = "0b8f2d7e-3c4a-4f4e-9d2b-1a2b3c4d5e6f"
    answers: list[Any] = [
        {"inbox": {"unreadCount": 1}, "case": {"status": "ACTIVE"}, "auditTrail": [1]},
        {"inbox": {"unreadCount": 1}, "case": {"status": "ACTIVE"}, "auditTrail": [1]},
        {"inbox": {"unreadCount": 2}, "case": {"status": "ACTIVE"}, "auditTrail": [1, 2]},
        SessionExpired(),
    ]

    reads: list[Any] = []

    async def execute(request: Any, query: str, variables: Any = None, read: Any = None) -> Any:
        reads.append(read)
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def no_wait(seconds: float) -> None:
        return None

    monkeypatch.setattr(case_page, "execute", execute)
    monkeypatch.setattr(case_page.anyio, "sleep", no_wait)

    async def collect() -> list[str]:
        return [chunk async for chunk in live_events(FakeRequest(), case_id)]  # type: ignore[arg-type]

    chunks = anyio.run(collect)
    events = [chunk.split("\n", 1)[0] for chunk in chunks if chunk.startswith("event:")]

    assert events == ["event: non-lues", "event: non-lues", "event: dossier", "event: fin"]
    assert 'data: {"unreadCount": 2}' in "".join(chunks)
    assert "Dossier mis à jour" in "".join(chunks)
    assert reads == [NOT_RECORDED] * 4  # polls show nothing new: no entry in the access log
