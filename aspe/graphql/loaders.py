"""Per-request DataLoaders: every case row a query touches is read in one batch.

The read models are synchronous stores: each batch runs in a worker thread so the event
loop never waits on a database.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from starlette.concurrency import run_in_threadpool
from strawberry.dataloader import DataLoader

from aspe.domain.availability import CaseCommand
from aspe.domain.values import Signatory
from aspe.projections import contact_silence, open_alerts, rent_ledger, visit_compliance
from aspe.projections.case_file import CaseFileRow, case_files
from aspe.projections.contact_silence import SilenceRow
from aspe.projections.open_alerts import AlertRow
from aspe.projections.rent_ledger import Ledger, MonthReport, ledger_of
from aspe.projections.runner import Projector
from aspe.projections.visit_compliance import WeekCompliance

K = TypeVar("K")
V = TypeVar("V")


def _batched(batch: Callable[[list[K]], dict[K, V]], missing: V) -> DataLoader[K, V]:
    async def load(keys: Sequence[K]) -> list[V]:
        found = await run_in_threadpool(batch, list(keys))
        return [found.get(key, missing) for key in keys]

    return DataLoader(load_fn=load)


@dataclass(frozen=True)
class CommandsNow:
    """What the viewer may run on one case now: the commands, and the CEOP signatures it
    may record (its own, or any pending one for the association)."""

    commands: tuple[CaseCommand, ...] = ()
    signatories: tuple[Signatory, ...] = ()


class Loaders:
    """The loaders of one request (a DataLoader caches for its request only)."""

    def __init__(
        self,
        projector: Projector,
        today: Callable[[], date],
        commands_now: Callable[[str], CommandsNow] = lambda case_id: CommandsNow(),
    ) -> None:
        self.projector = projector
        self.today = today
        self.commands_now: DataLoader[str, CommandsNow] = _batched(
            lambda case_ids: {case_id: commands_now(case_id) for case_id in case_ids},
            CommandsNow(),
        )
        self.case_file: DataLoader[str, CaseFileRow | None] = _batched(self._case_files, None)
        self.ledger: DataLoader[str, Ledger] = _batched(self._ledgers, ledger_of([]))
        self.compliance: DataLoader[str, list[WeekCompliance]] = _batched(self._compliance, [])
        self.silence: DataLoader[str, SilenceRow | None] = _batched(self._silences, None)
        self.open_alert: DataLoader[str, AlertRow | None] = _batched(self._open_alerts, None)

    def _view(self, name: str):  # type: ignore[no-untyped-def]
        return self.projector.model(name).view

    def _case_files(self, case_ids: list[str]) -> dict[str, CaseFileRow | None]:
        return dict(case_files(self._view("case_file"), case_ids))

    def _ledgers(self, case_ids: list[str]) -> dict[str, Ledger]:
        rows = self._view("rent_ledger").select_in(rent_ledger.MONTHS, "case_id", case_ids)
        months: dict[str, list[MonthReport]] = {case_id: [] for case_id in case_ids}
        for row in rows:
            months[row["case_id"]].append(
                MonthReport(row["month"], row["amount_due"], row["amount_paid"])
            )
        return {case_id: ledger_of(reports) for case_id, reports in months.items()}

    def _compliance(self, case_ids: list[str]) -> dict[str, list[WeekCompliance]]:
        view, until = self._view("visit_compliance"), self.today()
        return {
            case_id: visit_compliance.weekly_compliance(view, case_id, until)
            for case_id in case_ids
        }

    def _silences(self, case_ids: list[str]) -> dict[str, SilenceRow | None]:
        rows = self._view("contact_silence").select_in(
            contact_silence.MEASURES, "case_id", case_ids
        )
        return {row["case_id"]: row for row in rows}

    def _open_alerts(self, case_ids: list[str]) -> dict[str, AlertRow | None]:
        rows = self._view("open_alerts").select_in(open_alerts.ALERTS, "case_id", case_ids)
        return {row["case_id"]: row for row in rows}
