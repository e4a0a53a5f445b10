"""``aspe worker`` counts into ``ASPE_METRICS_DIR``: a clock's runs, made by a real worker
process, are read back from the directory as ``/metrics`` sums it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from aspe.settings import Environment, Settings
from aspe.workers.app import create_app
from aspe.workers.schedule import RETENTION_TASK

if TYPE_CHECKING:  # the test folders are not packages: their fixtures' types, for reading
    from tests.workers.conftest import Worker

pytestmark = [pytest.mark.redis, pytest.mark.slow]


@pytest.fixture
def store_settings(tmp_path: Path) -> Settings:
    """The embedded store: what is counted does not depend on it."""
    return Settings(env=Environment.TEST, data_dir=tmp_path / "var")


def summed(directory: Path) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """What ``/metrics`` reads from the directory (here without making this test process
    multi-process: it would then write files for every later test)."""
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(directory))
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(generate_latest(registry).decode())
        for sample in family.samples
    }


def test_a_worker_counts_its_clock_runs_into_the_metrics_directory(
    worker_settings: Callable[..., Settings],
    start_aspe_worker: Callable[[Settings], Worker],
    tmp_path: Path,
) -> None:
    # given an `aspe worker` counting into a metrics directory
    directory = tmp_path / "metrics"
    settings = worker_settings(metrics_dir=directory)
    start_aspe_worker(settings)
    celery = create_app(settings)

    # when it runs the retention clock twice
    for _ in range(2):
        celery.send_task(RETENTION_TASK).get(timeout=60)

    # then both runs are in the directory, under the clock's name and outcome
    runs = summed(directory)
    ok = ("aspe_clock_runs_total", (("clock", RETENTION_TASK), ("outcome", "ok")))
    assert runs[ok] == 2
    assert runs[("aspe_clock_run_duration_seconds_count", (("clock", RETENTION_TASK),))] == 2
