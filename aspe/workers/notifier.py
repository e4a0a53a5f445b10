"""The notifier: follows the event log like a read model and tells each event's audience.

``Notifier`` is a read model (the directory, in tables of its own, so whom it tells is read
at the same position as the event it tells of) run by a ``Projector`` of its own. For each
batch of events it makes the messages (``recipients`` says who, ``texts`` what), hands them
to ``dispatch`` and only then commits the batch's rows and tracking position, in one
transaction. A dispatch that fails (Redis down) leaves the position where it was:
``NotifierRunner`` backs off and tries the same events again, and their messages keep
their keys (``"<event>:<account>"``), so the delivery records each once however often it is
dispatched.

A notifier that starts on a store which already holds events (the demo, an upgrade) tells
nobody of those: it reads them quietly, for its directory, up to the head it found when it
first started (kept in its ``start`` table), and notifies from there on.

It runs on its own, never in the read models' ``Projector``: while Redis is down it waits,
and the read models must not wait with it. ``aspe projections run`` runs it in a thread of
its own next to the read models (``aspe notifier run`` runs it alone); in the embedded
default, ``aspe serve`` runs it in a thread (``BackgroundNotifier``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import tzinfo
from typing import Any, TypedDict

from eventsourcing.persistence import Tracking

from aspe.domain.audited import AuditedAggregate
from aspe.domain.rules import DEFAULT_RULES, RuleParameters
from aspe.projections.directory import Directory
from aspe.projections.runner import Projector
from aspe.projections.tables import Table
from aspe.projections.view import APPLICATION_NAME, TableView
from aspe.settings import Settings
from aspe.workers.messages import Message
from aspe.workers.recipients import ACCOUNT_EVENTS, AddressBook, Reader
from aspe.workers.texts import ACCOUNT_COMPOSERS, Facts, Lens, compose

log = logging.getLogger(__name__)

Dispatch = Callable[[Sequence[Message]], None]


class StartRow(TypedDict):
    name: str
    position: int


START = Table("start", StartRow, key=("name",))
"""``quiet_until``: the store's head when the notifier first started."""


def event_key(event: AuditedAggregate.Event) -> str:
    """An event's id: its aggregate and version, unique and the same on every replay."""
    return f"{event.originator_id}.{event.originator_version}"


def messages_for(event: AuditedAggregate.Event, book: AddressBook, zone: tzinfo) -> list[Message]:
    """The messages ``event`` makes: one per reader it concerns, each with what that reader
    may see; a day taken from an instant is the day in ``zone``, the people's."""
    readers = book.readers_of(event)
    if not readers:
        return []
    if type(event) in ACCOUNT_EVENTS:
        return [account_message(event, reader, zone) for reader in readers]
    case = book.case(str(event.originator_id))
    assert case is not None  # readers_of found readers of it
    facts = Facts(
        case_id=case["case_id"],
        household_name=case["household_name"],
        association_name=book.organisation_name(case["association_id"]),
        landlord_consent=bool(case["landlord_consent"]),
    )
    messages = []
    for reader in readers:
        lens = Lens(reader.role, facts.landlord_consent)
        text = compose(event, lens, facts, reader.recipient.name)
        if text is not None:
            messages.append(
                Message(
                    key=f"{event_key(event)}:{reader.recipient.account_id}",
                    recipient=reader.recipient,
                    subject=text[0],
                    body=text[1],
                    case_id=event.originator_id,
                )
            )
    return messages


def account_message(event: AuditedAggregate.Event, reader: Reader, zone: tzinfo) -> Message:
    """What an account event tells its holder (at an address it had before: by e-mail)."""
    recipient = reader.recipient
    subject, body = ACCOUNT_COMPOSERS[type(event)](event, recipient.name, zone)
    at = ":adresse-precedente" if recipient.email_only else ""
    return Message(f"{event_key(event)}:{recipient.account_id}{at}", recipient, subject, body)


def default_dispatch(messages: Sequence[Message]) -> None:
    from aspe.workers.delivery import dispatch  # the Celery side, imported when first used

    dispatch(messages)


def dispatch_for(settings: Settings) -> Dispatch:
    """``dispatch`` through a Celery app configured from ``settings`` (the environment's
    may name another store: a test's, the embedded default's ``create_app(settings)``)."""
    from aspe.workers.app import create_app
    from aspe.workers.delivery import dispatch

    celery = create_app(settings)

    def dispatch_messages(messages: Sequence[Message]) -> None:
        dispatch(messages, app=celery)

    return dispatch_messages


class Notifier(Directory):
    """The directory, and the messages each event makes, dispatched before the position moves."""

    name = "notifier"
    tables = (*Directory.tables, START)
    retried_by_its_runner = True  # a dispatch fails while Redis is down: NotifierRunner retries

    def __init__(
        self,
        view: TableView,
        rules: RuleParameters = DEFAULT_RULES,
        dispatch: Dispatch = default_dispatch,
    ) -> None:
        super().__init__(view, rules)
        self.dispatch = dispatch

    @property
    def quiet_until(self) -> int:
        row = self.view.get(START, "quiet_until")
        return int(row["position"]) if row else 0

    def start_quietly(self, head: int) -> None:
        """Remember, on a first start, that events up to ``head`` are read without
        notifying anyone (a notifier that has already read events notifies what follows)."""
        if self.view.position is None and self.view.get(START, "quiet_until") is None:
            changes = self.view.begin()
            changes.start.put({"name": "quiet_until", "position": head})
            self.view.commit(changes, Tracking(APPLICATION_NAME, 0))

    def process_batch(self, events: Iterable[Any], tracking: Tracking) -> None:
        changes = self.view.begin()
        book = AddressBook(self.view, changes)
        quiet = tracking.notification_id <= self.quiet_until
        messages: list[Message] = []
        for event in events:
            self.apply((event,), changes)
            if not quiet:
                messages.extend(messages_for(event, book, self.rules.zone))
        if messages:
            self.dispatch(messages)
        self.view.commit(changes, tracking)


def run_notifier(
    projector: Projector, stop: threading.Event, ready: threading.Event | None = None
) -> None:
    """The long-running process (``aspe notifier run``): follow until ``stop`` is set. The
    process's entry point builds the projector (``bootstrap.build_notifier``) and closes it."""
    NotifierRunner(projector).run(stop, ready)


class NotifierRunner:
    """Keeps the notifier at the head; on a failed dispatch, waits and tries again.

    The wait doubles from ``initial_delay`` up to ``max_delay`` while nothing gets through,
    and starts again from ``initial_delay`` once the position has moved.
    """

    def __init__(
        self, projector: Projector, initial_delay: float = 0.5, max_delay: float = 30.0
    ) -> None:
        self.projector = projector
        self.initial_delay = initial_delay
        self.max_delay = max_delay

    @property
    def notifier(self) -> Notifier:
        model = self.projector.model(Notifier.name)
        assert isinstance(model, Notifier)
        return model

    def prime(self, stop: threading.Event | None = None) -> None:
        """Read quietly what the store held when the notifier first started."""
        notifier = self.notifier
        view = notifier.view
        view.refresh_position()
        known = view.position
        if view.is_stale:  # new tables: re-read everything, but tell only what is new
            view.reset()
        notifier.start_quietly(known if known is not None else self.projector.app.head())
        if (view.position or 0) < notifier.quiet_until:
            self.projector.catch_up(until=notifier.quiet_until, stop=stop)

    def catch_up(self) -> int:
        """Notify everything stored so far (tests, and the clocks after they act)."""
        self.prime()
        return self.projector.catch_up()

    def run(self, stop: threading.Event, ready: threading.Event | None = None) -> None:
        """Follow new events until ``stop`` is set, trying again after any failure."""
        delay, stuck_at = self.initial_delay, self.notifier.view.position
        while not stop.is_set():
            try:
                with _linked(stop) as attempt:  # the projector sets it when its pump fails
                    self.prime(attempt)
                    self.projector.follow(attempt, ready)
            except Exception:
                position = self.notifier.view.position
                if position != stuck_at:
                    delay, stuck_at = self.initial_delay, position
                log.exception("notifier stopped at position %s; again in %.1f s", position, delay)
                stop.wait(delay)
                delay = min(delay * 2, self.max_delay)


@contextmanager
def _linked(outer: threading.Event) -> Iterator[threading.Event]:
    """An event of its own, set when ``outer`` is (while the block runs)."""
    inner = threading.Event()

    def follow_outer() -> None:
        while not inner.is_set():
            if outer.wait(0.2):
                inner.set()

    watcher = threading.Thread(target=follow_outer, name="aspe-notifier-stop", daemon=True)
    watcher.start()
    try:
        yield inner
    finally:
        inner.set()
        watcher.join()


class BackgroundNotifier:
    """``NotifierRunner.run`` in a thread of this process (the embedded default's ``serve``).

    ``start`` returns once the notifier follows the store (or after ``timeout``): what is
    stored from then on is notified."""

    def __init__(self, runner: NotifierRunner) -> None:
        self.runner = runner
        self.stop_event = threading.Event()
        self.ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="aspe-notifier", daemon=True)

    def _run(self) -> None:
        self.runner.run(self.stop_event, self.ready)

    def start(self, timeout: float = 60.0) -> BackgroundNotifier:
        self._thread.start()
        self.ready.wait(timeout)
        return self

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> None:
        self.stop_event.set()
        self._thread.join(timeout=10)
