"""The survival test's short form: the whole topology under load while its processes die.

``bench/soak.py`` holds the soak (its docstring says what runs and what is checked); this
runs its CI form, every fault once in about three minutes, and asserts each promise on its
own so that a failure names the one broken. The long form is run by hand:
``.venv/bin/python bench/soak.py --minutes 30``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import load_bench, require_postgres, require_redis_server

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]


def test_the_deployment_survives_its_processes_being_killed_under_load(tmp_path: Path) -> None:
    # Given `aspe up --api 2 --runners 2 --workers 2` on PostgreSQL and a Redis of its own,
    # clients sending commands at a steady rate, each with an idempotency key
    require_postgres()
    require_redis_server()
    soak = load_bench("soak")
    plan = soak.Plan.short()

    # When api.1, runner.1, worker.1 and beat are killed with SIGKILL in turn, and Redis
    # is restarted, all while the load runs
    report = soak.run(plan, tmp_path)
    print(soak.summary(report))  # shown by pytest when the test fails

    # Then the load was held, and every fault was injected
    assert [fault.what for fault in report.faults] == list(soak.FAULTS)
    assert len(report.ledger.acknowledged) >= 0.8 * plan.rate * plan.load_seconds
    assert not report.ledger.refused
    assert not report.ledger.lost

    # And every acknowledged command is stored exactly once, nothing else
    assert not report.stored_twice
    assert not report.not_stored
    assert not report.stored_unacknowledged

    # And every e-mail was received, once per Message-ID; a second copy under the same
    # Message-ID only where a killed worker explains it (it died between the SMTP server's
    # acceptance and its record); every delivery is done
    assert report.emails_expected > 0
    assert report.emails_missing == 0
    assert report.emails_duplicated <= report.copies_explained
    assert report.emails_unexpected == 0
    assert not report.deliveries_not_delivered
    assert not report.events_without_delivery

    # And every read model equals a fresh rebuild of the same events
    assert report.read_models_compared >= 10
    assert not report.read_models_behind
    assert not report.read_models_differing

    # And every API process was ready again within 30 s of each fault
    assert not report.slow_recoveries
    assert report.losses() == []
