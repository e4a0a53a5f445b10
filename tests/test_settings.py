"""Configuration comes from ASPE_* environment variables, with the cahier's defaults."""

import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from aspe.domain.rules import WeeklyCadence
from aspe.domain.values import MeasureType
from aspe.settings import Environment, Settings


def test_the_embedded_default_needs_no_variable_and_uses_sqlite(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("ASPE_")]:
        monkeypatch.delenv(name)

    settings = Settings()

    assert not settings.uses_postgres
    env = settings.eventsourcing_env()
    assert env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite"
    assert env["SQLITE_DBNAME"].endswith("var/events.sqlite")


def test_a_postgres_url_becomes_the_event_store_settings(monkeypatch):
    monkeypatch.setenv("ASPE_DATABASE_URL", "postgresql://aspe:s%40cret@db.internal:6543/aspe")
    monkeypatch.setenv("ASPE_DATABASE_SCHEMA", "dept69")

    env = Settings().eventsourcing_env()

    assert env["PERSISTENCE_MODULE"] == "aspe.audit.recorders:AspePostgresFactory"
    assert (env["POSTGRES_HOST"], env["POSTGRES_PORT"], env["POSTGRES_DBNAME"]) == (
        "db.internal",
        "6543",
        "aspe",
    )
    assert (env["POSTGRES_USER"], env["POSTGRES_PASSWORD"]) == ("aspe", "s@cret")
    assert env["POSTGRES_SCHEMA"] == "dept69"
    assert env["POSTGRES_ENABLE_DB_FUNCTIONS"] == "n"


def test_the_default_secret_key_is_refused_in_production(monkeypatch):
    monkeypatch.setenv("ASPE_ENV", "production")
    monkeypatch.delenv("ASPE_SECRET_KEY", raising=False)

    with pytest.raises(ValidationError, match="ASPE_SECRET_KEY"):
        Settings()


def test_a_real_secret_key_is_accepted_in_production(monkeypatch):
    monkeypatch.setenv("ASPE_ENV", "production")
    monkeypatch.setenv("ASPE_SECRET_KEY", "a-long-random-secret-of-at-least-32-bytes")

    assert Settings().env is Environment.PRODUCTION


def test_rule_parameters_default_to_the_cahier_and_follow_the_environment(monkeypatch):
    assert Settings().rules.cadence(MeasureType.REINFORCED) == WeeklyCadence(3, 2)
    assert Settings().rules.silent_days_before_alert == 14

    monkeypatch.setenv("ASPE_SILENT_DAYS_BEFORE_ALERT", "21")
    monkeypatch.setenv("ASPE_SIMPLE_VISITS_PER_WEEK", "2")

    assert Settings().rules.silent_days_before_alert == 21
    assert Settings().rules.cadence(MeasureType.SIMPLE).visits == 2


def test_importing_the_domain_loads_no_web_queue_or_database_framework():
    check = (
        "import aspe.domain, sys; "
        "assert not {'fastapi','strawberry','celery','redis','psycopg'} & set(sys.modules)"
    )

    subprocess.run([sys.executable, "-c", check], check=True)


def test_each_worker_runs_four_pool_processes_unless_told_and_at_least_one(monkeypatch):
    monkeypatch.delenv("ASPE_WORKER_CONCURRENCY", raising=False)
    assert Settings().worker_concurrency == 4

    monkeypatch.setenv("ASPE_WORKER_CONCURRENCY", "8")
    assert Settings().worker_concurrency == 8

    monkeypatch.setenv("ASPE_WORKER_CONCURRENCY", "0")
    with pytest.raises(ValidationError, match="worker_concurrency"):
        Settings()
