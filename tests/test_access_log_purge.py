"""The access log's retention: ``aspe privacy access-log purge`` deletes the entries older
than ``ASPE_ACCESS_LOG_RETENTION_MONTHS`` and only those, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from typer.testing import CliRunner

from aspe.access_log import store
from aspe.access_log.recording import record_read, retention_cutoff
from aspe.authorization import Viewer
from aspe.cli import app as cli
from aspe.domain.actors import Role
from aspe.domain.reads import ReadKind
from aspe.settings import Settings

runner = CliRunner()


def _use(monkeypatch: pytest.MonkeyPatch, settings: Settings, months: int) -> None:
    monkeypatch.setenv("ASPE_ENV", "test")
    monkeypatch.setenv("ASPE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("ASPE_ACCESS_LOG_RETENTION_MONTHS", str(months))
    if settings.uses_postgres:
        monkeypatch.setenv("ASPE_DATABASE_URL", str(settings.database_url))
        monkeypatch.setenv("ASPE_DATABASE_SCHEMA", str(settings.database_schema))


def test_the_purge_deletes_the_entries_past_retention_only(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Now, not when the module was collected: the suite may run across midnight, and the
    # purge reckons its cut-off from the day it runs.
    now = datetime.now(UTC)
    reader, case_id = Viewer(uuid4(), Role.REFERENT, uuid4()), uuid4()
    cutoff = retention_cutoff(settings.model_copy(update={"access_log_retention_months": 6}), now)
    for at in (cutoff - timedelta(days=40), cutoff - timedelta(seconds=1), cutoff, now):
        assert record_read(settings, reader, case_id, ReadKind.PAGE, at)
    _use(monkeypatch, settings, months=6)

    result = runner.invoke(cli, ["privacy", "access-log", "purge"])

    assert result.exit_code == 0, result.output
    assert "Entrées supprimées : 2" in result.output
    kept = store.page(store.open_store(settings), store.Filters(case_id=case_id), None, 10)
    assert [entry.at for entry in kept] == [now, cutoff]


def test_the_retention_is_counted_in_calendar_months(sqlite_settings: Settings) -> None:
    settings = sqlite_settings.model_copy(update={"access_log_retention_months": 12})

    cutoff = retention_cutoff(settings, datetime(2027, 3, 15, 9, 30, tzinfo=UTC))

    assert cutoff == datetime(2026, 3, 15, tzinfo=UTC)


def test_the_retention_is_twelve_months_unless_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ASPE_ACCESS_LOG_RETENTION_MONTHS", raising=False)
    assert Settings().access_log_retention_months == 12
    monkeypatch.setenv("ASPE_ACCESS_LOG_RETENTION_MONTHS", "24")
    assert Settings().access_log_retention_months == 24
