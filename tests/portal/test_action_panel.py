"""The case page as a workplace: « À faire » at the top, one action form open at a time, a
success back on the page with its confirmation in view, a refusal with the form open and an
error summary at its top, a box to tick before a serious action, forms prefilled with what
the case already says.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from aspe.demo.scenarios import CaseStory
from aspe.domain.values import Status, Theme, VisitKind
from tests.portal.test_actions import (  # noqa: F401 (case_via_api: a fixture)
    LoggedIn,
    act,
    case_via_api,
    field_error,
)

OPEN_FORM = re.compile(r'<form[^>]*action="/dossiers/[0-9a-f-]{36}/actions/(\w+)"')


def open_forms(html: str) -> list[str]:
    """The action forms the page shows open."""
    return OPEN_FORM.findall(html)


def form_of(html: str, action: str) -> str:
    """The markup of ``action``'s open form."""
    start = html.index('<form method="post" action="/dossiers/')
    start = html.index(f'id="{action}"', start)
    return html[start : html.index("</form>", start)]


def test_the_page_opens_with_what_needs_doing_and_no_form_open(
    story: Callable[..., CaseStory], logged_in: LoggedIn, world: Any
) -> None:
    # given a case in diagnostic, and its referent
    case_id = story().walk_to(Status.DIAGNOSTIC)
    referent = logged_in(world.referent)
    # when the referent opens the case page
    page = referent.page(f"/dossiers/{case_id}")
    # then « À faire » comes before the case's sections, linking to the diagnostic's form…
    assert page.index("À faire") < page.index('id="situation"')
    assert (
        f'href="/dossiers/{case_id}?action=diagnostic#diagnostic">Enregistrer le diagnostic' in page
    )
    # …and no form is open until one is chosen
    assert open_forms(page) == []
    # when the referent chooses the diagnostic, then only its form is open
    assert open_forms(referent.page(f"/dossiers/{case_id}?action=diagnostic")) == ["diagnostic"]


def test_a_success_comes_back_to_the_page_with_the_confirmation_in_view_and_the_form_closed(
    story: Callable[..., CaseStory], logged_in: LoggedIn, world: Any
) -> None:
    # given a case in diagnostic, and its referent
    case_id = story().walk_to(Status.DIAGNOSTIC)
    referent = logged_in(world.referent)
    # when the referent records the household's consent
    response = act(referent, case_id, "consentement", {"accord": "on"})
    # then it is redirected (303) to the confirmation, at the top of the page
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/dossiers/{case_id}?fait=consentement#confirmation"
    page = referent.page(response.headers["location"])
    confirmation = re.search(r'<div[^>]*id="confirmation"[^>]*>', page)
    assert confirmation is not None
    assert 'tabindex="-1"' in confirmation[0]
    assert "autofocus" in confirmation[0]
    assert page.index('id="confirmation"') < page.index('id="actions"')
    assert "C&#39;est enregistré : enregistrer le consentement du ménage." in page
    # and no form is open any more
    assert open_forms(page) == []


def test_a_refusal_shows_the_form_open_with_an_error_summary_linking_to_each_field(
    story: Callable[..., CaseStory], logged_in: LoggedIn, world: Any
) -> None:
    # given a case whose diagnostic is recorded, and its referent
    case_id = story().walk_to(Status.DIAGNOSTIC)
    referent = logged_in(world.referent)
    # when the referent posts the request with an amount that is not one and no rent
    response = act(
        referent,
        case_id,
        "demande",
        {"aide_demandee": "beaucoup", "dette_locative": "2400", "loyer": "",
         "mesure_proposee": "SIMPLE", "duree_proposee": "12"},
    )  # fmt: skip
    # then the page comes back (422) with that form only open
    assert response.status_code == 422
    assert open_forms(response.text) == ["demande"]
    form = form_of(response.text, "demande")
    # and at its top an error summary, focused, listing each field in error, in French
    summary = re.search(r'<div[^>]*id="demande-erreurs"[^>]*>', form)
    assert summary is not None
    for attribute in ('role="alert"', 'tabindex="-1"', "autofocus"):
        assert attribute in summary[0]
    assert form.index('id="demande-erreurs"') < form.index("<fieldset")
    assert "2 erreurs empêchent d'enregistrer" in form
    assert 'href="#demande-aide_demandee">Montant de l&#39;aide demandée (€) : Saisissez' in form
    assert 'href="#demande-loyer">Loyer mensuel (€) : Renseignez ce champ.' in form
    # and each error is next to its field too
    assert "Renseignez ce champ." in field_error(response.text, "demande", "loyer")


def test_withdrawing_consent_asks_to_tick_the_confirmation_first(
    story: Callable[..., CaseStory],
    logged_in: LoggedIn,
    world: Any,
    case_via_api: Any,  # noqa: F811 (the fixture)
) -> None:
    # given a case whose household consented, and its referent
    case_id = story().walk_to(Status.DIAGNOSTIC)
    referent = logged_in(world.referent)
    assert act(referent, case_id, "consentement", {"accord": "on"}).status_code == 303
    # when the referent withdraws the consent without ticking « Je confirme … »
    response = act(referent, case_id, "retrait_consentement", {})
    # then it is refused with a French error next to the box, and nothing changes
    assert response.status_code == 422
    assert "Je confirme retirer le consentement du ménage." in response.text
    error = field_error(response.text, "retrait_consentement", "confirmation")
    assert "Cochez cette case pour confirmer." in error
    assert case_via_api(world.referent, case_id, "landlordConsent")["landlordConsent"] is True
    # when the referent ticks it, then the consent is withdrawn
    response = act(referent, case_id, "retrait_consentement", {"confirmation": "on"})
    assert response.status_code == 303, response.text
    assert case_via_api(world.referent, case_id, "landlordConsent")["landlordConsent"] is False


def test_rejecting_the_request_asks_to_tick_the_confirmation_first(
    story: Callable[..., CaseStory],
    logged_in: LoggedIn,
    world: Any,
    case_via_api: Any,  # noqa: F811 (the fixture)
) -> None:
    # given a registered request, and the commission
    case_id = story().walk_to(Status.REGISTERED)
    commission = logged_in(world.commission)
    # when the commission rejects it with a reason but without ticking the box
    response = act(commission, case_id, "rejet", {"motif": "Ressources suffisantes"})
    # then it is refused next to the box, and the request is not rejected
    assert response.status_code == 422
    assert "Cochez cette case" in field_error(response.text, "rejet", "confirmation")
    assert case_via_api(world.commission, case_id, "status")["status"] == "REGISTERED"


def test_stopping_the_measure_asks_to_tick_the_confirmation_first(
    story: Callable[..., CaseStory],
    logged_in: LoggedIn,
    world: Any,
    case_via_api: Any,  # noqa: F811 (the fixture)
) -> None:
    # given a granted case, and the commission
    case_id = story().walk_to(Status.GRANTED)
    commission = logged_in(world.commission)
    # when the commission stops the measure with a reason but without ticking the box
    data = {"motif": "HOUSEHOLD_MOVED", "precisions": "Parti en Bretagne"}
    response = act(commission, case_id, "arret", data)
    # then the form is back, open, its summary linking to the box, the error next to it
    assert response.status_code == 422
    assert open_forms(response.text) == ["arret"]
    assert '<a href="#arret-confirmation">' in form_of(response.text, "arret")
    assert "Cochez cette case" in field_error(response.text, "arret", "confirmation")
    # and the measure still runs, the reason kept in the form
    assert case_via_api(world.commission, case_id, "status")["status"] == "GRANTED"
    assert '<option value="HOUSEHOLD_MOVED" selected>' in form_of(response.text, "arret")
    # when the commission ticks it, then the measure is stopped
    response = act(commission, case_id, "arret", {**data, "confirmation": "on"})
    assert response.status_code == 303, response.text
    assert case_via_api(world.commission, case_id, "status")["status"] == "STOPPED"


def test_raising_the_non_collaboration_alert_asks_to_tick_the_confirmation_first(
    story: Callable[..., CaseStory],
    logged_in: LoggedIn,
    world: Any,
    case_via_api: Any,  # noqa: F811 (the fixture)
) -> None:
    # given an active measure without news from the household for two months
    case_id = story().walk_to(Status.ACTIVE)
    world.clock.set_day(world.clock.today() + timedelta(days=60))
    referent = logged_in(world.referent)
    assert "?action=alerte#" in referent.page(f"/dossiers/{case_id}")
    # when the referent sends the alert without ticking the box
    response = act(referent, case_id, "alerte", {})
    # then the form is back, open, the error next to the box, and no alert is raised
    assert response.status_code == 422
    assert open_forms(response.text) == ["alerte"]
    assert "Cochez cette case" in field_error(response.text, "alerte", "confirmation")
    assert "?action=alerte#" in referent.page(f"/dossiers/{case_id}"), "still to raise"
    # when the referent ticks it, then the alert is raised and no longer offered
    response = act(referent, case_id, "alerte", {"confirmation": "on"})
    assert response.status_code == 303, response.text
    assert "?action=alerte#" not in referent.page(f"/dossiers/{case_id}")


def test_the_grant_form_starts_from_what_the_request_proposed(
    story: Callable[..., CaseStory], logged_in: LoggedIn, world: Any
) -> None:
    # given a registered request for a simple measure of 12 months, 1 800 € of aid
    case_id = story().walk_to(Status.REGISTERED)
    # when the commission opens the grant's form
    form = form_of(logged_in(world.commission).page(f"/dossiers/{case_id}?action=accord"), "accord")
    # then it is prefilled with the measure, the duration and the aid requested
    assert '<option value="SIMPLE" selected>' in form
    assert 'id="accord-duree" name="duree" value="12"' in form
    assert 'id="accord-aide" name="aide" value="1800,00"' in form


def test_the_ceop_form_starts_from_the_diagnostic(
    story: Callable[..., CaseStory], logged_in: LoggedIn, world: Any
) -> None:
    # given a granted case whose diagnostic proposed a budget plan and found a rent debt
    case_id = story().walk_to(Status.GRANTED)
    # when the referent opens the CEOP's form
    page = logged_in(world.referent).page(f"/dossiers/{case_id}?action=redaction_ceop")
    form = form_of(page, "redaction_ceop")
    # then the diagnostic's objectives are ticked, its findings beside their theme
    assert re.search(r'name="objectifs_BUDGET" value="BUDGET_PLAN" checked', form)
    assert re.search(r'name="objectifs_MEDIATION" value="MEDIATION_LANDLORD" checked', form)
    assert not re.search(r'name="objectifs_BUDGET" value="BUDGET_DEBTS" checked', form)
    assert "Difficultés relevées au diagnostic : Dette locative de quatre mois" in form


def test_entrusting_the_case_starts_on_the_viewer_when_qualified(
    logged_in: LoggedIn, world: Any
) -> None:
    # given a case of the first referent, and the head of service, a qualified social worker
    case_id = CaseStory(world.departement, world.referent, world.new_household()).open()
    manager = logged_in(world.manager)
    # when the head of service opens the form entrusting the case to someone else
    form = form_of(manager.page(f"/dossiers/{case_id}?action=referent"), "referent")
    # then the form starts on the head of service, the other referent offered beside
    assert f'<option value="{world.manager.actor.id}" selected>' in form
    assert f'<option value="{world.second_referent.actor.id}">' in form
    # when the head of service sends it as it is, then the case is theirs
    response = act(manager, case_id, "referent", {"referent": str(world.manager.actor.id)})
    assert response.status_code == 303, response.text
    assert f'<option value="{world.manager.actor.id}"' not in manager.page(
        f"/dossiers/{case_id}?action=referent"
    ), "now in charge"


def test_the_week_s_visit_is_a_task_until_the_cadence_is_met(
    story: Callable[..., CaseStory], logged_in: LoggedIn, world: Any
) -> None:
    # given an active simple measure whose week has no visit yet
    case_id = story().walk_to(Status.ACTIVE)
    task = "Enregistrer la visite de cette semaine"
    assert task in logged_in(world.referent).page(f"/dossiers/{case_id}")

    # when its referent records this week's home visit
    with world.acting(world.referent):
        world.app.record_visit(case_id, world.clock.today(), VisitKind.HOME, [Theme.BUDGET])

    # then « À faire » no longer asks for it (the form stays in the menu)
    page = logged_in(world.referent).page(f"/dossiers/{case_id}")
    assert task not in page
    assert "?action=visite#visite" in page
