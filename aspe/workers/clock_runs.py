"""When each clock last ran: one row per clock, written by the clock itself when it ends.

The scheduler (``aspe.workers.scheduler``) reads these rows to catch up, at start-up, a run
it missed while it was stopped; ``/readyz`` and ``aspe status`` read them to say a clock is
late. They live beside the store (a SQLite file of their own, or tables prefixed
``clock_runs_`` in PostgreSQL), so every process of a deployment sees the same rows,
whichever process ran the clock. Instants are ISO text in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypedDict

from aspe.projections.stores import TableStores
from aspe.projections.tables import Table
from aspe.projections.view import TableView
from aspe.settings import Settings

STORE_NAME = "clock_runs"
DONE = "done"
FAILED = "failed"


class ClockRunRow(TypedDict):
    clock: str
    kind: str
    """``last``: the last run, whatever its outcome; ``done``: the last run that did all
    its work (what a catch-up counts from). Two rows, so that a run writes its own and
    never reads another's."""
    at: str
    """When the run ended."""
    outcome: str
    """``done`` or ``failed``."""
    error: str | None
    """The failed run's error type (never its message: it may name a person)."""
    acted_on: int
    """How many cases, messages or households the run acted on."""


RUNS = Table("runs", ClockRunRow, key=("clock", "kind"))
LAST = "last"

_STORES = TableStores(STORE_NAME, (RUNS,))
open_store = _STORES.open
close_store = _STORES.close
close_stores = _STORES.close_all


@dataclass(frozen=True)
class LastRun:
    """A clock's last run, and when it last did all its work."""

    clock: str
    at: datetime
    outcome: str
    error: str | None
    done_at: datetime | None
    acted_on: int


def record_done(settings: Settings, clock: str, at: datetime, acted_on: int) -> None:
    """``clock`` did all its work, ending at ``at``."""
    _write(
        open_store(settings),
        _row(clock, LAST, at, DONE, None, acted_on),
        _row(clock, DONE, at, DONE, None, acted_on),
    )


def record_failed(settings: Settings, clock: str, at: datetime, error: BaseException) -> None:
    """``clock``'s run ended at ``at`` on ``error``; its last completed run stays."""
    _write(open_store(settings), _row(clock, LAST, at, FAILED, type(error).__name__, 0))


def _row(
    clock: str, kind: str, at: datetime, outcome: str, error: str | None, acted_on: int
) -> ClockRunRow:
    return {
        "clock": clock,
        "kind": kind,
        "at": _text(at),
        "outcome": outcome,
        "error": error,
        "acted_on": acted_on,
    }


def last_runs(settings: Settings) -> dict[str, LastRun]:
    """Every clock that ran at least once, by name (the Celery task's)."""
    rows = {(row["clock"], row["kind"]): row for row in open_store(settings).select(RUNS)}
    return {
        clock: _last_run(row, rows.get((clock, DONE)))
        for (clock, kind), row in rows.items()
        if kind == LAST
    }


def last_done(settings: Settings) -> dict[str, datetime]:
    """When each clock last did all its work."""
    return {name: run.done_at for name, run in last_runs(settings).items() if run.done_at}


def _write(view: TableView, *rows: ClockRunRow) -> None:
    with view.transaction(commit=True) as cursor:
        cursor.executemany(
            view.dialect.upsert(RUNS, view.name_of(RUNS)),
            [view.dialect.encode(RUNS, row) for row in rows],
        )


def _last_run(last: ClockRunRow, done: ClockRunRow | None) -> LastRun:
    return LastRun(
        clock=last["clock"],
        at=datetime.fromisoformat(last["at"]),
        outcome=last["outcome"],
        error=last["error"],
        done_at=None if done is None else datetime.fromisoformat(done["at"]),
        acted_on=last["acted_on"] if done is None else done["acted_on"],
    )


def _text(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")
