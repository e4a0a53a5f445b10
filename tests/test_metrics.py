"""``/metrics``: what the app, the commands, the read models and the deliveries tell
Prometheus, never a personal value; summed across processes through ``ASPE_METRICS_DIR``;
behind a bearer token in production.

The counters are the test process's own and add up across tests: each test reads them
before and after what it does, and compares.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr, ValidationError

from aspe.api import create_app
from aspe.bootstrap import build_celery, build_projector
from aspe.demo.scenarios import DEFAULT_PASSWORD
from aspe.domain.errors import ConcurrentUpdate, DomainError
from aspe.metrics.labels import BoundedLabel
from aspe.projections.runner import Projector
from aspe.settings import Environment, Settings
from aspe.workers.clocks import timed_clock
from aspe.workers.delivery import STATUSES, delivery_counts
from tests.conftest import REDIS_URL, require_redis

if TYPE_CHECKING:  # the test folders are not packages: their fixtures' types, for reading
    from tests.conftest import World

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]
UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
TOKEN = "a-scraper-token-of-32-characters"
LOGIN = """
mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) { token }
}
"""
CASE_QUERY = "query CaseSummary($id: ID!) { case(id: $id) { id } }"
ROOT = Path(__file__).resolve().parent.parent


def key(name: str, **labels: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    return name, tuple(sorted(labels.items()))


def parse(text: str) -> Samples:
    return {
        key(sample.name, **sample.labels): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(client: TestClient, **headers: str) -> tuple[str, Samples]:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return response.text, parse(response.text)


@pytest.fixture
def settings(sqlite_settings: Settings) -> Settings:
    """The embedded store: what is measured does not depend on the store."""
    return sqlite_settings


@pytest.fixture
def started(settings: Settings, world: World) -> Callable[..., Iterator[TestClient]]:
    def start(**changes: Any) -> Iterator[TestClient]:
        web = create_app(settings.model_copy(update=changes), clock=world.clock)
        with TestClient(web, follow_redirects=False) as client:
            yield client

    return start


@pytest.fixture
def client(started: Callable[..., Iterator[TestClient]]) -> Iterator[TestClient]:
    """The app with its read models followed in-process (the embedded default)."""
    yield from started(projections_in_process=True)


def settle(client: TestClient) -> None:
    projector: Projector = client.app.state.projector  # type: ignore[attr-defined]
    head = projector.app.head()
    for name in projector.read_models:
        projector.wait(name, head, timeout=30)


def portal_login(client: TestClient, email: str) -> None:
    form = client.get("/connexion").text
    token = CSRF.search(form)
    assert token is not None
    data = {"email": email, "mot_de_passe": DEFAULT_PASSWORD, "csrf_token": token.group(1)}
    assert client.post("/connexion", data=data).status_code == 303


def api_token(client: TestClient, email: str) -> str:
    body = {"query": LOGIN, "variables": {"email": email, "password": DEFAULT_PASSWORD}}
    response = client.post("/graphql", json=body)
    token: str = response.json()["data"]["login"]["token"]
    return token


# --------------------------------------------------------------------- what is measured
def test_requests_operations_and_commands_are_labelled_by_template_name_and_code_never_by_person(
    client: TestClient, world: World, story: Callable[..., Any]
) -> None:
    # given a case of the world's referent, and the counts so far
    case = story()
    case_id = case.open()
    settle(client)
    _, before = scrape(client)

    # when a portal page, a named GraphQL query, an accepted and a refused command are made
    portal_login(client, world.referent.email)
    assert client.get(f"/dossiers/{case_id}").status_code == 200
    token = api_token(client, world.referent.email)
    body = {"query": CASE_QUERY, "variables": {"id": str(case_id)}}
    answer = client.post("/graphql", json=body, headers={"Authorization": f"Bearer {token}"})
    assert answer.json()["data"]["case"]["id"] == str(case_id)
    household_id = world.new_household("Ménage Lefebvre-Personnel")
    with world.acting(world.landlord), pytest.raises(DomainError) as refusal:
        world.app.open_case(household_id, world.referent.actor.id)
    text, after = scrape(client)

    # then each is counted under its template, its name, its command and its code
    def delta(name: str, **labels: str) -> float:
        return after.get(key(name, **labels), 0.0) - before.get(key(name, **labels), 0.0)

    page = {"method": "GET", "route": "/dossiers/{case_id}", "status": "2xx"}
    assert delta("aspe_http_request_duration_seconds_count", **page) == 1
    assert (
        delta(
            "aspe_http_request_duration_seconds_count",
            method="POST",
            route="/graphql",
            status="2xx",
        )
        == 2
    )
    assert (
        delta(
            "aspe_graphql_operation_duration_seconds_count", operation="CaseSummary", type="query"
        )
        == 1
    )
    assert (
        delta("aspe_graphql_operation_duration_seconds_count", operation="Login", type="mutation")
        == 1
    )
    assert delta("aspe_commands_accepted_total", command="register_household") == 1
    code = refusal.value.code
    assert delta("aspe_commands_refused_total", command="open_case", code=code) == 1
    # and nothing personal is anywhere in the exposition: no id, no e-mail, no name
    assert UUID_TEXT.search(text) is None
    people = [world.referent, world.landlord, world.manager]
    personal = [str(case_id), str(household_id), "Lefebvre", "Ménage"]
    personal += [value for person in people for value in (person.email, person.name)]
    assert [value for value in personal if value in text] == []
    assert "@" not in text


def test_an_unnamed_operation_is_anonymous_and_an_overlong_name_is_other(
    client: TestClient,
) -> None:
    # given an anonymous operation, and one whose name is longer than any in code
    long_name = "Q" * 100
    client.post("/graphql", json={"query": "{ __typename }"})
    client.post("/graphql", json={"query": f"query {long_name} {{ __typename }}"})

    # when Prometheus scrapes
    text, samples = scrape(client)

    # then they are "anonymous" and "other", never the text sent
    count = "aspe_graphql_operation_duration_seconds_count"
    assert samples[key(count, operation="anonymous", type="query")] >= 1
    assert samples[key(count, operation="other", type="query")] >= 1
    assert long_name not in text


def test_client_chosen_names_stop_adding_series_past_their_bound() -> None:
    names = BoundedLabel(limit=2)

    seen = [names.value(name) for name in ("First", "Second", "Third", "First")]

    assert seen == ["First", "Second", "other", "First"]


def test_a_path_no_route_answers_is_counted_as_unmatched(client: TestClient) -> None:
    # given a request to a path that no route serves, carrying an id
    missing = f"/nulle-part/{uuid4()}"
    assert client.get(missing).status_code == 404

    # when Prometheus scrapes, then it is "unmatched", and the path is not in it
    text, samples = scrape(client)
    assert (
        samples[
            key(
                "aspe_http_request_duration_seconds_count",
                method="GET",
                route="unmatched",
                status="4xx",
            )
        ]
        >= 1
    )
    assert missing not in text


def test_a_static_file_is_counted_under_its_mount(client: TestClient) -> None:
    assert client.get("/static/aspe.css").status_code == 200

    _, samples = scrape(client)

    static = key(
        "aspe_http_request_duration_seconds_count",
        method="GET",
        route="/static/{path}",
        status="2xx",
    )
    assert samples[static] >= 1


def test_the_lag_of_each_read_model_is_the_store_head_minus_its_position(
    started: Callable[..., Iterator[TestClient]], world: World
) -> None:
    # given an API whose read models another process follows (none here): they lag
    for client in started(projections_in_process=False):
        head = world.app.head()
        assert head > 0

        # when Prometheus scrapes
        _, samples = scrape(client)

        # then every read model lags by the whole store, none has failed, the head is said
        projector: Projector = client.app.state.projector  # type: ignore[attr-defined]
        for line in projector.status():
            assert samples[key("aspe_projection_lag_events", read_model=line.name)] == head
            assert samples[key("aspe_projection_failed", read_model=line.name)] == 0
        assert samples[key("aspe_event_store_head")] == head
        assert samples[key("aspe_metrics_source_up", source="read_models")] == 1


def test_the_read_models_followed_in_process_lag_by_nothing(client: TestClient) -> None:
    settle(client)
    _, samples = scrape(client)
    lags = {
        labels: value
        for (name, labels), value in samples.items()
        if name == "aspe_projection_lag_events"
    }
    assert len(lags) == len(client.app.state.projector.read_models)  # type: ignore[attr-defined]
    assert set(lags.values()) == {0}


def test_a_read_model_stopped_on_an_event_is_counted_and_shown_failed(
    started: Callable[..., Iterator[TestClient]],
    settings: Settings,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given a runner whose audit trail cannot apply any event (the API follows none)
    projector = build_projector(settings, ["audit_trail"], app=world.app)
    model = projector.model("audit_trail")

    def unapplicable(*_: Any) -> None:
        raise RuntimeError("inapplicable")

    monkeypatch.setattr(model, "process_batch", unapplicable)
    for client in started(projections_in_process=False):
        _, before = scrape(client)

        # when it catches up
        try:
            projector.catch_up(until=world.app.head())
        finally:
            projector.close()

        # then the stop is counted, and the read model is shown failed at the next scrape
        _, after = scrape(client)
    errors = key("aspe_projection_errors_total", read_model="audit_trail")
    assert after[errors] - before.get(errors, 0.0) == 1
    assert after[key("aspe_projection_failed", read_model="audit_trail")] == 1
    assert after[key("aspe_projection_failed", read_model="case_file")] == 0


def test_deliveries_are_counted_by_channel_and_status(
    client: TestClient, settings: Settings, story: Callable[..., Any]
) -> None:
    # given a case opened (its referent is told: deliveries recorded)
    story().open()
    settle(client)

    # when Prometheus scrapes
    _, samples = scrape(client)

    # then every channel × status is there, as `aspe notifications status` counts them
    for channel, by_status in delivery_counts(settings).items():
        for status in STATUSES:
            sample = key("aspe_deliveries", channel=channel, status=status)
            assert samples[sample] == by_status[status]
    assert samples[key("aspe_metrics_source_up", source="deliveries")] == 1


def test_the_queue_depth_is_the_number_of_tasks_waiting_on_redis(
    started: Callable[..., Iterator[TestClient]], settings: Settings
) -> None:
    # given two tasks sent to a queue of this test's own, which no worker takes
    require_redis()
    queue = f"aspe-metrics-{uuid4().hex[:8]}"
    changes = {"redis_url": REDIS_URL, "celery_queue": queue}
    celery = build_celery(settings.model_copy(update=changes))
    try:
        for _ in range(2):
            celery.send_task("aspe.tests.nothing", queue=queue)

        # when Prometheus scrapes
        for client in started(**changes):
            _, samples = scrape(client)

        # then the queue holds both
        assert samples[key("aspe_queue_depth", queue=queue)] == 2
        assert samples[key("aspe_metrics_source_up", source="queue")] == 1
    finally:
        with celery.connection_for_write() as connection:
            connection.default_channel.client.delete(queue)


def test_a_broker_that_does_not_answer_leaves_a_gap_not_a_failed_scrape(
    started: Callable[..., Iterator[TestClient]],
) -> None:
    # given a Redis URL where nothing listens
    for client in started(redis_url="redis://127.0.0.1:9/0"):
        # when Prometheus scrapes, then the rest is served and the queue is said down
        _, samples = scrape(client)
    assert samples[key("aspe_metrics_source_up", source="queue")] == 0
    assert samples[key("aspe_metrics_source_up", source="deliveries")] == 1
    assert not [name for name, _ in samples if name == "aspe_queue_depth"]


# ------------------------------------------------------------------------------ access
def production(settings: Settings, **changes: Any) -> Settings:
    return settings.model_copy(
        update={"env": Environment.PRODUCTION, "secret_key": "s" * 40, **changes}
    )


def test_in_production_metrics_answer_only_the_scraper_with_the_token(
    settings: Settings,
) -> None:
    with TestClient(create_app(production(settings, metrics_token=SecretStr(TOKEN)))) as client:
        assert client.get("/metrics").status_code == 401
        wrong = client.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
        assert wrong.status_code == 401
        assert wrong.headers["www-authenticate"].startswith("Bearer")
        scrape(client, Authorization=f"Bearer {TOKEN}")


def test_in_production_without_a_token_metrics_answer_no_one(settings: Settings) -> None:
    with TestClient(create_app(production(settings))) as client:
        refused = client.get("/metrics", headers={"Authorization": "Bearer anything"})
    assert refused.status_code == 401
    assert "ASPE_METRICS_TOKEN" in refused.json()["detail"]


def test_outside_production_metrics_are_open_unless_a_token_is_set(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        scrape(client)
    with TestClient(
        create_app(settings.model_copy(update={"metrics_token": SecretStr(TOKEN)}))
    ) as client:
        assert client.get("/metrics").status_code == 401
        scrape(client, Authorization=f"Bearer {TOKEN}")


def test_a_short_metrics_token_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASPE_METRICS_TOKEN", "short")
    with pytest.raises(ValidationError, match="ASPE_METRICS_TOKEN must be at least 16"):
        Settings()


# ------------------------------------------------------------------------ processes
COUNTING_PROCESS = textwrap.dedent(
    """
    from aspe import metrics
    from aspe.bootstrap import build_application
    from aspe.demo.scenarios import ADMIN
    from aspe.domain.actors import acting_as
    from aspe.domain.values import OrganisationKind
    from aspe.settings import Settings

    settings = Settings()
    metrics.configure(settings)
    application = build_application(settings)
    with acting_as(ADMIN):
        application.register_organisation("Association {n}", OrganisationKind.ASSOCIATION)
    application.close()
    """
)


def test_metrics_sum_what_every_process_of_the_host_counted(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given two processes that ran a command each, counting into one metrics directory
    directory = tmp_path / "metrics"
    environment = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "ASPE_ENV": "test",
        "ASPE_DATA_DIR": str(settings.data_dir),
        "ASPE_METRICS_DIR": str(directory),
    }
    for n in (1, 2):
        code = COUNTING_PROCESS.replace("{n}", str(n))
        subprocess.run([sys.executable, "-c", code], env=environment, check=True, timeout=60)

    # when the API (a third process, as `aspe serve` starts it) is scraped
    scraped = subprocess.run(
        [sys.executable, "-c", SCRAPING_PROCESS],
        env=environment,
        check=True,
        timeout=120,
        capture_output=True,
        text=True,
    )

    # then the commands of both are summed, next to the API's own requests
    samples = parse(scraped.stdout)
    assert samples[key("aspe_commands_accepted_total", command="register_organisation")] == 2
    healthz = key(
        "aspe_http_request_duration_seconds_count", method="GET", route="/healthz", status="2xx"
    )
    assert samples[healthz] == 1
    assert any(directory.glob("counter_*.db")), "each process writes files of its own"


SCRAPING_PROCESS = textwrap.dedent(
    """
    from fastapi.testclient import TestClient
    from aspe.api import create_app

    with TestClient(create_app()) as client:
        client.get("/healthz")
        print(client.get("/metrics").text)
    """
)


def test_nothing_imports_prometheus_client_before_the_entry_point_configures_it() -> None:
    # prometheus_client picks plain or file-backed values when it is imported: importing
    # the app and the command line must leave that choice to ``aspe.metrics.configure``.
    code = (
        "import sys, aspe.cli.main, aspe.api, aspe.workers.app, aspe.workers.clocks;"
        "print('prometheus_client' in sys.modules)"
    )
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_a_clock_run_is_counted_by_its_outcome(client: TestClient) -> None:
    # given a clock that succeeds and one whose case changed under it
    _, before = scrape(client)

    def done(task: Any) -> list[str]:
        return []

    def lost(task: Any) -> list[str]:
        raise ConcurrentUpdate()

    # when each runs
    timed_clock("aspe.clocks.test_done", done)(None)  # type: ignore[arg-type]
    with pytest.raises(DomainError):
        timed_clock("aspe.clocks.test_lost", lost)(None)  # type: ignore[arg-type]

    # then each run is counted under its outcome
    _, after = scrape(client)
    runs = "aspe_clock_runs_total"
    ok = key(runs, clock="aspe.clocks.test_done", outcome="ok")
    retried = key(runs, clock="aspe.clocks.test_lost", outcome="retried")
    assert after[ok] - before.get(ok, 0.0) == 1
    assert after[retried] - before.get(retried, 0.0) == 1
