"""Each role lands on its own home, built from GraphQL queries run as that role: its own
items are there, another party's are not (a landlord never sees a visit note or a health
item), and every home shows the inbox's unread count.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any
from uuid import UUID, uuid4

import pytest

from aspe.demo.scenarios import ADMIN, Account, CaseStory
from aspe.domain.actors import Role
from aspe.domain.values import Status, Theme, VisitKind
from aspe.settings import Settings
from aspe.workers.app import create_app as create_celery
from aspe.workers.delivery import dispatch
from aspe.workers.messages import Message, Recipient
from tests.portal.conftest import Visitor

LoggedIn = Callable[[Account | str], Visitor]
HEALTH_FINDING = "Suivi médical interrompu depuis un an"
HEALTH_OBJECTIVE = "Reprendre un suivi médical"
VISIT_NOTE = "Note de visite : le ménage confie des difficultés conjugales"


class Cases:
    """Given-steps: households and their cases, walked to a status on a chosen day."""

    def __init__(self, world: Any) -> None:
        self.world = world
        self.households: dict[UUID, UUID] = {}

    def walk(
        self,
        name: str,
        status: Status,
        referent: Account | None = None,
        weeks_ago: int = 0,
        landlord_id: UUID | None = None,
    ) -> UUID:
        world = self.world
        referent = referent or world.referent
        household = world.departement.add_household(
            referent, landlord_id or world.landlord_id, name
        )
        saved = world.clock.now
        world.clock.now = saved - timedelta(weeks=weeks_ago)
        case_id = CaseStory(world.departement, referent, household).walk_to(status)
        world.clock.now = saved
        self.households[case_id] = household
        return case_id

    def record_visit(self, case_id: UUID, note: str = VISIT_NOTE) -> None:
        world = self.world
        with world.acting(world.referent):
            world.app.record_visit(
                case_id, world.clock.today(), VisitKind.HOME, [Theme.BUDGET], note
            )


@pytest.fixture
def cases(world: Any) -> Cases:
    return Cases(world)


def main_of(html: str) -> str:
    """The page's ``<main>`` (entities decoded): what the page shows, without the header."""
    found = re.search(r"<main[^>]*>(.*)</main>", html, re.S)
    assert found
    return unescape(found.group(1))


# --------------------------------------------------------------------- referent
def test_the_referent_sees_its_cases_visits_due_shortfalls_and_silent_households(
    world: Any, cases: Cases, logged_in: LoggedIn
) -> None:
    behind = cases.walk("Famille Lambert", Status.ACTIVE, weeks_ago=3)
    cases.walk("Famille Roussel", Status.DIAGNOSTIC)
    cases.walk("Famille Colin", Status.DIAGNOSTIC, referent=world.second_referent)
    cases.walk("Famille Etranger", Status.SUBMITTED, referent=world.other_association.referents[0])

    home = main_of(logged_in(world.referent).page("/"))

    assert "Mes dossiers" in home
    assert "Famille Lambert" in home
    assert "Famille Roussel" in home
    assert "Famille Colin" not in home  # the other referent's
    assert "Famille Etranger" not in home  # another association's
    due = home.split('id="titre-visites"')[1].split("</section>")[0]
    assert "Famille Lambert" in due
    assert "1 visite à faire" in due
    shortfall = home.split('id="titre-cadence"')[1].split("</section>")[0]
    assert "Famille Lambert" in shortfall
    assert "0 visite sur 1 requise" in shortfall
    silent = home.split('id="titre-silence"')[1].split("</section>")[0]
    assert "Famille Lambert" in silent
    assert "jours sans nouvelles (alerte à 14 jours)" in silent
    assert f'href="/dossiers/{behind}"' in home


def test_a_visit_this_week_clears_the_visit_due(
    world: Any, cases: Cases, logged_in: LoggedIn
) -> None:
    case_id = cases.walk("Famille Lambert", Status.ACTIVE, weeks_ago=3)
    cases.record_visit(case_id)

    home = main_of(logged_in(world.referent).page("/"))

    assert "Aucune visite en attente cette semaine." in home
    assert VISIT_NOTE not in home  # a home lists, the case page tells


# ---------------------------------------------------------------------- manager
def test_the_manager_sees_the_associations_caseload_by_referent(
    world: Any, cases: Cases, logged_in: LoggedIn
) -> None:
    cases.walk("Famille Lambert", Status.ACTIVE)
    cases.walk("Famille Colin", Status.SUBMITTED, referent=world.second_referent)
    cases.walk("Famille Etranger", Status.SUBMITTED, referent=world.other_association.referents[0])

    home = main_of(logged_in(world.manager).page("/"))

    assert "File active de l'association (2 dossiers)" in home
    assert "Famille Lambert" in home
    assert "Famille Colin" in home
    assert "Famille Etranger" not in home
    assert "<h3>Claire Martin — 1 dossier</h3>" in home  # named from the directory
    assert "<h3>Paul Roux — 1 dossier</h3>" in home
    assert "Référent·e n°" not in home


# ------------------------------------------------------------------------ SPSLH
def test_the_spslh_sees_requests_to_register_and_never_a_health_item(
    world: Any, cases: Cases, logged_in: LoggedIn
) -> None:
    submitted = cases.walk("Famille Lambert", Status.SUBMITTED)
    cases.walk("Famille Roussel", Status.DIAGNOSTIC)

    home = main_of(logged_in(world.spslh).page("/"))

    to_register = home.split('id="titre-a-enregistrer"')[1].split("</section>")[0]
    assert "Famille Lambert" in to_register
    assert f"/dossiers/{submitted}" in to_register
    assert "1\u202f800,00\u00a0€" in to_register  # the aid asked
    assert "Famille Roussel" not in home  # not submitted: not the SPSLH's to see
    assert HEALTH_FINDING not in home


def test_the_spslh_sees_the_ceops_transmitted(
    world: Any, cases: Cases, logged_in: LoggedIn
) -> None:
    case_id = cases.walk("Famille Lambert", Status.ACTIVE)
    with world.acting(world.referent):
        world.app.transmit_ceop(case_id)

    home = main_of(logged_in(world.spslh).page("/"))

    received = home.split('id="titre-ceop"')[1].split("</section>")[0]
    assert "Famille Lambert" in received
    assert "transmis le 2 mars 2026" in received


# ------------------------------------------------------------------- commission
def test_the_commission_sees_its_agenda_with_what_it_takes_to_decide_but_no_health_item(
    world: Any, cases: Cases, logged_in: LoggedIn
) -> None:
    cases.walk("Famille Lambert", Status.REGISTERED)
    cases.walk("Famille Roussel", Status.SUBMITTED)

    home = main_of(logged_in(world.commission).page("/"))

    agenda = home.split('id="titre-ordre"')[1].split("</section>")[0]
    assert "Séance du 16 mars 2026" in agenda
    assert "Famille Lambert" in agenda
    assert "Dette locative de quatre mois après une perte d'emploi" in agenda
    assert "2\u202f400,00\u00a0€" in agenda  # the rent arrears
    assert "Famille Roussel" not in home  # not registered yet
    assert HEALTH_FINDING not in home
    assert HEALTH_OBJECTIVE not in home


# --------------------------------------------------------------------- landlord
def test_the_landlord_sees_its_tenants_measures_and_never_a_note_or_health_item(
    world: Any, cases: Cases, logged_in: LoggedIn
) -> None:
    own = cases.walk("Famille Lambert", Status.ACTIVE)
    cases.record_visit(own)
    others = cases.walk("Famille Roussel", Status.ACTIVE, landlord_id=world.other_landlord_id)
    cases.walk("Famille Colin", Status.SUBMITTED)

    browser = logged_in(world.landlord)
    home = main_of(browser.page("/"))
    case_page = unescape(browser.page(f"/dossiers/{own}"))

    assert f"/dossiers/{own}" in home
    assert "Mesure en cours" in home
    assert "simple" in home
    assert f"/dossiers/{others}" not in home  # another landlord's tenant
    assert "Famille Lambert" not in home  # no consent recorded: no name
    assert "Famille Colin" not in home  # no measure granted yet
    for page in (home, case_page):
        assert VISIT_NOTE not in page
        assert HEALTH_FINDING not in page
        assert HEALTH_OBJECTIVE not in page
    assert browser.get(f"/dossiers/{others}").status_code == 404


# -------------------------------------------------------------------- household
def test_the_household_sees_its_pathway_objectives_and_next_visit(
    world: Any, cases: Cases, logged_in: LoggedIn, household_account: Callable[[UUID], str]
) -> None:
    case_id = cases.walk("Famille Lambert", Status.ACTIVE)
    cases.walk("Famille Roussel", Status.ACTIVE)
    email = household_account(cases.households[case_id])
    with world.acting(world.referent):
        # booked at 15:30 in Paris (14:30 UTC, as the store keeps it)
        world.app.schedule_visit(case_id, datetime(2026, 3, 5, 14, 30, tzinfo=UTC), VisitKind.HOME)
    cases.record_visit(case_id)

    home = main_of(logged_in(email).page("/"))

    assert "Mon accompagnement" in home
    assert "Mesure en cours" in home
    assert "Établir un budget mensuel" in home
    assert HEALTH_OBJECTIVE in home  # its own health objective: the household may see it
    assert "5 mars 2026 à 15 h 30" in home  # Paris time, not the stored UTC
    assert "Le ménage : signé le 2 mars 2026" in home
    assert VISIT_NOTE not in home
    assert "Famille Roussel" not in home


# ---------------------------------------------------------------------- auditor
def test_the_auditor_searches_a_case_by_its_id(
    world: Any, cases: Cases, logged_in: LoggedIn
) -> None:
    case_id = cases.walk("Famille Lambert", Status.SUBMITTED)
    browser = logged_in(world.auditor)

    home = main_of(browser.page("/"))
    found = browser.get("/", params={"dossier": f"  {str(case_id).upper()} "})
    wrong = browser.get("/", params={"dossier": "Lambert"})

    assert '<label for="dossier">Identifiant du dossier</label>' in home
    assert found.status_code == 303
    assert found.headers["location"] == f"/dossiers/{case_id}"
    assert "Famille Lambert" in browser.page(found.headers["location"])
    assert wrong.status_code == 400
    assert "Saisissez l'identifiant complet du dossier" in main_of(wrong.text)
    assert 'value="Lambert"' in wrong.text


# ------------------------------------------------------------------------ admin
def test_the_administrator_has_a_minimal_page_and_no_case(
    world: Any, cases: Cases, logged_in: LoggedIn
) -> None:
    cases.walk("Famille Lambert", Status.ACTIVE)
    with world.acting(ADMIN):
        admin = world.departement.add_staff(
            world.departement.platform_id, Role.ADMIN, "Thomas Perrin"
        )

    home = main_of(logged_in(admin).page("/"))

    assert "Administration de la plateforme" in home
    assert "Famille Lambert" not in home
    assert 'href="/comptes"' in home


def test_every_link_of_the_manager_s_and_the_administrator_s_homes_leads_somewhere(
    world: Any, logged_in: LoggedIn
) -> None:
    # given the manager and the administrator
    with world.acting(ADMIN):
        admin = world.departement.add_staff(
            world.departement.platform_id, Role.ADMIN, "Thomas Perrin"
        )
    for account in (world.manager, admin):
        browser = logged_in(account)

        # when they follow each link of their home
        links = set(re.findall(r'href="(/[^"#]*)', browser.page("/")))

        # then every one answers with a page
        assert "/comptes" in links
        for link in links:
            assert browser.get(link).status_code == 200, link


# ------------------------------------------------------------------- case page
def test_a_case_the_viewer_may_not_see_is_not_found_like_one_that_does_not_exist(
    world: Any, cases: Cases, logged_in: LoggedIn
) -> None:
    foreign = cases.walk(
        "Famille Etranger", Status.SUBMITTED, referent=world.other_association.referents[0]
    )
    browser = logged_in(world.referent)

    hidden = browser.get(f"/dossiers/{foreign}")
    missing = browser.get(f"/dossiers/{uuid4()}")
    malformed = browser.get("/dossiers/pas-un-identifiant")

    for response in (hidden, missing, malformed):
        assert response.status_code == 404
        assert "Dossier introuvable" in response.text
    assert "Famille Etranger" not in hidden.text
    assert main_of(hidden.text) == main_of(missing.text)


def test_the_case_page_shows_status_and_dates(
    world: Any, cases: Cases, logged_in: LoggedIn
) -> None:
    case_id = cases.walk("Famille Lambert", Status.REGISTERED)

    page = main_of(logged_in(world.referent).page(f"/dossiers/{case_id}"))

    assert "Dossier Famille Lambert" in page
    assert "Inscrite en commission" in page
    assert "16 mars 2026" in page  # the commission's session


# ------------------------------------------------------------------------ inbox
@pytest.fixture
def notify(portal_settings: Settings) -> Callable[[Account, str, UUID | None], None]:
    """``notify(account, subject, case_id)``: a notification in the account's inbox."""
    celery = create_celery(portal_settings)

    def deliver(account: Account, subject: str, case_id: UUID | None = None) -> None:
        recipient = Recipient(account.actor.id, account.name, None)
        message = Message(
            f"test:{uuid4()}", recipient, subject, f"{subject}, en détail.", case_id=case_id
        )
        dispatch([message], app=celery)

    return deliver


def test_every_home_shows_the_unread_count_and_the_inbox_marks_all_read(
    world: Any,
    cases: Cases,
    logged_in: LoggedIn,
    notify: Callable[[Account, str, UUID | None], None],
) -> None:
    case_id = cases.walk("Famille Lambert", Status.SUBMITTED)
    notify(world.referent, "Demande enregistrée", case_id)
    notify(world.referent, "Mesure accordée", None)
    notify(world.landlord, "Pour le bailleur", None)
    browser = logged_in(world.referent)

    home = browser.page("/")
    inbox = main_of(browser.page("/notifications"))

    assert "2 notifications non lues" in main_of(home)
    assert 'id="compteur-notifications">2<' in home
    assert "Demande enregistrée" in inbox
    assert "Mesure accordée, en détail." in inbox
    assert 'href="/notifications/' in inbox  # to the case, marking it read
    assert "Pour le bailleur" not in inbox
    assert inbox.count("Non lue</span>") == 2

    refused = browser.client.post("/notifications/lues", data={})
    assert refused.status_code == 403
    response = browser.post_form("/notifications/lues", {}, from_page="/notifications")

    assert response.status_code == 303
    assert response.headers["location"] == "/notifications"
    after = main_of(browser.page("/notifications"))
    assert "Aucune notification non lue." in after
    assert "Non lue</span>" not in after
    assert "Demande enregistrée" in after  # read, still listed
    assert "Aucune notification non lue" in main_of(browser.page("/"))
    landlord = main_of(logged_in(world.landlord).page("/"))
    assert "1 notification non lue" in landlord  # another account's inbox is left alone
