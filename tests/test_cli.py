"""The ``aspe`` command line, run as a person would (through typer's runner).

Settings come from the environment: each test points ``ASPE_DATA_DIR`` at a folder of its
own. The demo is loaded once for the module, by ``aspe demo`` itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from typer.testing import CliRunner

from aspe import french
from aspe.application.history import case_history
from aspe.bootstrap import build_application
from aspe.cli import app
from aspe.demo import LOGINS, VISIT_NOTES
from aspe.demo.scenarios import DEFAULT_PASSWORD, CaseStory
from aspe.domain.errors import NotFound
from aspe.domain.values import Status, Theme, VisitKind
from aspe.settings import Settings

runner = CliRunner()
SAMPLE_LINE = re.compile(r"^\s+(?P<status>[A-Z]+)\s+(?P<id>[0-9a-f-]{36})\s+(?P<label>.+)$")


@dataclass
class DemoRun:
    data_dir: Path
    output: str

    def sample(self, label: str) -> UUID:
        for line in self.output.splitlines():
            match = SAMPLE_LINE.match(line)
            if match and match["label"].startswith(label):
                return UUID(match["id"])
        raise AssertionError(f"no sample case labelled {label!r} in:\n{self.output}")


def _use(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> None:
    monkeypatch.setenv("ASPE_DATA_DIR", str(data_dir))
    monkeypatch.setenv("ASPE_ENV", "test")
    monkeypatch.setenv("COLUMNS", "250")  # rich wraps at the terminal's width


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    data_dir = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as monkeypatch:
        _use(monkeypatch, data_dir)
        result = runner.invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    return DemoRun(data_dir, result.output)


@pytest.fixture
def in_demo(demo_run: DemoRun, monkeypatch: pytest.MonkeyPatch) -> DemoRun:
    _use(monkeypatch, demo_run.data_dir)
    return demo_run


@pytest.fixture
def in_empty_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    _use(monkeypatch, tmp_path / "var")
    return tmp_path / "var"


def _head() -> int:
    application = build_application(Settings())
    try:
        return application.head()
    finally:
        application.close()


def _history(case_id: UUID) -> str:
    result = runner.invoke(app, ["case", "history", str(case_id)])
    assert result.exit_code == 0, result.output
    return result.output


# ---------------------------------------------------------------------------- demo


def test_demo_prints_a_login_per_role_with_the_development_password(demo_run: DemoRun) -> None:
    for role, email in LOGINS.items():
        assert re.search(rf"{role.value}\s.*{re.escape(email)}", demo_run.output)
    assert DEFAULT_PASSWORD in demo_run.output


def test_demo_if_empty_does_not_load_twice(in_demo: DemoRun) -> None:
    before = _head()

    result = runner.invoke(app, ["demo", "--if-empty"])

    assert result.exit_code == 0, result.output
    assert "non chargée" in result.output
    assert _head() == before


def test_demo_refuses_a_store_that_already_has_events(in_demo: DemoRun) -> None:
    before = _head()

    result = runner.invoke(app, ["demo"])

    assert result.exit_code == 1
    assert "--if-empty" in result.output
    assert _head() == before


def test_demo_is_refused_in_production(
    in_empty_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASPE_ENV", "production")
    monkeypatch.setenv("ASPE_SECRET_KEY", "a-real-secret-for-this-test-of-32-bytes")

    result = runner.invoke(app, ["demo", "--if-empty"])

    assert result.exit_code == 1
    assert "production" in result.output
    assert _head() == 0


# -------------------------------------------------------------------- case history


def test_case_history_tells_a_demo_case_whole_story_with_its_actors(in_demo: DemoRun) -> None:
    case_id = in_demo.sample("Changement de référent")

    output = _history(case_id)

    application = build_application(Settings())
    try:
        stored = list(application.repository.event_store.get(case_id))
    finally:
        application.close()
    assert {type(event).__name__ for event in stored} >= {"Opened", "ReferentAssigned"}
    for event in stored:
        assert type(event).__name__ in output
    assert output.count("VisitRecorded") == sum(
        type(event).__name__ == "VisitRecorded" for event in stored
    )
    for actor in ("Paul Roux", "Claire Martin", "Hélène Garcia", "Nadia Benali", "Jacques Morin"):
        assert actor in output


def test_case_history_leaves_out_the_notes_of_visits(in_demo: DemoRun) -> None:
    output = _history(in_demo.sample("Mesure renforcée"))

    assert "Visite à domicile" in output
    for note in VISIT_NOTES:
        assert note not in output


@pytest.mark.parametrize(
    ("case_id", "message"),
    [
        ("not-a-uuid", "invalide"),
        ("00000000-0000-0000-0000-000000000001", "introuvable"),
    ],
)
def test_case_history_of_a_malformed_or_unknown_id_fails_clearly(
    in_empty_store: Path, case_id: str, message: str
) -> None:
    result = runner.invoke(app, ["case", "history", case_id])

    assert result.exit_code == 1
    assert message in result.output


def test_a_visit_summary_keeps_its_date_and_kind_but_not_its_note_nor_health(world: Any) -> None:
    story = CaseStory(world.departement, world.referent, world.new_household())
    case_id = story.walk_to(Status.ACTIVE)
    note = "Le ménage confie des soucis de santé et un rendez-vous à l'hôpital."
    with world.departement.acting(world.referent.actor):
        world.app.record_visit(case_id, world.clock.today(), VisitKind.HOME, [Theme.HEALTH], note)

    visit = case_history(world.app, case_id)[-1]

    assert visit.event == "VisitRecorded"
    assert visit.actor == world.referent.name
    assert french.day(world.clock.today()) in visit.summary
    assert "domicile" in visit.summary
    assert note not in visit.summary
    assert "santé" not in visit.summary


def test_the_history_of_an_id_that_is_not_a_case_is_not_found(world: Any) -> None:
    with pytest.raises(NotFound):
        case_history(world.app, world.referent.actor.id)


# -------------------------------------------------------------------- check-config


def test_check_config_shows_the_settings_with_the_secret_masked(
    in_empty_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASPE_SECRET_KEY", "s3cr3t-never-printed")

    result = runner.invoke(app, ["check-config"])

    assert result.exit_code == 0, result.output
    assert "s3cr3t-never-printed" not in result.output
    assert "ASPE_SECRET_KEY" in result.output
    assert str(in_empty_store) in result.output
    assert "OK" in result.output


def test_check_config_refuses_production_with_the_default_secret(
    in_empty_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASPE_ENV", "production")

    result = runner.invoke(app, ["check-config"])

    assert result.exit_code == 1
    assert "ASPE_SECRET_KEY" in result.output
