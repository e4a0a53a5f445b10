"""Sealing benchmark: what sealing personal values costs appends and replays.

For each store (PostgreSQL, SQLite) in one run:

1. two stores side by side, one written by the application as it runs (personal values
   sealed with each household's key), one by the same application with sealing off
   (``seal_personal_data=False``, what every store was before), each with the same
   ``--cases`` ACTIVE cases (``audit_verify.fleet``);
2. **append**: ``--rounds`` rounds of ``--commands`` one-event commands (a contact with a
   note: one sealed value) on each, interleaved, the order flipping every round;
3. **replay**: ``--rounds`` rounds, interleaved the same way, each ``--passes`` times
   reading every event of the store back through the mapper (decoding, opening each
   sealed value), as a read model's rebuild does, and replaying every case from the store
   (``repository.get`` past the cache: its snapshot, sealed whole, then the events after).

It prints the rates of each side and their ratio (sealed / plain), median and range.

Quick run: ``.venv/bin/python bench/sealing.py --cases 30 --commands 200 --rounds 4``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from rich.console import Console
from rich.table import Table

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))  # bench/ is not a package: audit_verify's fleet is a module

from audit_verify import backend, commands  # noqa: E402

from aspe.application import AspeApplication  # noqa: E402
from aspe.domain.case import Case  # noqa: E402
from aspe.settings import Settings  # noqa: E402

SIDES = ("plain", "sealed")


LATEST = 2**62
"""A version past any case's: ``repository.get`` then reads the store, not its cache."""


def application(settings: Settings, sealed: bool) -> AspeApplication:
    """As ``bootstrap.build_application`` makes it (snapshots, cache), sealing or not."""
    return AspeApplication(
        env=settings.eventsourcing_env("events"),
        rules=settings.rules,
        snapshot_interval=settings.snapshot_interval,
        seal_personal_data=sealed,
    )


def replays(app: AspeApplication, passes: int) -> Callable[[], float]:
    """``run()``: ``passes`` times, every event decoded and every case replayed; events
    per second."""

    def run() -> float:
        started, events = time.perf_counter(), 0
        for _ in range(passes):
            events += replay_once(app)
        return events / (time.perf_counter() - started)

    return run


def replay_once(app: AspeApplication) -> int:
    events, case_ids, position = 0, set(), 0
    while page := app.recorder.select_notifications(
        start=position, limit=5000, inclusive_of_start=False
    ):
        for notification in page:
            event = app.mapper.to_domain_event(notification)
            if isinstance(event, Case.Opened):
                case_ids.add(event.originator_id)
        events += len(page)
        position = page[-1].id
    for case_id in case_ids:
        app.repository.get(case_id, version=LATEST)
    return events


@dataclass
class Report:
    backend: str
    appends: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in SIDES})
    replays: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in SIDES})
    events: int = 0


def interleaved(
    rounds: int, runs: dict[str, Callable[[], float]], into: dict[str, list[float]]
) -> None:
    for round_ in range(rounds):
        for side in SIDES if round_ % 2 else tuple(reversed(SIDES)):
            into[side].append(runs[side]())


def bench(name: str, args: argparse.Namespace, console: Console) -> Report:
    report = Report("PostgreSQL" if name == "postgres" else "SQLite")
    with backend(name) as two:  # two empty stores side by side; the first one is sealed
        settings = {"sealed": two.chained, "plain": two.plain}
        apps = {side: application(settings[side], side == "sealed") for side in SIDES}
        try:
            appenders = {side: commands(apps[side], args.cases) for side in SIDES}
            for side in SIDES:  # warm-up, not counted
                appenders[side](args.commands // 4)
            interleaved(
                args.rounds,
                {side: partial(appenders[side], args.commands) for side in SIDES},
                report.appends,
            )
            console.log(f"{report.backend}: appends measured")
            runs = {side: replays(apps[side], args.passes) for side in SIDES}
            interleaved(args.rounds, runs, report.replays)
            report.events = apps["sealed"].head()
            console.log(f"{report.backend}: replays measured ({report.events:,} events each)")
        finally:
            for app in apps.values():
                app.close()
    return report


def report_table(reports: list[Report], args: argparse.Namespace) -> Table:
    table = Table(title=f"Sealed / plain, {args.rounds} interleaved rounds each")
    for column in ("store", "measure", "plain /s", "sealed /s", "ratio (median)", "range"):
        table.add_column(column, justify="left" if column in ("store", "measure") else "right")
    for r in reports:
        for measure, rates in (("append (commands)", r.appends), ("replay (events)", r.replays)):
            ratios = [s / p for s, p in zip(rates["sealed"], rates["plain"], strict=True)]
            table.add_row(
                r.backend, measure,
                f"{statistics.median(rates['plain']):,.0f}",
                f"{statistics.median(rates['sealed']):,.0f}",
                f"{statistics.median(ratios):.1%}", f"{min(ratios):.1%}–{max(ratios):.1%}",
            )  # fmt: skip
    return table


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cases", type=int, default=60, help="ACTIVE cases on each store")
    parser.add_argument("--commands", type=int, default=500, help="commands per round and side")
    parser.add_argument("--rounds", type=int, default=8, help="interleaved rounds")
    parser.add_argument("--passes", type=int, default=5, help="replays of the store per round")
    parser.add_argument(
        "--backends", nargs="+", choices=("postgres", "sqlite"), default=["postgres", "sqlite"]
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    console = Console(width=max(110, Console().width))
    started = time.perf_counter()
    reports = [bench(name, args, console) for name in args.backends]
    console.print(report_table(reports, args))
    console.print(
        f"total {time.perf_counter() - started:.0f} s at {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )


if __name__ == "__main__":
    main()
