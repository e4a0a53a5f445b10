"""Backup and restore: ``aspe backup FILE``, ``aspe restore FILE`` (``aspe.backup``).

The demo département is loaded once per kind of store, with what the demo leaves empty: a
document, a notification read in its inbox, an entry of the access log, an erased household
and data keys wrapped under a master key. It is backed up once, restored once into a fresh
store of the same kind; each test reads that, or restores the archive again elsewhere.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import tarfile
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from aspe.access_log import store as access_log
from aspe.audit import store as audit
from aspe.backup import (
    ArchiveRefused,
    BackupReport,
    RestoreFailed,
    StoreNotEmpty,
    WrongMasterKey,
    backup,
    check,
    restore,
)
from aspe.backup.archive import MANIFEST, Manifest
from aspe.backup.archive import writing as writing_archive
from aspe.backup.restore import RestoreReport
from aspe.backup.stores import reading
from aspe.backup.tables import TABLES, encode
from aspe.bootstrap import build_application, build_notifier, build_projector, erasure_places
from aspe.cli import app as cli
from aspe.demo import DemoReport, load_demo
from aspe.domain.actors import SYSTEM_ACTOR, Role, acting_as
from aspe.domain.reads import ReadKind
from aspe.domain.values import ErasureGround, Status
from aspe.portal.blobs import BlobStore
from aspe.privacy.erasure import erase_household
from aspe.settings import Environment, Settings
from aspe.workers.delivery import record_queued
from aspe.workers.inbox import mark_read, open_store
from aspe.workers.messages import Message, Recipient
from aspe.workers.notifier import NotifierRunner
from tests.conftest import World

pytestmark = pytest.mark.slow  # the demo, loaded and backed up once per kind of store

TODAY = date(2026, 3, 5)
MASTER_KEY = base64.b64encode(hashlib.sha256(b"aspe backup test").digest()).decode()
DOCUMENT = b"%PDF-1.4\n% a document joined to a case\n"
runner = CliRunner()

ReadModels = dict[str, dict[str, list[dict[str, Any]]]]


@dataclass
class Original:
    settings: Settings
    archive: Path
    backup: BackupReport
    read_models: ReadModels
    erased: UUID
    """The household erased before the backup: its data key is destroyed."""
    completed_case: UUID
    """A case whose household may be erased after the restore (a new event)."""


# ------------------------------------------------------------------------ the stores
def _settings_of(kind: str, request: pytest.FixtureRequest, folder: Path) -> Settings:
    if kind == "sqlite":
        settings = Settings(env=Environment.TEST, data_dir=folder)
    else:
        settings = request.getfixturevalue("new_postgres_settings")()
    return settings.model_copy(update={"data_dir": folder, "master_key": SecretStr(MASTER_KEY)})


def _other(kind: str) -> str:
    return "postgres" if kind == "sqlite" else "sqlite"


KINDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _load(settings: Settings) -> tuple[UUID, UUID]:
    """The demo, then what it leaves empty; the erased household, a completed case."""
    app = build_application(settings)
    try:
        report = load_demo(app, TODAY)
        BlobStore(settings).put(DOCUMENT, "application/pdf")
        _notify_and_read(settings, report)
        _log_a_read(settings, report)
        completed = next(c for c in report.sample_cases if c.status is Status.COMPLETED)
        return _erase_one(settings, app, report), completed.case_id
    finally:
        app.close()


def _referent(report: DemoReport) -> tuple[UUID, str]:
    account = next(a for a in report.accounts if a.role is Role.REFERENT)
    return account.actor_id, account.name


def _notify_and_read(settings: Settings, report: DemoReport) -> None:
    account_id, name = _referent(report)
    message = Message("backup-test:1", Recipient(account_id, name), "Objet", "Texte")
    record_queued(open_store(settings), [message])  # the inbox is filled as it is recorded
    mark_read(settings, account_id)


def _log_a_read(settings: Settings, report: DemoReport) -> None:
    account_id, _ = _referent(report)
    case_id = report.sample_cases[0].case_id
    reader = (account_id, Role.REFERENT, None)
    access_log.append(
        access_log.open_store(settings), reader, case_id, ReadKind.CASE, datetime.now(UTC)
    )


def _erase_one(settings: Settings, app: Any, report: DemoReport) -> UUID:
    rejected = next(c for c in report.sample_cases if c.status is Status.REJECTED)
    household = app.get_case(rejected.case_id).household_id
    with erasure_places(settings, app) as places, acting_as(SYSTEM_ACTOR, zone=settings.zone):
        erase_household(app, places, household, ErasureGround.HOUSEHOLD_REQUEST, "test")
    return UUID(str(household))


def _read_models(settings: Settings, *, catch_up: bool) -> ReadModels:
    """Every read model's rows (``catch_up``: brought up to date first)."""
    projector = build_projector(settings)
    try:
        if catch_up:
            projector.catch_up()
        assert all(status.lag == 0 for status in projector.status())
        return {name: model.view.dump() for name, model in projector.read_models.items()}
    finally:
        projector.close()
        projector.app.close()


def _tables(settings: Settings) -> dict[str, list[list[Any]]]:
    """Every table a backup holds, as the archive writes it (originator ids as UUIDs)."""
    with reading(settings) as store:
        return {spec.name: [encode(spec, row) for row in store.rows(spec)] for spec in TABLES}


def _blobs(settings: Settings) -> dict[str, bytes]:
    root = settings.blob_path
    return {str(p.relative_to(root)): p.read_bytes() for p in root.glob("??/*") if p.is_file()}


def _head(settings: Settings) -> int:
    app = build_application(settings)
    try:
        return app.head()
    finally:
        app.close()


# ------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module", params=KINDS)
def original(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Original:
    folder = tmp_path_factory.mktemp(f"original-{request.param}")
    settings = _settings_of(request.param, request, folder / "var")
    erased, completed = _load(settings)
    archive = folder / "aspe.tar.gz"
    report = backup(settings, archive)
    read_models = _read_models(settings, catch_up=True)
    return Original(settings, archive, report, read_models, erased, completed)


@pytest.fixture(scope="module")
def restored(
    original: Original, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Settings, RestoreReport]:
    """The archive restored into a fresh store of the same kind."""
    target = _settings_of(original.backup.manifest.source, request, tmp_path_factory.mktemp("r"))
    return target, restore(target, original.archive)


@pytest.fixture
def fresh(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[str], Settings]:
    """A new empty store of the kind asked for."""
    return lambda kind: _settings_of(kind, request, tmp_path / "fresh")


# ------------------------------------------------------------------ backup, restore
def test_every_read_model_of_the_restored_store_equals_the_original(
    original: Original, restored: tuple[Settings, RestoreReport]
) -> None:
    target, report = restored

    assert report.rebuilt
    assert not report.failed
    assert _read_models(target, catch_up=False) == original.read_models


def test_the_restored_store_has_the_original_events_and_head_link(
    original: Original, restored: tuple[Settings, RestoreReport]
) -> None:
    target, report = restored
    manifest = original.backup.manifest

    with closing(build_application(target)) as app:
        verification = audit.verify(app)
    assert verification.intact
    assert verification.checked == manifest.events == _head(original.settings)
    assert verification.head.hex() == manifest.head_hash == report.head_hash
    with closing(build_application(original.settings)) as app:
        assert audit.verify(app).head.hex() == manifest.head_hash


def test_every_table_and_document_is_restored_as_it_was(
    original: Original, restored: tuple[Settings, RestoreReport]
) -> None:
    target, report = restored

    assert _tables(target) == _tables(original.settings)
    assert _blobs(target) == _blobs(original.settings)
    assert len(_blobs(target)) == report.blobs == 1
    assert report.rows["notifications.inbox"] == report.rows["access_log.entries"] == 1


def test_an_erased_households_key_stays_destroyed(
    original: Original, restored: tuple[Settings, RestoreReport]
) -> None:
    target, _ = restored

    keys = {row[0]: row for row in _tables(target)["data_keys"]}
    assert keys[str(original.erased)][1] is None  # data_key
    assert keys[str(original.erased)][4] is not None  # destroyed_at
    assert sum(row[1] is None for row in keys.values()) == 1


def test_new_events_are_stored_after_the_restored_ones(
    original: Original, fresh: Callable[[str], Settings]
) -> None:
    target = fresh(original.backup.manifest.source)
    restore(target, original.archive, rebuild=False)

    with closing(build_application(target)) as app, acting_as(SYSTEM_ACTOR, zone=target.zone):
        household = app.get_case(original.completed_case).household_id
        app.erase_household(household, ErasureGround.HOUSEHOLD_REQUEST, "après / after")
        assert app.head() == original.backup.manifest.head_position + 1
        assert audit.verify(app).intact


def test_what_is_stored_while_a_backup_runs_is_left_to_the_next_one(
    world: World, settings: Settings, fresh: Callable[[str], Settings], tmp_path: Path
) -> None:
    world.new_household("Ménage Avant")
    before, keys_before = world.app.head(), len(_tables(settings)["data_keys"])

    def store_more(table: str, rows: int) -> None:
        if table == "events":  # the events are written: the chain and keys are still to read
            world.new_household("Ménage Pendant")

    made = backup(settings, tmp_path / "during.tar.gz", progress=store_more)
    target = fresh("postgres" if settings.uses_postgres else "sqlite")
    report = restore(target, made.path, rebuild=False)

    assert world.app.head() > before
    assert made.manifest.events == report.rows["events"] == report.rows["chain"] == before
    assert len(_tables(target)["data_keys"]) == keys_before
    assert report.verification is not None
    assert report.verification.intact


def test_a_notifier_started_on_the_empty_store_tells_nobody_of_the_restored_history(
    original: Original, fresh: Callable[[str], Settings]
) -> None:
    target = fresh(original.backup.manifest.source)
    sent: list[Message] = []
    _notify_all(target, sent)  # e.g. `aspe serve` tried once before the restore

    restore(target, original.archive, rebuild=False)
    position = _notify_all(target, sent)

    assert sent == []
    assert position == original.backup.manifest.head_position  # read, quietly


def _notify_all(settings: Settings, sent: list[Message]) -> int | None:
    """Run the notifier up to the head; its position then."""
    with closing(build_application(settings)) as app:
        projector = build_notifier(settings, app, dispatch=sent.extend)
        try:
            runner = NotifierRunner(projector)
            runner.catch_up()
            return runner.notifier.view.position
        finally:
            projector.close()


# ------------------------------------------------------------------------ refusals
def test_restoring_into_a_store_that_holds_events_is_refused_and_writes_nothing(
    original: Original,
) -> None:
    before = (_tables(original.settings), _blobs(original.settings))

    with pytest.raises(StoreNotEmpty) as refused:
        restore(original.settings, original.archive)

    assert "not empty" in refused.value.message
    assert (_tables(original.settings), _blobs(original.settings)) == before


def test_a_store_holding_only_an_access_log_is_not_empty(
    original: Original, fresh: Callable[[str], Settings]
) -> None:
    target = fresh(original.backup.manifest.source)
    reader = (UUID(int=1), Role.AUDITOR, None)
    access_log.append(
        access_log.open_store(target), reader, UUID(int=2), ReadKind.CASE, datetime.now(UTC)
    )

    with pytest.raises(StoreNotEmpty):
        restore(target, original.archive)

    assert _head(target) == 0


@pytest.mark.parametrize("master_key", [None, base64.b64encode(bytes(32)).decode()])
def test_a_restore_under_another_master_key_is_refused_and_writes_nothing(
    original: Original, fresh: Callable[[str], Settings], master_key: str | None
) -> None:
    key = SecretStr(master_key) if master_key else None
    target = fresh(original.backup.manifest.source).model_copy(update={"master_key": key})

    with pytest.raises(WrongMasterKey) as refused:
        restore(target, original.archive)

    assert "master key" in refused.value.message
    _assert_nothing_written(target)


def test_documents_that_cannot_be_written_leave_the_store_empty(
    original: Original, fresh: Callable[[str], Settings], tmp_path: Path
) -> None:
    not_a_folder = tmp_path / "blobs"
    not_a_folder.write_bytes(b"")
    target = fresh(original.backup.manifest.source).model_copy(update={"blob_dir": not_a_folder})

    with pytest.raises(RestoreFailed) as refused:
        restore(target, original.archive)

    assert "nothing was committed" in refused.value.message
    assert _head(target) == 0
    assert all(not rows for rows in _tables(target).values())


def _rewritten(archive: Path, into: Path, change: Callable[[str, bytes], bytes]) -> Path:
    """A copy of ``archive`` with each file's content passed through ``change``."""
    with tarfile.open(archive, "r:gz") as source, tarfile.open(into, "w:gz") as target:
        for info in source.getmembers():
            file = source.extractfile(info)
            assert file is not None
            content = change(info.name, file.read())
            info.size = len(content)
            target.addfile(info, io.BytesIO(content))
    return into


def _altered_event(name: str, content: bytes) -> bytes:
    if name != "tables/events.jsonl":
        return content
    lines = content.splitlines(keepends=True)
    row = json.loads(lines[3])
    row[4] = base64.b64encode(base64.b64decode(row[4]) + b" ").decode()  # its state
    lines[3] = json.dumps(row).encode() + b"\n"
    return b"".join(lines)


def _assert_nothing_written(target: Settings) -> None:
    assert _head(target) == 0
    assert all(not rows for rows in _tables(target).values())
    assert not _blobs(target)


def test_an_altered_archive_is_refused_before_anything_is_written(
    original: Original, fresh: Callable[[str], Settings], tmp_path: Path
) -> None:
    altered = _rewritten(original.archive, tmp_path / "altered.tar.gz", _altered_event)
    target = fresh(original.backup.manifest.source)

    with pytest.raises(ArchiveRefused) as refused:
        restore(target, altered)

    assert "tables/events.jsonl" in refused.value.message
    _assert_nothing_written(target)


def test_altered_events_under_a_manifest_made_to_match_are_refused_by_their_chain(
    original: Original, fresh: Callable[[str], Settings], tmp_path: Path
) -> None:
    altered = _rewritten(original.archive, tmp_path / "altered.tar.gz", _altered_event)
    forged = _rewritten(altered, tmp_path / "forged.tar.gz", _manifest_matching(altered))
    target = fresh(original.backup.manifest.source)

    with pytest.raises(ArchiveRefused) as refused:
        restore(target, forged)

    assert "chain" in refused.value.message
    _assert_nothing_written(target)


def _manifest_matching(archive: Path) -> Callable[[str, bytes], bytes]:
    """The manifest with every file's size and SHA-256 as ``archive`` holds them."""
    with tarfile.open(archive, "r:gz") as tar:
        contents = {
            info.name: tar.extractfile(info).read()  # type: ignore[union-attr]
            for info in tar.getmembers()
        }

    def change(name: str, content: bytes) -> bytes:
        if name != MANIFEST:
            return content
        manifest = json.loads(content)
        for file, member in manifest["files"].items():
            member.update(
                sha256=hashlib.sha256(contents[file]).hexdigest(), bytes=len(contents[file])
            )
        return json.dumps(manifest).encode()

    return change


def test_checking_an_archive_reads_it_all_and_writes_nothing(
    original: Original, tmp_path: Path
) -> None:
    nowhere = Settings(
        env=Environment.TEST, data_dir=tmp_path / "nowhere", master_key=SecretStr(MASTER_KEY)
    )

    report = check(nowhere, original.archive)

    tables = original.backup.manifest.tables
    assert report.rows == {name: table["rows"] for name, table in tables.items()}
    assert report.blobs == 1
    assert not nowhere.data_dir.exists()


def test_checking_finds_altered_events_and_another_master_key(
    original: Original, tmp_path: Path
) -> None:
    altered = _rewritten(original.archive, tmp_path / "altered.tar.gz", _altered_event)
    forged = _rewritten(altered, tmp_path / "forged.tar.gz", _manifest_matching(altered))
    nowhere = Settings(
        env=Environment.TEST, data_dir=tmp_path / "nowhere", master_key=SecretStr(MASTER_KEY)
    )

    with pytest.raises(ArchiveRefused):
        check(nowhere, forged)
    with pytest.raises(WrongMasterKey):
        check(nowhere.model_copy(update={"master_key": None}), original.archive)


def test_a_truncated_archive_is_refused(
    original: Original, fresh: Callable[[str], Settings], tmp_path: Path
) -> None:
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(original.archive.read_bytes()[: original.archive.stat().st_size // 2])
    target = fresh(original.backup.manifest.source)

    with pytest.raises(ArchiveRefused) as refused:
        restore(target, truncated)

    assert "unreadable" in refused.value.message
    _assert_nothing_written(target)


def test_a_backup_that_fails_leaves_no_file(tmp_path: Path) -> None:
    path = tmp_path / "aspe.tar.gz"

    with pytest.raises(RuntimeError), writing_archive(path, Manifest("sqlite", "", 0, 0, None)):
        raise RuntimeError("the store went away")

    assert list(tmp_path.iterdir()) == []


def test_the_archive_is_readable_by_its_owner_only(original: Original) -> None:
    assert original.archive.stat().st_mode & 0o777 == 0o600


# --------------------------------------------------------------- across store kinds
def test_an_archive_restores_into_the_other_kind_of_store(
    original: Original, fresh: Callable[[str], Settings]
) -> None:
    target = fresh(_other(original.backup.manifest.source))

    report = restore(target, original.archive)

    assert report.relinked
    assert not report.failed
    assert _read_models(target, catch_up=False) == original.read_models
    with closing(build_application(target)) as app:
        verification = audit.verify(app)
    assert verification.intact
    assert verification.checked == original.backup.manifest.events
    assert report.head_hash != original.backup.manifest.head_hash  # links cover ids as stored
    assert _tables(target)["events"] == _tables(original.settings)["events"]


# ------------------------------------------------------------------ the command line
@pytest.mark.parametrize("original", ["sqlite"], indirect=True)
def test_the_command_line_backs_up_and_restores(
    original: Original, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASPE_ENV", "test")
    monkeypatch.setenv("ASPE_MASTER_KEY", MASTER_KEY)
    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.setenv("ASPE_SECRET_KEY", "the same signing key on both, long enough: 32+ bytes")
    monkeypatch.setenv("ASPE_DATA_DIR", str(original.settings.data_dir))
    archive, checkpoint = tmp_path / "cli.tar.gz", tmp_path / "checkpoint.json"

    signed = runner.invoke(cli, ["audit", "checkpoint", "-o", str(checkpoint)])
    made = runner.invoke(cli, ["backup", str(archive)])
    again = runner.invoke(cli, ["backup", str(archive)])
    monkeypatch.setenv("ASPE_DATA_DIR", str(tmp_path / "restored"))
    checked = runner.invoke(cli, ["restore", "--check", str(archive)])
    restored = runner.invoke(cli, ["restore", str(archive)])
    refused = runner.invoke(cli, ["restore", str(archive)])
    verified = runner.invoke(cli, ["audit", "verify", "--against", str(checkpoint)])

    assert made.exit_code == 0, made.output
    assert str(original.backup.manifest.head_hash) in made.output
    assert again.exit_code == 1
    assert "--overwrite" in again.output
    assert checked.exit_code == 0, checked.output
    assert "archive checked, nothing written" in checked.output
    assert restored.exit_code == 0, restored.output
    assert str(original.backup.manifest.head_hash) in restored.output
    assert "read models rebuilt" in restored.output
    assert refused.exit_code == 1
    assert "not empty" in refused.output
    assert signed.exit_code == 0, signed.output
    assert verified.exit_code == 0, verified.output


def test_a_backup_of_a_store_that_does_not_answer_is_refused_and_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASPE_ENV", "test")
    monkeypatch.setenv("ASPE_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("ASPE_DATABASE_URL", "postgresql://postgres@127.0.0.1:1/aspe")
    monkeypatch.setenv("ASPE_POSTGRES_CONNECT_TIMEOUT", "1")
    archive = tmp_path / "aspe.tar.gz"

    result = runner.invoke(cli, ["backup", str(archive)])

    assert result.exit_code == 1
    assert "the store cannot be read" in result.output
    assert "Traceback" not in result.output
    assert not archive.exists()
    assert [path for path in tmp_path.iterdir() if "aspe.tar.gz" in path.name] == []


def test_the_command_line_refuses_a_missing_archive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASPE_ENV", "test")
    monkeypatch.setenv("ASPE_DATA_DIR", str(tmp_path / "var"))

    result = runner.invoke(cli, ["restore", str(tmp_path / "absent.tar.gz")])

    assert result.exit_code == 1
    assert "no such file" in result.output
    assert "Traceback" not in result.output
