"""Runs the read models over the application's events: catch up, follow, rebuild, status.

One ``Projector`` reads and decodes each event once and hands it to every read model it
runs. It reads in large pages and applies each page as one batch per read model: one
transaction for thousands of events, not one per event. Each read model keeps its own
position, so a read model that is behind (just reset, or added) catches up while the
others skip what they already hold.

Following new events uses the store's subscription (PostgreSQL LISTEN/NOTIFY, through
the library's ``ApplicationSubscription``). The SQLite recorder has none, so there a
``PollingSubscription`` looks again after a short interval, or at once when this process
stored events (``AspeApplication.new_events``).

A read model that cannot apply an event (a bug in its handler, a value its database
refuses) stops alone at that event: the events before it are applied, its position stays
just before it, the failure is recorded in its own store and logged, and the other read
models go on. Nothing is skipped: the next start of a runner tries the event again, which
heals a fixed bug and stops at the same place otherwise. Errors of the connection itself
(the database is down) still stop the runner, as before: they are not the read model's.
"""

from __future__ import annotations

import bisect
import gc
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

import psycopg
from eventsourcing.persistence import (
    InterfaceError,
    ListenNotifySubscription,
    Notification,
    OperationalError,
    Tracking,
)
from eventsourcing.projection import ApplicationSubscription
from eventsourcing.utils import get_topic

from aspe import metrics
from aspe.application import AspeApplication
from aspe.domain.audited import AuditedAggregate
from aspe.projections.errors import ProjectionTimeout, ReadModelFailed, UnknownProjection
from aspe.projections.readmodel import ReadModel
from aspe.projections.view import APPLICATION_NAME, Failure, PositionMoved

log = logging.getLogger("aspe.projections")

FOLLOW_BATCH = 1_000

CONNECTION_ERRORS: tuple[type[Exception], ...] = (
    OperationalError,
    InterfaceError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
    sqlite3.OperationalError,
)
"""The database is unreachable or busy: the runner stops (and is restarted), the read
model is not at fault."""

Progress = Callable[[int], None]


@dataclass(frozen=True)
class ProjectionStatus:
    name: str
    position: int
    head: int
    rebuilding: bool
    failure: Failure | None = None
    """The event the read model stopped on, if it did."""

    @property
    def lag(self) -> int:
        return max(0, self.head - self.position)


class PollingSubscription(ListenNotifySubscription[Any]):
    """A subscription for a recorder without LISTEN/NOTIFY (SQLite): the library's pulling
    subscription, woken by this process's saves or, for other processes, every interval."""

    def __init__(self, app: AspeApplication, gt: int | None, interval: float) -> None:
        super().__init__(recorder=app.recorder, gt=gt)
        self._signal = app.new_events
        self._interval = interval
        self._ticker = threading.Thread(target=self._tick, daemon=True)
        self._ticker.start()

    def _tick(self) -> None:
        while not self._has_been_stopped:
            self._signal.wait(self._interval)
            self._has_been_notified.set()

    def __exit__(self, *args: object, **kwargs: Any) -> None:
        try:
            super().__exit__(*args, **kwargs)
        finally:
            self._ticker.join()


def subscribe(
    app: AspeApplication, gt: int | None, poll_interval: float
) -> ApplicationSubscription[Any]:
    """The library's application subscription, polling where the recorder cannot notify."""
    try:
        return ApplicationSubscription(app, gt=gt)
    except NotImplementedError:
        subscription = ApplicationSubscription.__new__(ApplicationSubscription)
        subscription.name = app.name
        subscription.recorder = app.recorder
        subscription.mapper = app.mapper
        subscription.subscription = PollingSubscription(app, gt, poll_interval)
        return subscription


class Projector:
    """The read models one process runs, over one application's events."""

    def __init__(
        self,
        app: AspeApplication,
        read_models: Sequence[ReadModel],
        batch_size: int = 5_000,
        rebuild_batch_size: int = 20_000,
        poll_interval: float = 0.25,
        wait_timeout: float = 2.0,
    ) -> None:
        self.app = app
        self.read_models = {model.name: model for model in read_models}
        self.batch_size = batch_size
        self.rebuild_batch_size = rebuild_batch_size
        self.poll_interval = poll_interval
        self.wait_timeout = wait_timeout
        self.failed: dict[str, Failure] = {}
        """Read models stopped by this projector: it gives them nothing more until restarted."""

    def close(self) -> None:
        """Close the read models' stores (not the application, which the caller owns)."""
        closed: set[int] = set()
        for model in self.read_models.values():
            if id(model.view.datastore) not in closed:
                closed.add(id(model.view.datastore))
                model.view.datastore.close()

    def model(self, name: str) -> ReadModel:
        try:
            return self.read_models[name]
        except KeyError:
            raise UnknownProjection(name, sorted(self.read_models)) from None

    def select(self, names: Sequence[str] = ()) -> list[ReadModel]:
        return [self.model(name) for name in names] if names else list(self.read_models.values())

    # ------------------------------------------------------------------- status
    def status(self) -> list[ProjectionStatus]:
        head = self.app.head()
        return [
            ProjectionStatus(
                name=model.name,
                position=model.view.max_tracking_id(APPLICATION_NAME) or 0,
                head=head,
                rebuilding=model.view.is_rebuilding,
                failure=model.view.failure(),
            )
            for model in self.read_models.values()
        ]

    def wait(self, name: str, position: int, timeout: float | None = None) -> None:
        """Read-your-writes: return once ``name`` holds ``position``, or raise after ``timeout``
        (default: the ``read_your_writes_timeout`` setting); raise ``ReadModelFailed`` as
        soon as the read model is seen stopped on an event at or before ``position``."""
        timeout = self.wait_timeout if timeout is None else timeout
        view = self.model(name).view

        def stopped_before() -> Failure | None:
            failure = view.failure()
            return failure if failure is not None and failure.position <= position else None

        if view.wait_for(position, timeout, given_up=lambda: stopped_before() is not None):
            return
        failure = stopped_before()
        if failure is not None:
            raise ReadModelFailed(name, failure.position, f"{failure.error}: {failure.message}")
        raise ProjectionTimeout(name, position, timeout)

    def healthy(self, models: Sequence[ReadModel]) -> list[ReadModel]:
        """``models`` but those this projector has stopped."""
        return [model for model in models if model.name not in self.failed]

    # ---------------------------------------------------------------- preparing
    def prepare(self) -> None:
        """Reset every read model whose tables changed shape (or were never built)."""
        for model in self.read_models.values():
            model.view.refresh_position()
            if model.view.is_stale:
                model.view.reset()

    # -------------------------------------------------------------------- rebuild
    def rebuild(
        self,
        names: Sequence[str] = (),
        progress: Callable[[int, int], Progress] | None = None,
        stop: threading.Event | None = None,
    ) -> bool:
        """Drop and replay ``names`` (all by default) from position 0 in large batches.

        A rebuild that was interrupted is resumed from its position, not started over.
        ``progress(done, total)`` returns the callback told of each batch. Returns whether
        the rebuild reached the head (False if ``stop`` was set first). A read model that
        stops on an event stays marked as rebuilding, at that event (``failed``).
        """
        models = self.select(names)
        for model in models:
            model.view.refresh_position()
            if not model.view.is_rebuilding:
                model.view.reset()
        head = self.app.head()
        done = min(model.view.position or 0 for model in models)
        advance = progress(done, head) if progress else None
        with _fewer_collections():
            self.catch_up(
                models, until=head, on_batch=advance, stop=stop, batch_size=self.rebuild_batch_size
            )
        if stop is not None and stop.is_set():
            return False
        self._finish_rebuilds(self.healthy(models))
        return True

    # ------------------------------------------------------------------ catching up
    def catch_up(
        self,
        models: Sequence[ReadModel] | None = None,
        until: int | None = None,
        on_batch: Progress | None = None,
        stop: threading.Event | None = None,
        batch_size: int | None = None,
    ) -> int:
        """Apply every stored event after the laggiest model's position; return the last.

        Read models stopped on an error are left where they are."""
        models = self.healthy(list(models or self.read_models.values()))
        if not models:
            return 0
        limit = batch_size or self.batch_size
        position = min(model.view.position or 0 for model in models)
        recorder, mapper = self.app.recorder, self.app.mapper
        while not (stop and stop.is_set()):
            models = self.healthy(models)
            if not models:
                break
            notifications = recorder.select_notifications(
                start=position, limit=limit, stop=until, inclusive_of_start=False
            )
            if not notifications:
                if until is None:  # at the head: whatever was being rebuilt is rebuilt
                    self._finish_rebuilds(models)
                break
            events = [mapper.to_domain_event(notification) for notification in notifications]
            self.apply(models, position, _positions(notifications), events)
            position = notifications[-1].id
            if on_batch:
                on_batch(len(notifications))
        return position

    def apply(
        self,
        models: Sequence[ReadModel],
        previous: int,
        positions: Sequence[int],
        events: Sequence[Any],
    ) -> None:
        """Give each model the events after its own position, tracked at the last one.

        ``previous`` is the position just before this batch: a model found behind it (its
        tables were reset by a rebuild elsewhere) first catches up to it, so none skips.
        A model that cannot apply one of the events stops there, alone (``_stop``).
        """
        for model in self.healthy(models):
            if (model.view.position or 0) < previous:
                self.catch_up([model], until=previous)
            already = model.view.position or 0
            if already >= positions[-1] or model.name in self.failed:
                continue
            start = bisect.bisect_right(positions, already)
            with suppress(PositionMoved):  # another runner got there first: it holds them
                self._apply_to(model, positions[start:], events[start:])

    def _apply_to(self, model: ReadModel, positions: Sequence[int], events: Sequence[Any]) -> None:
        failed = self._apply_or_find_failure(model, positions, events)
        if failed is not None:
            offset, error = failed
            self._stop(model, positions[offset], events[offset], error)

    def _apply_or_find_failure(
        self, model: ReadModel, positions: Sequence[int], events: Sequence[Any]
    ) -> tuple[int, Exception] | None:
        """Apply ``events`` in one batch; if it fails, apply them in halves, and so on, until
        the event that fails alone is found: its offset and error (``None``: all applied).

        Every failed attempt is rolled back, so the read model ends just before that event.
        """
        try:
            model.process_batch(events, Tracking(APPLICATION_NAME, positions[-1]))
            return None
        except PositionMoved:
            raise
        except CONNECTION_ERRORS:
            raise
        except Exception as error:
            if model.retried_by_its_runner:
                raise
            if len(events) == 1:
                return 0, error
        half = len(events) // 2
        first = self._apply_or_find_failure(model, positions[:half], events[:half])
        if first is not None:
            return first
        second = self._apply_or_find_failure(model, positions[half:], events[half:])
        return None if second is None else (half + second[0], second[1])

    def _stop(
        self, model: ReadModel, position: int, event: AuditedAggregate.Event, error: Exception
    ) -> None:
        """Stop ``model`` at the event it could not apply: recorded, logged, given no more."""
        failure = Failure.of(position, get_topic(type(event)), error)
        self.failed[model.name] = failure
        model.view.record_failure(failure)
        metrics.projection_stopped(model.name)
        log.error(
            "read model %s stopped at position %s (%s): %s: %s; the other read models go on",
            model.name,
            position,
            failure.topic,
            failure.error,
            failure.message,
            exc_info=error,
        )

    # ------------------------------------------------------------------- following
    def follow(self, stop: threading.Event, ready: threading.Event | None = None) -> None:
        """Keep every model at the head until ``stop`` is set (the long-running process)."""
        self.prepare()
        self.catch_up(stop=stop)
        models = list(self.read_models.values())
        start = min((model.view.position or 0 for model in self.healthy(models)), default=0)
        with self._pumped(start, stop) as events:
            if ready is not None:
                ready.set()
            while not stop.is_set():
                batch = _drain(events, FOLLOW_BATCH)
                if batch:
                    positions = [tracking.notification_id for _, tracking in batch]
                    self.apply(models, start, positions, [event for event, _ in batch])
                    start = positions[-1]

    @staticmethod
    def _finish_rebuilds(models: Sequence[ReadModel]) -> None:
        for model in models:
            if model.view.is_rebuilding:
                model.view.finish_rebuild()

    @contextmanager
    def _pumped(self, start: int, stop: threading.Event) -> Iterator[queue.Queue[Any]]:
        """A queue fed from the subscription by a thread, so batches take what is there."""
        events: queue.Queue[Any] = queue.Queue(maxsize=10 * FOLLOW_BATCH)
        subscription = subscribe(self.app, gt=start, poll_interval=self.poll_interval)
        failure: list[BaseException] = []

        def pump() -> None:
            try:
                for item in subscription:
                    events.put(item)
            except BaseException as error:  # handed to the following thread below
                failure.append(error)
                stop.set()

        thread = threading.Thread(target=pump, name="aspe-projections-pump", daemon=True)
        with subscription:
            thread.start()
            try:
                yield events
            finally:
                subscription.stop()
                with suppress(queue.Full):
                    events.put_nowait(None)
        thread.join(timeout=5)
        if failure:
            raise failure[0]


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """A rebuild keeps hundreds of thousands of rows cached: the cyclic garbage collector
    would walk them all again and again (measured: +29 % events/s with fewer passes)."""
    thresholds = gc.get_threshold()
    gc.set_threshold(100_000, 50, 1_000)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


def _positions(notifications: Sequence[Notification]) -> list[int]:
    return [notification.id for notification in notifications]


def _drain(events: queue.Queue[Any], limit: int) -> list[Any]:
    """What the subscription has delivered, waiting briefly for the first item."""
    try:
        first = events.get(timeout=0.2)
    except queue.Empty:
        return []
    batch = [first] if first is not None else []
    while len(batch) < limit:
        try:
            item = events.get_nowait()
        except queue.Empty:
            break
        if item is not None:
            batch.append(item)
    return batch


class BackgroundFollower:
    """``Projector.follow`` in a thread of this process (the embedded default's ``serve``)."""

    def __init__(self, projector: Projector) -> None:
        self.projector = projector
        self.stop_event = threading.Event()
        self.ready = threading.Event()
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="aspe-projections", daemon=True)

    def _run(self) -> None:
        try:
            self.projector.follow(self.stop_event, ready=self.ready)
        except BaseException as error:  # reported by stop(), and the service stays up to say so
            self.error = error
            self.ready.set()

    def start(self, timeout: float = 60.0) -> BackgroundFollower:
        self._thread.start()
        self.ready.wait(timeout)
        return self

    def stop(self) -> None:
        self.stop_event.set()
        self._thread.join(timeout=10)
        if self.error is not None:
            raise self.error
