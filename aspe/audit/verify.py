"""Re-compute the chain over the stored events and find its first break.

The walk trusts nothing it reads: each link is computed again from the previous computed
link and the event's stored fields, and compared with the stored one. Positions are walked
in order up to the store's last position when the walk starts (events stored during it are
left to the next one). At the first break it stops and says where, which event, and what
differs from the fields the link was computed over.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum

from aspe.audit.links import GENESIS, Link, StoredRow, link_hash, state_digest
from aspe.audit.tables import ChainTable, OpenCursor


class BreakKind(Enum):
    UNLINKED = "unlinked"
    """An event without a link: inserted, or stored before the chain (``aspe audit seal``)."""
    DELETED = "deleted"
    """A link without its event: the event was deleted."""
    ALTERED = "altered"
    """The link computed again differs from the stored one."""


class Difference(Enum):
    """What differs between an event and the fields its stored link was computed over."""

    EVENT = "event"
    """Another event (originator or version) sits at this position: moved, swapped, replaced."""
    TOPIC = "topic"
    STATE = "state"
    """The stored bytes of the event's state."""
    LINK = "link"
    """The fields agree: the link itself was rewritten, or an event before it was removed
    with its link."""


@dataclass(frozen=True)
class Break:
    position: int
    kind: BreakKind
    event: StoredRow | None
    recorded: Link | None
    differences: tuple[Difference, ...] = ()


@dataclass(frozen=True)
class Verification:
    checked: int
    """Events whose link was computed again and matched."""
    position: int
    """The last position walked (the store's head when the walk started)."""
    head: bytes
    """The last link computed (``GENESIS`` for an empty store)."""
    first_break: Break | None
    marked: bytes | None = None
    """The link computed at the position asked for (a checkpoint's), if the walk reached it
    and an event is there."""

    @property
    def intact(self) -> bool:
        return self.first_break is None


Progress = Callable[[int], None]


def verify_store(
    table: ChainTable,
    open_cursor: OpenCursor,
    *,
    mark: int | None = None,
    start: Callable[[int], Progress] | None = None,
) -> Verification:
    """Walk the whole store; ``start(total events)`` gives the progress callback."""
    with open_cursor() as cursor:
        until, total = table.extent(cursor)
    progress = start(total) if start else None
    return walk(table.pages(open_cursor, until), until, mark=mark, progress=progress)


def walk(
    pages: Iterable[tuple[list[StoredRow], list[Link]]],
    until: int,
    *,
    mark: int | None = None,
    progress: Progress | None = None,
) -> Verification:
    state = _Walk(mark)
    for events, links in pages:
        found = state.page(events, {link.position: link for link in links})
        if found is not None:
            return Verification(state.checked, until, state.previous, found, state.marked)
        if progress:
            progress(len(events))
    return Verification(state.checked, until, state.previous, None, state.marked)


class _Walk:
    """The chain computed so far: the last link, how many matched, the marked one."""

    def __init__(self, mark: int | None) -> None:
        self.mark = mark
        self.previous = GENESIS
        self.checked = 0
        self.marked: bytes | None = None

    def page(self, events: list[StoredRow], recorded: dict[int, Link]) -> Break | None:
        """Walk one page's events; the first break among them and the page's links (a link
        without its event is a deleted event)."""
        positions = {event.position for event in events}
        deleted = min((p for p in recorded if p not in positions), default=None)
        for event in events:
            if deleted is not None and deleted < event.position:
                return Break(deleted, BreakKind.DELETED, None, recorded[deleted])
            link = recorded.get(event.position)
            if link is None:
                return Break(event.position, BreakKind.UNLINKED, event, None)
            if link_hash(self.previous, event) != link.hash:
                return Break(
                    event.position, BreakKind.ALTERED, event, link, _differences(event, link)
                )
            self.previous = link.hash
            self.checked += 1
            if event.position == self.mark:
                self.marked = link.hash
        if deleted is not None:
            return Break(deleted, BreakKind.DELETED, None, recorded[deleted])
        return None


def _differences(event: StoredRow, link: Link) -> tuple[Difference, ...]:
    found = []
    if (event.originator_id, event.version) != (link.originator_id, link.version):
        found.append(Difference.EVENT)
    if event.topic != link.topic:
        found.append(Difference.TOPIC)
    if state_digest(event.state) != link.state_digest:
        found.append(Difference.STATE)
    return tuple(found) or (Difference.LINK,)
