"""Sealing a store written before personal values were sealed: a copy into a new store.

Events are never rewritten in place (the audit chain would break, and a crash halfway
would leave a store half one thing, half the other). ``copy_sealed`` reads every event of
the old store in order and stores it again in an empty new one, through the new store's
mapper, which seals what ``aspe.privacy.personal`` declares; the new store chains them as
it goes. ``verify_copy`` then reads both again, event by event: the same events, the same
values, in the same order, and the new chain whole. Snapshots are not copied (they are made
again); read models are rebuilt on the new store (``aspe projections rebuild``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import Notification

from aspe.application import AspeApplication
from aspe.audit import store

PAGE = 1000


class NotEmpty(Exception):
    """The new store already holds events: a copy goes into an empty one only."""


class CopyDiffers(Exception):
    """The copy does not read as the original (which position, and how)."""


@dataclass(frozen=True)
class CopyReport:
    events: int
    """Events copied, and found equal to the original's."""


Progress = Callable[[int], None]


def copy_sealed(
    source: AspeApplication, target: AspeApplication, progress: Progress | None = None
) -> int:
    """Copy every event of ``source`` into the empty ``target``, sealing; how many."""
    if target.head():
        raise NotEmpty(f"{target.head()} events")
    copied = 0
    for page in _pages(source):
        events = [source.mapper.to_domain_event(notification) for notification in page]
        target.recorder.insert_events([target.mapper.to_stored_event(e) for e in events])
        copied += len(page)
        if progress:
            progress(len(page))
    return copied


def verify_copy(source: AspeApplication, target: AspeApplication) -> CopyReport:
    """Both stores read event by event: same originator, version, type and values; the
    target's chain whole. ``CopyDiffers`` at the first difference."""
    originals, copies = _events(source), _events(target)
    count = 0
    for count, (original, copy) in enumerate(zip(originals, copies, strict=False), start=1):
        if _fields(original) != _fields(copy):
            raise CopyDiffers(f"position {count}: {type(original).__qualname__} differs")
    if next(originals, None) is not None or next(copies, None) is not None:
        raise CopyDiffers(f"not as many events: the copy differs after position {count}")
    verification = store.verify(target)
    if not verification.intact:
        raise CopyDiffers(f"the copy's chain breaks: {verification.first_break}")
    return CopyReport(count)


def _pages(app: AspeApplication) -> Iterator[Sequence[Notification]]:
    position = 0
    while page := app.recorder.select_notifications(
        start=position, limit=PAGE, inclusive_of_start=False
    ):
        yield page
        position = page[-1].id


def _events(app: AspeApplication) -> Iterator[Any]:
    for page in _pages(app):
        yield from (app.mapper.to_domain_event(notification) for notification in page)


def _fields(event: Any) -> tuple[type, dict[str, Any]]:
    return type(event), dict(vars(event))
