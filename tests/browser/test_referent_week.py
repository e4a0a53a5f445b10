"""A référent's week, in a browser: find a household by its name typed without accents,
open the week's agenda, follow a planned visit to its case, record it there, and see the
week's cadence move on the agenda.

The demo's Brun measure (reinforced, Claire Martin's, three visits a week) is this test's
own: no other browser test relies on it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from aspe.domain.local_time import day_of, monday_of
from tests.browser.conftest import LiveServer, check_accessibility, screenshot
from tests.browser.test_pages_accessibility import log_in, sample_case_id

if TYPE_CHECKING:
    from playwright.sync_api import Page

BRUN_LABEL = "Mesure renforcée (proposée simple)"
LOGIN = "mutation L($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"
SCHEDULE = """
mutation S($case: ID!, $at: DateTime!) {
  scheduleVisit(caseId: $case, plannedAt: $at, kind: HOME) { id }
}
"""


def schedule_visit(page: Page, live_server: LiveServer, case_id: str, at: datetime) -> None:
    """The référent plans a home visit through the API (the test's given)."""
    login = page.request.post(
        "/graphql",
        data={
            "query": LOGIN,
            "variables": {"e": live_server.email_of("REFERENT"), "p": live_server.password},
        },
    )
    token = login.json()["data"]["login"]["token"]
    planned = page.request.post(
        "/graphql",
        data={"query": SCHEDULE, "variables": {"case": case_id, "at": at.isoformat()}},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert planned.json().get("errors") is None, planned.json()


def cadence_of(page: Page, household: str) -> str:
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=household))
    return row.inner_text()


def test_a_referents_week(page: Page, live_server: LiveServer) -> None:
    from playwright.sync_api import expect

    # given a home visit planned at Brun's within the hour
    case_id = sample_case_id(live_server, BRUN_LABEL)
    planned_at = datetime.now(UTC) + timedelta(minutes=30)
    schedule_visit(page, live_server, case_id, planned_at)
    planned_week = monday_of(day_of(planned_at))
    log_in(page, live_server, "REFERENT")

    # when the référent searches « guerin », accents and capitals aside
    page.get_by_role("searchbox", name="Ménage recherché (nom)").fill("guerin")
    page.get_by_role("button", name="Rechercher").click()

    # then M. Guérin is listed, and the search is kept in the address
    expect(page).to_have_url(re.compile(r"recherche=guerin"))
    listed = page.get_by_role("table", name=re.compile("Mes dossiers"))
    expect(listed.get_by_role("link", name="M. Guérin")).to_be_visible()
    expect(listed.get_by_role("link", name="Famille Brun")).to_have_count(0)
    check_accessibility(page)

    # when they open the agenda (the planned visit's week)
    page.get_by_role("link", name="Agenda").click()
    if monday_of(day_of(datetime.now(UTC))) != planned_week:  # Sunday night
        page.get_by_role("link", name="Semaine suivante").click()
    before = cadence_of(page, "Famille Brun")
    visit = page.get_by_role("listitem").filter(has_text="Visite à domicile – Famille Brun")
    expect(visit.first).to_be_visible()
    screenshot(page, "agenda-referent")
    check_accessibility(page)

    # and follow the visit to its case, and record it there
    visit.first.get_by_role("link", name=re.compile("^Enregistrer la visite")).click()
    expect(page).to_have_url(re.compile(rf"/dossiers/{case_id}\?action=visite"))
    form = page.get_by_role("group", name="Enregistrer une visite réalisée", exact=True)
    form.get_by_label("Date de la visite").fill(day_of(datetime.now(UTC)).isoformat())
    form.get_by_label("Lieu").select_option("HOME")
    form.get_by_label("Rendez-vous programmé").select_option(index=1)
    form.get_by_label("Budget").check()
    form.get_by_label("Le ménage était présent").check()
    form.get_by_role("button", name="Enregistrer").click()
    expect(page).to_have_url(re.compile(r"\?fait=visite"))

    # then the agenda counts one more visit done this week at Brun's
    page.goto("/agenda")
    done_before = int(re.search(r"(\d+) sur 3", before).group(1))  # type: ignore[union-attr]
    expect(
        page.get_by_role("row").filter(has=page.get_by_role("link", name="Famille Brun"))
    ).to_contain_text(f"{done_before + 1} sur 3")
