"""``aspe projections`` and ``aspe case show``, run as an operator would."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aspe.bootstrap import build_application
from aspe.cli import app
from aspe.domain.actors import Actor, acting_as
from aspe.domain.case import Case
from aspe.domain.staff import Staff
from aspe.domain.values import ContactChannel, Status
from aspe.projections import READ_MODELS
from aspe.settings import Environment, Settings

runner = CliRunner()
STATUS_LINE = re.compile(
    r"│ (?P<name>\w+)\s+│\s+(?P<position>\d+) │\s+(?P<head>\d+) │\s+(?P<lag>\d+) │"
)


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as monkeypatch:
        use(monkeypatch, data_dir)
        assert runner.invoke(app, ["demo"]).exit_code == 0
    return data_dir


@pytest.fixture
def in_demo(demo_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    use(monkeypatch, demo_dir)
    return demo_dir


def use(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> None:
    monkeypatch.setenv("ASPE_DATA_DIR", str(data_dir))
    monkeypatch.setenv("ASPE_ENV", "test")
    monkeypatch.setenv("COLUMNS", "200")


def status_lines(output: str) -> dict[str, tuple[int, int, int]]:
    return {
        match["name"]: (int(match["position"]), int(match["head"]), int(match["lag"]))
        for match in STATUS_LINE.finditer(output)
    }


def a_case(data_dir: Path, event: str) -> tuple[str, Case.Event]:
    with build_application(Settings(env=Environment.TEST, data_dir=data_dir)) as store:
        for notification in store.recorder.select_notifications(start=0, limit=100_000):
            if notification.topic.endswith(f"Case.{event}"):
                return str(notification.originator_id), store.mapper.to_domain_event(notification)
    raise AssertionError(f"no {event} in the demo")


def test_rebuild_shows_its_progress_and_ends_with_every_read_model_at_the_head(in_demo):
    result = runner.invoke(app, ["projections", "rebuild"])

    assert result.exit_code == 0, result.output
    assert re.search(r"Reconstruction / rebuild .* (\d+)/\1 événements / events", result.output)
    lines = status_lines(result.output)
    assert set(lines) == {cls.name for cls in READ_MODELS}
    assert {lag for _, _, lag in lines.values()} == {0}


def test_status_shows_each_position_the_head_and_the_lag(in_demo):
    runner.invoke(app, ["projections", "rebuild"])

    lines = status_lines(runner.invoke(app, ["projections", "status"]).output)

    assert len({head for _, head, _ in lines.values()}) == 1
    assert all(position == head and lag == 0 for position, head, lag in lines.values())


def test_an_unknown_read_model_is_refused_with_the_known_ones(in_demo):
    result = runner.invoke(app, ["projections", "rebuild", "nope"])

    assert result.exit_code == 1
    assert "Vue inconnue : nope" in result.output
    assert "audit_trail" in result.output


def test_case_show_as_of_prints_the_case_as_it_stood_then(in_demo):
    case_id, signed = a_case(in_demo, "CeopSigned")
    just_before = (signed.timestamp - timedelta(minutes=1)).astimezone(UTC).replace(tzinfo=None)

    now = runner.invoke(app, ["case", "show", case_id])
    then = runner.invoke(app, ["case", "show", case_id, "--as-of", just_before.isoformat()])

    assert then.exit_code == 0, then.output
    assert re.search(r"Statut\s+│ mesure accordée", then.output)
    assert not re.search(r"Statut\s+│ mesure accordée", now.output)


def test_case_show_as_of_decision_prints_what_the_commission_had(in_demo):
    case_id, _ = a_case(in_demo, "MeasureGranted")

    result = runner.invoke(app, ["case", "show", case_id, "--as-of-decision"])

    assert result.exit_code == 0, result.output
    assert "au moment de sa décision" in result.output
    assert "proposed_measure" in result.output
    assert "HEALTH" not in result.output


def test_case_show_before_the_case_existed_says_so(in_demo):
    case_id, _ = a_case(in_demo, "Opened")

    result = runner.invoke(app, ["case", "show", case_id, "--as-of", "2000-01-01T00:00"])

    assert result.exit_code == 1
    assert "n'existait pas encore" in result.output


def test_projections_run_follows_new_events_until_sigterm(demo_dir):
    env = {key: value for key, value in os.environ.items() if not key.startswith("ASPE_")}
    env.update(ASPE_DATA_DIR=str(demo_dir), ASPE_ENV="test")
    process = subprocess.Popen(
        [sys.executable, "-m", "aspe.cli", "projections", "run"],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert "following" in process.stdout.readline()
        settings = Settings(env=Environment.TEST, data_dir=demo_dir)
        with build_application(settings) as store:
            position = record_a_contact(store)
        assert caught_up_to(position, env)
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=20)
    assert process.returncode == 0
    assert "Arrêt / stopped" in output


def record_a_contact(store) -> int:
    """The referent of an active demo case records a call from the household."""
    for notification in store.recorder.select_notifications(start=0, limit=100_000):
        case = (
            store.get_case(notification.originator_id)
            if "Case.CeopSigned" in notification.topic
            else None
        )
        if case is not None and case.status is Status.ACTIVE:
            referent = store.load(Staff, case.referent_id)
            actor = Actor(referent.id, referent.role, referent.organisation_id)
            with acting_as(actor):
                return store.record_contact(case.id, date.today(), ContactChannel.PHONE, True)
    raise AssertionError("no active case in the demo")


def caught_up_to(position: int, env: dict[str, str], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = subprocess.run(
            [sys.executable, "-m", "aspe.cli", "projections", "status"],  # another process
            env={**env, "COLUMNS": "200"},
            capture_output=True,
            text=True,
        )
        lines = status_lines(status.stdout)
        if lines and all(p >= position for p, _, _ in lines.values()):
            return True
        time.sleep(0.2)
    return False
