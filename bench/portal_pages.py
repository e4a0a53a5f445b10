"""What the portal's pages cost on top of the GraphQL operation that feeds them (issue 15).

Each portal page runs one GraphQL operation as the viewer, in process, then renders its
template. On the demo département (SQLite, in a temporary folder), for the référent, the
manager and the SPSLH agent, interleaved in rounds so that both see the same machine:

- *data*: the page's own GraphQL operation sent to ``/graphql`` (the baseline: what the API
  costs for the same content);
- *page*: the page itself (``GET``), its data fetched, shaped and rendered.

Pages: each role's home, the Durand family's case page (the demo's fullest: CEOP, 11 weeks of
visits, debts, concertations, rent ledger, history), the agenda and the statistics. It
prints the median of each, the ratio page/data and the milliseconds the portal adds. A
benchmark, not a test: it exits 0. Run: ``.venv/bin/python bench/portal_pages.py``
(``--rounds``, ``--per-round``).
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from rich.console import Console
from rich.table import Table

from aspe.api import create_app
from aspe.bootstrap import build_application
from aspe.demo import load_demo
from aspe.demo.scenarios import DEFAULT_PASSWORD
from aspe.portal.case_page import CASE_PAGE_QUERY
from aspe.portal.homes import QUERIES
from aspe.portal.statistics import STATISTICS_QUERY
from aspe.settings import Settings

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
LOGIN = "mutation L($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"
SHARED_CASE = "Compte ménage"
"""The demo's Durand case: every party follows it; the fullest case page."""


@dataclass(frozen=True)
class Measured:
    role: str
    page: str
    url: str
    query: str
    variables: dict[str, Any]


def per_call_milliseconds(call: Callable[[], object], times: int) -> float:
    start = time.perf_counter()
    for _ in range(times):
        call()
    return (time.perf_counter() - start) / times * 1e3


def browser_of(app: Any, email: str) -> TestClient:
    """A client logged in through the portal's form (its session cookie kept)."""
    client = TestClient(app, follow_redirects=False)
    token = CSRF.search(client.get("/connexion").text)
    assert token is not None
    response = client.post(
        "/connexion",
        data={"email": email, "mot_de_passe": DEFAULT_PASSWORD, "csrf_token": token.group(1)},
    )
    assert response.status_code == 303, response.text
    return client


def api_of(app: Any, email: str) -> Callable[[str, dict[str, Any]], Any]:
    """``ask(query, variables)``: the operation sent to ``/graphql`` with the account's token."""
    client = TestClient(app)
    variables = {"e": email, "p": DEFAULT_PASSWORD}
    login = client.post("/graphql", json={"query": LOGIN, "variables": variables})
    headers = {"Authorization": f"Bearer {login.json()['data']['login']['token']}"}

    def ask(query: str, variables: dict[str, Any]) -> Any:
        body = {"query": query, "variables": variables}
        response = client.post("/graphql", json=body, headers=headers)
        assert not response.json().get("errors"), response.text
        return response

    return ask


def pages_of(case_id: str) -> list[Measured]:
    case = {"id": case_id}
    return [
        Measured("REFERENT", "accueil", "/", QUERIES["REFERENT"], {}),
        Measured("REFERENT", "dossier", f"/dossiers/{case_id}", CASE_PAGE_QUERY, case),
        Measured("ASSOCIATION_MANAGER", "accueil", "/", QUERIES["ASSOCIATION_MANAGER"], {}),
        Measured("ASSOCIATION_MANAGER", "statistiques", "/statistiques", STATISTICS_QUERY, {}),
        Measured("SPSLH_AGENT", "accueil", "/", QUERIES["SPSLH_AGENT"], {}),
        Measured("SPSLH_AGENT", "dossier", f"/dossiers/{case_id}", CASE_PAGE_QUERY, case),
    ]


def demo_in(folder: str) -> tuple[Settings, str, dict[str, str]]:
    """The demo département in ``folder``: its settings, the Durand case, e-mails by role."""
    settings = Settings(data_dir=Path(folder))
    application = build_application(settings)
    try:
        report = load_demo(application, datetime.now(UTC).date())
    finally:
        application.close()
    case_id = next(
        str(sample.case_id)
        for sample in report.sample_cases
        if sample.label.startswith(SHARED_CASE)
    )
    return settings, case_id, {account.role.value: account.email for account in report.accounts}


def measure(app: Any, measured: list[Measured], emails: dict[str, str], args: Any) -> list[Any]:
    """Per page: the medians of its data alone and of the page, rounds interleaved."""
    roles = {item.role for item in measured}
    browsers = {role: browser_of(app, emails[role]) for role in roles}
    apis = {role: api_of(app, emails[role]) for role in roles}
    me = {role: apis[role]("query { me { id } }", {}).json()["data"]["me"]["id"] for role in roles}
    measured = [  # the referent's home lists the cases entrusted to the viewer
        replace(item, variables={**item.variables, "me": me[item.role]})
        if "$me:" in item.query
        else item
        for item in measured
    ]
    data: list[list[float]] = [[] for _ in measured]
    page: list[list[float]] = [[] for _ in measured]
    for item in measured:  # warm up, and check that each page answers
        assert browsers[item.role].get(item.url).status_code == 200, item.url
        apis[item.role](item.query, item.variables)
    for _ in range(args.rounds):
        for index, item in enumerate(measured):
            ask, browser = apis[item.role], browsers[item.role]
            query, variables, url = item.query, item.variables, item.url
            data[index].append(
                per_call_milliseconds(lambda: ask(query, variables), args.per_round)  # noqa: B023
            )
            page[index].append(
                per_call_milliseconds(lambda: browser.get(url), args.per_round)  # noqa: B023
            )
    return [(statistics.median(d), statistics.median(p)) for d, p in zip(data, page, strict=True)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--per-round", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        settings, case_id, emails = demo_in(folder)
        measured = pages_of(case_id)
        # The app's lifespan starts once its read models have caught up with the demo.
        with TestClient(create_app(settings)) as started:
            medians = measure(started.app, measured, emails, args)
    table = Table(title="Portal pages against their own GraphQL operation (median ms)")
    for column in ("role", "page", "data (ms)", "page (ms)", "ratio", "added (ms)"):
        table.add_column(column, justify="left" if column in ("role", "page") else "right")
    for item, (baseline, full) in zip(measured, medians, strict=True):
        table.add_row(
            item.role, item.page, f"{baseline:.1f}", f"{full:.1f}", f"{full / baseline:.2f}",
            f"{full - baseline:.1f}",
        )  # fmt: skip
    Console().print(table)


if __name__ == "__main__":
    main()
