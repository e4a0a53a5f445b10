"""The case page's action forms: each posts its mutation as the viewer, the case changes (as
GraphQL then tells); an invalid value or a refusal re-renders the page (422) with the French
error next to its field and the typed values kept, nothing stored; no CSRF token, no action.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from html import unescape
from html.parser import HTMLParser
from typing import Any
from uuid import UUID

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from graphql import OperationDefinitionNode, parse, validate
from graphql.execution.values import get_variable_values

from aspe import french
from aspe.demo.scenarios import DEFAULT_PASSWORD, Account, CaseStory
from aspe.domain.values import AccompanimentKind, Status
from aspe.graphql.schema import build_schema
from aspe.portal.actions import ACTIONS, BY_NAME, Field
from aspe.settings import Settings
from tests.gql.conftest import LOGIN, Api
from tests.portal.conftest import Visitor

LoggedIn = Callable[[Account | str], Visitor]


@pytest.fixture
def case_via_api(portal: FastAPI) -> Callable[[Account | str, Any, str], dict[str, Any]]:
    """``case_via_api(account, case_id, fields)``: the case as ``/graphql`` returns it."""

    def read(account: Account | str, case_id: Any, fields: str) -> dict[str, Any]:
        client = TestClient(portal)
        email = account if isinstance(account, str) else account.email
        token = Api(client).data(LOGIN, {"email": email, "password": DEFAULT_PASSWORD})
        query = f"query C($id: ID!) {{ case(id: $id) {{ {fields} }} }}"
        case: dict[str, Any] = Api(client, token["login"]["token"]).data(
            query, {"id": str(case_id)}
        )["case"]
        return case

    return read


def act(browser: Visitor, case_id: UUID, action: str, data: dict[str, Any]) -> Any:
    """Post the action's form, with the CSRF token of the case page."""
    return browser.post_form(
        f"/dossiers/{case_id}/actions/{action}", data, from_page=f"/dossiers/{case_id}"
    )


def done(response: Any, case_id: UUID, action: str) -> None:
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/dossiers/{case_id}?fait={action}#confirmation"


def field_error(html: str, action: str, field: str) -> str:
    """The French error shown next to ``field`` of ``action``'s form."""
    marker = f'id="{action}-{field}-erreur"'
    assert marker in html, f"no error next to {action}.{field}"
    start = html.index(marker)
    return unescape(html[start : html.index("</p>", start)])


# ------------------------------------------------------------------ the data
def test_every_action_runs_a_mutation_the_schema_accepts(settings: Settings) -> None:
    # given the API's schema
    schema = build_schema(settings)._schema
    # when each action's mutation is validated against it
    # then none has an error
    for action in ACTIONS:
        assert validate(schema, parse(action.mutation)) == [], action.name


SAMPLES = {
    "text": "Texte",
    "textarea": "Une ligne",
    "date": "2026-03-02",
    "datetime": "2026-03-02T10:00:00+01:00",
    "month": "2026-03-01",
    "number": 3,
    "money": "12.50",
    "checkbox": True,
}
"""A cleaned value of each kind, as ``clean_field`` gives it."""
CASE_CHOICES = {"signatory": "HOUSEHOLD", "commissionSessionOn": "2026-03-02"}
"""A value for the choices that come from the case (an identifier otherwise)."""


def _filled(item: Field) -> Any:
    if item.kind == "checkboxes":
        return [item.options[0][0]]
    if item.kind == "select":
        return item.options[0][0] if item.options else CASE_CHOICES.get(item.api or "", UUID_TEXT)
    return SAMPLES[item.kind]


UUID_TEXT = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"


def test_every_action_feeds_its_mutation_s_variables_from_its_fields(settings: Settings) -> None:
    # given the API's schema, and each action's form filled in
    schema = build_schema(settings)._schema
    for action in ACTIONS:
        values = {item.name: _filled(item) for item in action.fields}
        # when the form's values become the mutation's variables
        variables = {"caseId": UUID_TEXT, **action.variables_of(values, {"householdId": UUID_TEXT})}
        # then the schema takes them for its mutation: every input there, of its type
        operation = parse(action.mutation).definitions[0]
        assert isinstance(operation, OperationDefinitionNode)
        definitions = operation.variable_definitions
        coerced = get_variable_values(schema, definitions, variables)
        assert not isinstance(coerced, list), (action.name, [str(error) for error in coerced])


# ------------------------------------------------------------------ association
def test_the_referent_records_the_diagnostic_then_submits_the_request(
    story: Callable[..., CaseStory], logged_in: LoggedIn, case_via_api: Any, world: Any
) -> None:
    # given a case in diagnostic, and its referent on the case page
    case_id = story().walk_to(Status.DIAGNOSTIC)
    referent = logged_in(world.referent)
    page = referent.page(f"/dossiers/{case_id}")
    assert '?action=diagnostic#diagnostic"' in page
    assert '?action=accord#accord"' not in page  # the commission's
    # when the referent posts the diagnostic form
    response = act(
        referent,
        case_id,
        "diagnostic",
        {
            "difficulte_BUDGET": "Dette locative de trois mois",
            "objectifs_BUDGET": ["BUDGET_PLAN", "BUDGET_RENT_BILLS"],
        },
    )
    # then the page comes back with a confirmation, and the API shows the diagnostic
    done(response, case_id, "diagnostic")
    assert "diagnostic" in referent.page(response.headers["location"])
    case = case_via_api(
        world.referent, case_id, "diagnostic { findings { theme difficulty } objectives { id } }"
    )
    assert case["diagnostic"]["findings"] == [
        {"theme": "BUDGET", "difficulty": "Dette locative de trois mois"}
    ]
    assert {item["id"] for item in case["diagnostic"]["objectives"]} == {
        "obj-budget-plan",
        "obj-budget-rent-bills",
    }
    # when the referent then submits the request
    response = act(
        referent,
        case_id,
        "demande",
        {
            "aide_demandee": "1 800,00",
            "dette_locative": "2400",
            "loyer": "620,50",
            "mesure_proposee": "REINFORCED",
            "duree_proposee": "12",
        },
    )
    # then the case is submitted with those amounts
    done(response, case_id, "demande")
    case = case_via_api(
        world.referent, case_id, "status request { aidRequested monthlyRent proposedMeasure }"
    )
    assert case["status"] == "SUBMITTED"
    assert case["request"]["proposedMeasure"] == "REINFORCED"
    assert float(case["request"]["monthlyRent"]) == 620.5


def test_an_invalid_value_is_shown_next_to_its_field_with_the_values_kept(
    story: Callable[..., CaseStory], logged_in: LoggedIn, case_via_api: Any, world: Any
) -> None:
    # given a case in diagnostic (its diagnostic recorded) and its referent
    case_id = story().walk_to(Status.DIAGNOSTIC)
    story_head = world.app.head()
    referent = logged_in(world.referent)
    # when the referent posts the request with an amount that is not one
    response = act(
        referent,
        case_id,
        "demande",
        {
            "aide_demandee": "beaucoup",
            "dette_locative": "2400",
            "loyer": "620",
            "mesure_proposee": "SIMPLE",
            "duree_proposee": "",
        },
    )
    # then the page comes back (422) with French errors next to the fields, values kept
    assert response.status_code == 422
    html = response.text
    assert "Saisissez un montant positif en euros" in field_error(html, "demande", "aide_demandee")
    assert "Renseignez ce champ." in field_error(html, "demande", "duree_proposee")
    assert 'aria-describedby="demande-aide_demandee-erreur"' in html
    assert 'value="beaucoup"' in html
    assert 'value="2400"' in html
    assert '<option value="SIMPLE" selected>' in html
    # and nothing was stored
    assert world.app.head() == story_head
    assert case_via_api(world.referent, case_id, "status")["status"] == "DIAGNOSTIC"


def test_the_referent_drafts_the_ceop_and_the_household_signs_it(
    story: Callable[..., CaseStory],
    logged_in: LoggedIn,
    case_via_api: Any,
    household_account: Callable[[UUID], str],
    world: Any,
) -> None:
    # given a granted case whose decision was notified, and its household's account
    case_story = story()
    case_id = case_story.walk_to(Status.GRANTED)
    household = household_account(case_story.household_id)
    referent = logged_in(world.referent)
    # when the referent drafts the CEOP
    response = act(
        referent,
        case_id,
        "redaction_ceop",
        {
            "objectifs_BUDGET": ["BUDGET_PLAN"],
            "objectifs_MEDIATION": ["MEDIATION_LANDLORD"],
            "etapes": "Budget établi ; 30/04/2026\nPlan d'apurement signé",
            "engagement_menage": "Payer le loyer courant",
            "engagement_referent": "Visiter le ménage chaque semaine",
        },
    )
    # then the API shows it, awaiting signatures
    done(response, case_id, "redaction_ceop")
    ceop = case_via_api(
        world.referent, case_id, "ceop { objectives { id } steps { label dueOn } signedOn }"
    )["ceop"]
    assert [item["id"] for item in ceop["objectives"]] == [
        "obj-budget-plan",
        "obj-mediation-landlord",
    ]
    assert ceop["steps"][0] == {"label": "Budget établi", "dueOn": "2026-04-30"}
    # when the household signs it from its own case page
    menage = logged_in(household)
    assert '?action=signature_menage#signature_menage"' in menage.page(f"/dossiers/{case_id}")
    today = world.clock.today().isoformat()
    response = act(menage, case_id, "signature_menage", {"date": today})
    # then its signature is recorded
    done(response, case_id, "signature_menage")
    signatures = case_via_api(world.referent, case_id, "ceop { signatures { signatory } }")
    assert {"signatory": "HOUSEHOLD"} in signatures["ceop"]["signatures"]


def test_the_referent_records_a_visit_and_a_debt_on_an_active_measure(
    story: Callable[..., CaseStory], logged_in: LoggedIn, case_via_api: Any, world: Any
) -> None:
    # given an active measure and its referent
    case_id = story().walk_to(Status.ACTIVE)
    referent = logged_in(world.referent)
    # when the referent records a home visit and a debt
    visit = act(
        referent,
        case_id,
        "visite",
        {
            "date": world.clock.today().strftime("%d/%m/%Y"),
            "type": "HOME",
            "themes": ["BUDGET"],
            "menage_present": "on",
            "note": "Budget revu ensemble",
        },
    )
    debt = act(
        referent,
        case_id,
        "dette",
        {"creancier": "EDF", "montant": "350,20"},
    )
    # then both are on the case
    done(visit, case_id, "visite")
    done(debt, case_id, "dette")
    case = case_via_api(
        world.referent,
        case_id,
        "visits { kind themes note householdPresent } debts { creditor amount owedToLandlord }",
    )
    assert case["visits"] == [
        {
            "kind": "HOME",
            "themes": ["BUDGET"],
            "note": "Budget revu ensemble",
            "householdPresent": True,
        }
    ]
    assert [(d["creditor"], float(d["amount"]), d["owedToLandlord"]) for d in case["debts"]] == [
        ("EDF", 350.2, False)
    ]


def test_a_visit_booked_at_ten_in_paris_is_shown_at_ten_everywhere(
    story: Callable[..., CaseStory], logged_in: LoggedIn, case_via_api: Any, world: Any
) -> None:
    # given an active measure, its referent and its household
    case_id = story().walk_to(Status.ACTIVE)
    referent = logged_in(world.referent)
    day = world.clock.today() + timedelta(days=3)
    # when the referent books a visit at 10:00 on the form ("Heure de Paris")
    booked = act(referent, case_id, "rendez_vous", {"quand": f"{day}T10:00", "type": "HOME"})
    # then the store keeps the instant in UTC (09:00 in winter)…
    done(booked, case_id, "rendez_vous")
    (visit,) = case_via_api(world.referent, case_id, "visits { plannedAt }")["visits"]
    assert visit["plannedAt"].startswith(f"{day}T09:00:00")
    # …and the case page and the visit form show it at 10 h 00, as booked
    shown = f"{french.day(day)} à 10 h 00"
    page = referent.page(f"/dossiers/{case_id}")
    assert shown in page
    assert "09 h 00" not in page


# ------------------------------------------------------------ SPSLH, commission
def test_the_landlord_signs_the_ceop_that_binds_it_from_its_case_page(
    story: Callable[..., CaseStory], logged_in: LoggedIn, case_via_api: Any, world: Any
) -> None:
    # given a granted case whose CEOP commits the landlord too
    case_id = story().walk_to(Status.GRANTED)
    referent = logged_in(world.referent)
    response = act(
        referent,
        case_id,
        "redaction_ceop",
        {
            "objectifs_BUDGET": ["BUDGET_PLAN"],
            "engagement_menage": "Payer le loyer courant",
            "engagement_referent": "Visiter le ménage chaque semaine",
            "engagement_bailleur": "Suspendre la procédure d'expulsion",
        },
    )
    done(response, case_id, "redaction_ceop")
    # when the landlord opens the case page, then it is offered its signature, and signs
    landlord = logged_in(world.landlord)
    page = landlord.page(f"/dossiers/{case_id}")
    assert '?action=signature_bailleur#signature_bailleur"' in page
    today = world.clock.today().isoformat()
    done(
        act(landlord, case_id, "signature_bailleur", {"date": today}), case_id, "signature_bailleur"
    )
    # then its signature is recorded, and the form is no longer offered to it
    signatures = case_via_api(world.referent, case_id, "ceop { signatures { signatory } }")
    assert {"signatory": "LANDLORD"} in signatures["ceop"]["signatures"]
    page = landlord.page(f"/dossiers/{case_id}")
    assert "?action=signature_bailleur#" not in page


def test_an_action_the_domain_would_refuse_is_not_offered(
    story: Callable[..., CaseStory], logged_in: LoggedIn, world: Any
) -> None:
    # given an active case whose CEOP the referent has transmitted, silent for a day only
    case_id = story().walk_to(Status.ACTIVE)
    referent = logged_in(world.referent)
    page = referent.page(f"/dossiers/{case_id}")
    assert "?action=transmission_ceop#" in page
    done(act(referent, case_id, "transmission_ceop", {}), case_id, "transmission_ceop")
    # when the referent opens the page again
    page = referent.page(f"/dossiers/{case_id}")
    # then neither a second transmission nor an alert before its time is offered
    assert "?action=transmission_ceop#" not in page
    assert "?action=alerte#" not in page
    assert "?action=visite#" in page


def test_the_commission_sees_a_combination_and_decides_that_the_measure_goes_on(
    story: Callable[..., CaseStory], logged_in: LoggedIn, case_via_api: Any, world: Any
) -> None:
    # given an active measure, and an FSL accompaniment the SPSLH reports during it
    given = story()
    case_id = given.walk_to(Status.ACTIVE)
    with world.acting(world.spslh):
        world.app.record_accompaniment(
            given.household_id, AccompanimentKind.FSL, world.clock.today()
        )
    # when the referent and the commission open the case page
    referent_page = logged_in(world.referent).page(f"/dossiers/{case_id}")
    commission = logged_in(world.commission)
    page = commission.page(f"/dossiers/{case_id}")
    # then both read the conflict; only the commission is offered to settle it
    for html in (referent_page, page):
        assert "Cumul d'accompagnements" in unescape(html)
    assert "?action=poursuite#" not in referent_page
    assert '?action=poursuite#poursuite"' in page
    # when the commission decides, with its reasons, that the measure goes on
    reasons = "Le FSL ne porte que sur l'énergie"
    done(act(commission, case_id, "poursuite", {"motif": reasons}), case_id, "poursuite")
    # then the decision is recorded, and no longer offered
    conflicts = case_via_api(world.commission, case_id, "combinationConflicts { decision }")
    assert conflicts["combinationConflicts"] == [{"decision": reasons}]
    assert "?action=poursuite#" not in commission.page(f"/dossiers/{case_id}")


def test_a_refused_amount_inside_the_request_is_shown_next_to_its_own_field(
    story: Callable[..., CaseStory], logged_in: LoggedIn, world: Any
) -> None:
    # given a case whose diagnostic is recorded, and its referent
    given = story()
    case_id = given.walk_to(Status.DIAGNOSTIC)
    given.diagnose()
    head = world.app.head()
    referent = logged_in(world.referent)
    # when the referent files the request with a rent of nothing
    response = act(
        referent,
        case_id,
        "demande",
        {
            "aide_demandee": "1800",
            "dette_locative": "2400",
            "loyer": "0",
            "mesure_proposee": "SIMPLE",
            "duree_proposee": "12",
        },
    )
    # then the domain's refusal (extensions.field aidRequest.monthlyRent) is next to the rent
    assert response.status_code == 422
    assert "Le montant du loyer est invalide." in field_error(response.text, "demande", "loyer")
    assert world.app.head() == head


def test_a_refusal_of_the_api_is_shown_next_to_the_field_it_concerns(
    story: Callable[..., CaseStory], logged_in: LoggedIn, world: Any
) -> None:
    # given a registered request and an SPSLH agent
    case_id = story().walk_to(Status.REGISTERED)
    head = world.app.head()
    agent = logged_in(world.spslh)
    yesterday = (world.clock.today() - timedelta(days=1)).isoformat()
    # when the agent invites the referent to a session already past
    response = act(agent, case_id, "convocation", {"seance": yesterday})
    # then the API's refusal is next to the date, the date kept, nothing stored
    assert response.status_code == 422
    error = field_error(response.text, "convocation", "seance")
    assert "La séance de la commission ne peut pas être passée." in error
    assert f'value="{yesterday}"' in response.text
    assert world.app.head() == head


def test_the_spslh_registers_and_the_commission_grants_the_measure(
    story: Callable[..., CaseStory], logged_in: LoggedIn, case_via_api: Any, world: Any
) -> None:
    # given a submitted request
    case_id = story().walk_to(Status.SUBMITTED)
    today = world.clock.today()
    session_on = (today + timedelta(days=(3 - today.weekday()) % 7 + 7)).isoformat()
    # when the SPSLH registers it on a session (a Thursday, the commission's day)
    response = act(logged_in(world.spslh), case_id, "inscription", {"seance": session_on})
    done(response, case_id, "inscription")
    # and the commission grants a reinforced measure
    commission = logged_in(world.commission)
    response = act(
        commission,
        case_id,
        "accord",
        {"mesure": "REINFORCED", "duree": "18", "mise_a_l_epreuve": "6", "aide": "1500"},
    )
    # then the API shows the decision
    done(response, case_id, "accord")
    case = case_via_api(
        world.commission,
        case_id,
        "status request { commissionSessionOn } decision { measureType durationMonths }",
    )
    assert case["status"] == "GRANTED"
    assert case["request"]["commissionSessionOn"] == session_on
    assert case["decision"] == {"measureType": "REINFORCED", "durationMonths": 18}


def test_a_duration_shorter_than_the_probation_is_refused_next_to_the_duration(
    story: Callable[..., CaseStory], logged_in: LoggedIn, world: Any
) -> None:
    # given a registered request and the commission on its page
    case_id = story().walk_to(Status.REGISTERED)
    head = world.app.head()
    commission = logged_in(world.commission)
    # when the commission grants 3 months with 6 months of probation
    response = act(
        commission,
        case_id,
        "accord",
        {"mesure": "SIMPLE", "duree": "3", "mise_a_l_epreuve": "6", "aide": "1200,00"},
    )
    # then the error is next to the duration, the typed values kept, nothing stored
    assert response.status_code == 422
    assert "mise à l'épreuve" in field_error(response.text, "accord", "duree")
    assert 'value="3"' in response.text
    assert 'value="1200,00"' in response.text
    assert world.app.head() == head


def test_the_landlord_reports_a_rent_payment(
    story: Callable[..., CaseStory], logged_in: LoggedIn, case_via_api: Any, world: Any
) -> None:
    # given a granted measure of the landlord's tenant
    case_id = story().walk_to(Status.GRANTED)
    landlord = logged_in(world.landlord)
    assert '?action=loyer#loyer"' in landlord.page(f"/dossiers/{case_id}")
    # when the landlord reports a month's rent
    response = act(landlord, case_id, "loyer", {"mois": "2026-03", "du": "620", "paye": "300"})
    # then the rent ledger holds it
    done(response, case_id, "loyer")
    ledger = case_via_api(world.referent, case_id, "rentLedger { months { month amountPaid } }")
    assert [
        (item["month"], float(item["amountPaid"])) for item in ledger["rentLedger"]["months"]
    ] == [("2026-03-01", 300.0)]


class Fields(HTMLParser):
    """The ids of a page, and the ids its inputs have and its labels name."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.inputs: list[str] = []
        self.labelled: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.append(str(found["id"]))
        if tag in ("input", "select", "textarea") and found.get("type") != "hidden":
            self.inputs.append(str(found.get("id")))
        if tag == "label" and found.get("for"):
            self.labelled.add(str(found["for"]))


def test_every_field_of_the_forms_has_a_label_and_a_unique_id(
    story: Callable[..., CaseStory], logged_in: LoggedIn, world: Any
) -> None:
    # given an active measure with a planned visit, and its referent
    case_id = story().walk_to(Status.ACTIVE)
    referent = logged_in(world.referent)
    planned = act(referent, case_id, "rendez_vous", {"quand": "2030-01-07T10:00", "type": "HOME"})
    done(planned, case_id, "rendez_vous")
    # when the referent opens each form of the case page's action menu, one at a time
    offered = re.findall(r"\?action=(\w+)#", referent.page(f"/dossiers/{case_id}"))
    inputs = 0
    for action in dict.fromkeys(offered):
        page = Fields()
        page.feed(referent.page(f"/dossiers/{case_id}?action={action}"))
        # then the form is there, each field labelled, no id twice
        assert page.ids.count(action) == 1, action
        assert all(field in page.labelled for field in page.inputs), action
        assert len(page.ids) == len(set(page.ids)), action
        inputs += len(page.inputs)
    # and the many forms were all offered
    assert "visite_manquee" in offered
    assert inputs > 40


# ------------------------------------------------------------------ refusals
def test_a_landlord_posting_a_referents_action_is_refused_and_nothing_is_stored(
    story: Callable[..., CaseStory], logged_in: LoggedIn, world: Any
) -> None:
    # given a granted measure the landlord sees, whose page offers it no debt form
    case_id = story().walk_to(Status.GRANTED)
    head = world.app.head()
    landlord = logged_in(world.landlord)
    assert "?action=dette#" not in landlord.page(f"/dossiers/{case_id}")
    # when the landlord posts the referent's debt form anyway
    response = act(landlord, case_id, "dette", {"creancier": "Moi", "montant": "100"})
    # then the API's refusal is shown at the form's top, and nothing is stored
    assert response.status_code == 422
    assert 'id="dette-erreur"' in response.text
    assert "autorisé" in unescape(response.text)
    assert world.app.head() == head


def test_a_form_posted_without_its_csrf_token_is_refused(
    story: Callable[..., CaseStory], logged_in: LoggedIn, world: Any
) -> None:
    # given a case in diagnostic and its referent
    case_id = story().walk_to(Status.DIAGNOSTIC)
    head = world.app.head()
    referent = logged_in(world.referent)
    # when a form is posted without the CSRF token
    response = referent.client.post(
        f"/dossiers/{case_id}/actions/diagnostic", data={"difficulte_BUDGET": "Dette"}
    )
    # then it is refused, nothing stored
    assert response.status_code == 403
    assert "Formulaire refusé" in response.text
    assert world.app.head() == head


def test_an_unknown_action_or_a_case_not_seen_is_not_found(
    story: Callable[..., CaseStory], logged_in: LoggedIn, world: Any
) -> None:
    # given a case in diagnostic, and a landlord who may not see it yet
    case_id = story().walk_to(Status.DIAGNOSTIC)
    referent = logged_in(world.referent)
    landlord = logged_in(world.landlord)
    # when an unknown action, or an action on a case not seen, is posted
    unknown = act(referent, case_id, "nimporte", {})
    unseen = landlord.post_form(f"/dossiers/{case_id}/actions/dette", {}, from_page="/")
    # then both are « introuvable »
    assert unknown.status_code == 404
    assert unseen.status_code == 404
    assert "Dossier introuvable" in unseen.text
    assert set(BY_NAME) == {action.name for action in ACTIONS}
