"""What ``aspe up`` starts for each kind of deployment (aspe/topology.py): the processes,
their commands (real ``aspe`` sub-commands), and the topologies it refuses."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from aspe.projections import READ_MODELS
from aspe.settings import Environment, Settings
from aspe.topology import Scale, TopologyRefused, services
from tests.aspe_commands import command_problem, setting_problem

POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
REDIS = "redis://127.0.0.1:6379/11"


def settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(env=Environment.TEST, data_dir=tmp_path, **values)  # type: ignore[arg-type]


def scale(api: int = 1, runners: int = 1, workers: int = 1) -> Scale:
    return Scale(api=api, runners=runners, workers=workers, host="127.0.0.1", port=8000)


def names(planned: list) -> list[str]:
    return [service.name for service in planned]


def test_the_embedded_store_runs_one_api_process_and_nothing_else(tmp_path):
    planned = services(settings(tmp_path), scale(runners=3, workers=2))

    assert names(planned) == ["api.1"]


def test_more_than_one_api_process_on_the_embedded_store_is_refused(tmp_path):
    with pytest.raises(TopologyRefused) as refusal:
        services(settings(tmp_path), scale(api=2))

    assert "one writer" in refusal.value.message
    assert "un seul processus API" in refusal.value.message


def test_postgresql_without_redis_runs_api_processes_runners_and_the_notifier(tmp_path):
    planned = services(settings(tmp_path, database_url=POSTGRES), scale(api=3, runners=2))

    assert names(planned) == ["api.1", "api.2", "api.3", "runner.1", "runner.2", "notifier"]


def test_each_api_process_listens_on_a_port_of_its_own(tmp_path):
    planned = services(settings(tmp_path, database_url=POSTGRES), scale(api=3))

    ports = [service.command[-1] for service in planned if service.name.startswith("api.")]
    assert ports == ["8000", "8001", "8002"]


def test_redis_adds_the_workers_and_one_beat(tmp_path):
    deployment = settings(tmp_path, database_url=POSTGRES, redis_url=REDIS)

    planned = services(deployment, scale(workers=3))

    assert names(planned)[-4:] == ["worker.1", "worker.2", "worker.3", "beat"]


def test_the_runners_share_out_every_read_model_once_and_leave_the_notifier_apart(tmp_path):
    planned = services(settings(tmp_path, database_url=POSTGRES), scale(runners=4))

    runners = [s.command for s in planned if s.name.startswith("runner.")]
    followed = Counter(name for command in runners for name in command[2:-1])
    assert followed == Counter(model.name for model in READ_MODELS)
    assert all(command[-1] == "--no-notifier" for command in runners)


def test_read_models_kept_in_the_api_process_on_postgresql_allow_one_api_process_only(
    tmp_path,
):
    deployment = settings(tmp_path, database_url=POSTGRES, projections_in_process=True)

    assert names(services(deployment, scale())) == ["api.1"]
    with pytest.raises(TopologyRefused, match="ASPE_PROJECTIONS_IN_PROCESS"):
        services(deployment, scale(api=2))


def test_without_redis_the_first_api_process_alone_runs_the_clocks(tmp_path):
    deployment = settings(tmp_path, database_url=POSTGRES, clocks_in_process=True)

    planned = services(deployment, scale(api=3))

    given = {s.name: dict(s.environment) for s in planned if s.name.startswith("api.")}
    assert given == {
        "api.1": {},
        "api.2": {"ASPE_CLOCKS_IN_PROCESS": "false"},
        "api.3": {"ASPE_CLOCKS_IN_PROCESS": "false"},
    }


def test_with_redis_beat_sends_the_clocks_and_no_api_process_is_told_otherwise(tmp_path):
    deployment = settings(tmp_path, database_url=POSTGRES, redis_url=REDIS)

    planned = services(deployment, scale(api=2))

    assert [dict(service.environment) for service in planned] == [{}] * len(planned)


def test_more_runners_than_read_models_is_refused(tmp_path):
    with pytest.raises(TopologyRefused, match="at most one runner per read model"):
        services(settings(tmp_path, database_url=POSTGRES), scale(runners=len(READ_MODELS) + 1))


def test_api_ports_beyond_65535_are_refused(tmp_path):
    deployment = settings(tmp_path, database_url=POSTGRES)

    with pytest.raises(TopologyRefused, match="beyond 65535"):
        services(deployment, Scale(api=3, runners=1, workers=1, host="::", port=65534))


def test_every_process_runs_a_real_aspe_command(tmp_path):
    deployment = settings(tmp_path, database_url=POSTGRES, redis_url=REDIS)

    planned = services(deployment, scale(api=2, runners=2, workers=2))

    assert [command_problem(service.command) for service in planned] == [None] * len(planned)


def test_every_variable_a_process_is_given_is_a_setting(tmp_path):
    deployment = settings(tmp_path, database_url=POSTGRES, clocks_in_process=True)

    planned = services(deployment, scale(api=2, runners=2))

    given = [name for service in planned for name in service.environment]
    assert given
    assert [setting_problem(name) for name in given] == [None] * len(given)


def test_the_command_check_catches_a_typo():
    assert command_problem(["projections", "run", "--no-notifer"]) is not None
    assert command_problem(["serv"]) is not None
    assert command_problem(["projections"]) is not None


def test_the_topology_settings_refuse_zero_processes(tmp_path):
    with pytest.raises(ValueError, match="api_processes"):
        settings(tmp_path, api_processes=0)
