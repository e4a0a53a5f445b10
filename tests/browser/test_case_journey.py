"""A new case's whole journey through the portal, one role after another, in a real browser.

The demo's Lefebvre family has just been opened by the referent (DIAGNOSTIC, nothing recorded
yet: the portal offers no form to register a household, so the journey starts from there).
Through the case page's forms, each party does its part:

1. the referent records the diagnostic (a HEALTH difficulty among others) and the
   household's consent, then submits the request;
2. the SPSLH agent finds it among the requests to register and puts it on a session;
3. the commission member finds it on the agenda, first types a duration shorter than the
   probation (French error next to the field, values kept), then grants the measure and
   notifies the decision;
4. the referent drafts the CEOP, records the household's signature and her own (the
   measure starts), transmits the CEOP, downloads its PDF through the page's link (its text
   checked with pypdf) and records a home visit with a note;
5. the landlord finds its tenant's measure and reports a month's rent.

At each step the test asserts what the page shows and what it does not: the HEALTH
difficulty never reaches the SPSLH, the commission or the landlord, the visit note never
reaches the SPSLH or the landlord. Every page visited passes axe-core (no serious or critical
violation); screenshots of a few steps go to ``tests/artifacts/parcours-*.png``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from aspe import french
from aspe.settings import Environment, Settings
from tests.browser.conftest import LiveServer, check_accessibility, csp_refusals, screenshot

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FAMILY = "Famille Lefebvre"
"""The demo case just opened by the referent's login (``aspe.demo.PLANS``, label
« Diagnostic tout juste ouvert »): nothing recorded on it yet."""
NEW_CASE_LABEL = "Diagnostic tout juste ouvert"

HEALTH_DIFFICULTY = "Traitement cardiaque interrompu faute de médecin traitant"
BUDGET_DIFFICULTY = "Impayés de loyer depuis la perte d'un emploi saisonnier"
HEALTH_OBJECTIVE = "Suivi santé dans un parcours de soins coordonné"
BUDGET_OBJECTIVE_VALUE = "BUDGET_PLAN"
VISIT_NOTE = "Rendez-vous pris chez la cardiologue ; ordonnance relue ensemble."
STEP = "Premier budget mensuel établi avec le ménage"
HOUSEHOLD_COMMITMENT = "Recevoir la référente chaque semaine et ouvrir son courrier"
REFERENT_COMMITMENT = "Accompagner le ménage dans ses démarches auprès de la CAF"
ACTIVE_CASE_LABEL = "Compte ménage"
"""A demo case with an active measure followed by the referent's login (the Durand family)."""


# ---------------------------------------------------------------------------- helpers
@contextmanager
def logged_in(browser: Browser, live_server: LiveServer, role: str) -> Iterator[Page]:
    """A browser of its own for the demo login of ``role``, logged in through the form."""
    from playwright.sync_api import expect

    context = browser.new_context(
        base_url=live_server.url,
        locale="fr-FR",
        timezone_id="Europe/Paris",
        viewport={"width": 1280, "height": 900},
    )
    try:
        page = context.new_page()
        refused = csp_refusals(page)
        page.goto("/connexion")
        form = page.locator("form", has=page.locator("input[name=mot_de_passe]"))
        form.locator("input[name=email]").fill(live_server.email_of(role))
        form.locator("input[name=mot_de_passe]").fill(live_server.password)
        form.locator("[type=submit]").click()
        expect(page).to_have_url(re.compile(re.escape(live_server.url) + r"/(\?.*)?$"))
        yield page
    finally:
        context.close()
    assert refused == [], "the Content-Security-Policy refused:\n" + "\n".join(refused)


def action_form(page: Page, title: str) -> Locator:
    """The case page's action form whose ``<legend>`` is ``title``: the one open, or opened
    from the page's action menu (one form is open at a time); none if the menu lacks it."""
    form = page.get_by_role("group", name=title, exact=True)
    if form.count() == 0:
        menu = page.get_by_role("navigation", name="Actions possibles sur ce dossier")
        link = menu.get_by_role("link", name=title, exact=True)
        if link.count() == 1:
            link.click()
            page.wait_for_url(re.compile(r"\?action=\w+#\w+$"))
    return form


def submit(page: Page, form: Locator, button: str, action: str) -> None:
    """Press the form's button; wait for the case page the action redirects to, with no
    error (what the page shows then is asserted by the caller)."""
    from playwright.sync_api import expect

    form.get_by_role("button", name=button, exact=True).click()
    expect(page).to_have_url(re.compile(rf"\?fait={action}(#.*)?$"))
    expect(page.get_by_role("alert")).to_have_count(0)


def open_case_from_home(page: Page, link_name: str = FAMILY) -> None:
    """From the viewer's home, follow the link to the case (its home lists it)."""
    from playwright.sync_api import expect

    page.goto("/")
    check_accessibility(page)
    page.get_by_role("main").get_by_role("link", name=link_name, exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dossier")


def main_text(page: Page) -> str:
    return page.get_by_role("main").inner_text()


def assert_never_shown(page: Page, *texts: str) -> None:
    """None of ``texts`` is anywhere in the page's HTML (not hidden, not in an attribute)."""
    html = page.content()
    for text in texts:
        assert text not in html, f"{page.url} shows {text!r}"


def next_thursday(day: date) -> date:
    return day + timedelta(days=(3 - day.weekday()) % 7)


def pdf_text(path: Path) -> str:
    """The PDF's text, its whitespace folded to single spaces."""
    from pypdf import PdfReader

    reader = PdfReader(BytesIO(path.read_bytes()))
    return " ".join(" ".join(page.extract_text() or "" for page in reader.pages).split())


def paris_today() -> date:
    """Today where the people are, as the server reckons it: from 23:00 or 22:00 UTC it is
    already tomorrow in Paris."""
    return Settings(env=Environment.TEST).rules.day_of(datetime.now(UTC))


def fr(day: date) -> str:
    """A day as every page and PDF writes it."""
    return french.day(day)


# ----------------------------------------------------------------------------- journey
def test_a_new_case_goes_through_the_portal_one_role_after_another(
    browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    today = paris_today()  # the server's "today": the date in ASPE_TIMEZONE
    session_on = next_thursday(today)
    case_id = next(
        str(sample.case_id)
        for sample in live_server.report.sample_cases
        if sample.label == NEW_CASE_LABEL
    )
    case_path = f"/dossiers/{case_id}"
    checked: Callable[[Page], None] = check_accessibility

    with logged_in(browser, live_server, "REFERENT") as referent:
        # ------------------------------------------------------------------ referent
        # given the referent's case just opened, listed on her home
        open_case_from_home(referent)
        expect(referent).to_have_url(re.compile(re.escape(case_path) + "$"))
        expect(referent.get_by_role("main")).to_contain_text("Diagnostic en cours")
        checked(referent)

        # when she records the diagnostic: a HEALTH and a BUDGET difficulty, two objectives
        form = action_form(referent, "Enregistrer le diagnostic")
        form.get_by_label("Difficultés — Santé").fill(HEALTH_DIFFICULTY)
        form.get_by_label("Difficultés — Budget").fill(BUDGET_DIFFICULTY)
        form.get_by_label(HEALTH_OBJECTIVE).check()
        form.locator(f"input[type=checkbox][value={BUDGET_OBJECTIVE_VALUE}]").check()
        submit(referent, form, "Enregistrer", "diagnostic")

        # then her page shows both difficulties
        main = referent.get_by_role("main")
        expect(main).to_contain_text(HEALTH_DIFFICULTY)
        expect(main).to_contain_text(BUDGET_DIFFICULTY)
        checked(referent)

        # when she records the household's consent to the landlord seeing the detail
        form = action_form(referent, "Enregistrer le consentement du ménage")
        form.get_by_role("checkbox").check()
        submit(referent, form, "Enregistrer", "consentement")

        # then the consent form gives way to its withdrawal
        expect(action_form(referent, "Retirer le consentement du ménage")).to_be_visible()
        expect(action_form(referent, "Enregistrer le consentement du ménage")).to_have_count(0)

        # when she submits the request: aid, arrears, rent, a simple measure of 12 months
        form = action_form(referent, "Déposer la demande au FPEL")
        form.get_by_label("Montant de l'aide demandée (€)").fill("1 200,00")
        form.get_by_label("Dette locative (€)").fill("2 100,00")
        form.get_by_label("Loyer mensuel (€)").fill("455,50")
        form.get_by_label("Mesure proposée").select_option("SIMPLE")
        form.get_by_label("Durée proposée (mois)").fill("12")
        submit(referent, form, "Déposer la demande", "demande")

        # then the case is submitted, the request's figures on the page
        expect(main).to_contain_text("Demande déposée")
        expect(main).to_contain_text("455,50")
        screenshot(referent, "parcours-1-demande-deposee")
        checked(referent)

        # ---------------------------------------------------------------- SPSLH agent
        with logged_in(browser, live_server, "SPSLH_AGENT") as spslh:
            # given the request among those to register on the agent's home
            open_case_from_home(spslh)
            expect(spslh).to_have_url(re.compile(re.escape(case_path) + "$"))

            # then the page shows the BUDGET difficulty, never the HEALTH one
            expect(spslh.get_by_role("main")).to_contain_text(BUDGET_DIFFICULTY)
            assert_never_shown(spslh, HEALTH_DIFFICULTY, HEALTH_OBJECTIVE)
            checked(spslh)

            # when the agent registers it on the next Thursday's session
            form = action_form(spslh, "Inscrire la demande en commission")
            session_field = form.get_by_label("Date de la séance de la commission")
            session_field.select_option(session_on.isoformat())
            submit(spslh, form, "Inscrire", "inscription")

            # then the page shows the session's date
            expect(spslh.get_by_role("main")).to_contain_text(fr(session_on))
            checked(spslh)

        # ---------------------------------------------------------- commission member
        with logged_in(browser, live_server, "COMMISSION_MEMBER") as commission:
            # given the request on the commission's agenda (its home), the HEALTH item out
            commission.goto("/")
            agenda = commission.get_by_role("main")
            expect(agenda.get_by_role("link", name=FAMILY, exact=True)).to_be_visible()
            expect(agenda).to_contain_text(BUDGET_DIFFICULTY)
            assert_never_shown(commission, HEALTH_DIFFICULTY, HEALTH_OBJECTIVE)
            open_case_from_home(commission)
            assert_never_shown(commission, HEALTH_DIFFICULTY, HEALTH_OBJECTIVE)
            checked(commission)

            # when the member types a duration shorter than the probation
            form = action_form(commission, "Accorder la mesure")
            form.get_by_label("Type de mesure").select_option("SIMPLE")
            form.get_by_label("Durée de la mesure (mois)").fill("3")
            form.get_by_label("Durée de mise à l'épreuve (mois)").fill("6")
            form.get_by_label("Aide accordée (€)").fill("1 100,00")
            form.get_by_role("button", name="Accorder", exact=True).click()

            # then the page comes back with a French message next to the duration, the
            # typed values kept, and nothing decided
            form = action_form(commission, "Accorder la mesure")
            duration = form.get_by_label("Durée de la mesure (mois)")
            expect(duration).to_have_attribute("aria-invalid", "true")
            expect(duration).to_have_accessible_description(
                re.compile("ne peut être inférieure à la durée de mise à l'épreuve")
            )
            expect(duration).to_have_value("3")
            expect(form.get_by_label("Durée de mise à l'épreuve (mois)")).to_have_value("6")
            expect(form.get_by_label("Aide accordée (€)")).to_have_value("1 100,00")
            expect(form.get_by_label("Type de mesure")).to_have_value("SIMPLE")
            expect(commission.get_by_role("main")).to_contain_text("Inscrite en commission")
            screenshot(commission, "parcours-2-erreur-duree")
            checked(commission)

            # when the member corrects the duration and grants the measure
            duration.fill("12")
            submit(commission, form, "Accorder", "accord")

            # then the decision is on the page; when notified, its notification date too
            main = commission.get_by_role("main")
            expect(main).to_contain_text("Mesure accordée")
            expect(main).to_contain_text("12 mois")
            submit(
                commission,
                action_form(commission, "Notifier la décision"),
                "Notifier la décision",
                "notification",
            )
            expect(main).to_contain_text("Notifiée le")
            checked(commission)

        # ------------------------------------------------------------ referent again
        # given the granted measure, when the referent drafts the CEOP
        referent.goto(case_path)
        expect(referent.get_by_role("main")).to_contain_text("Mesure accordée")
        checked(referent)
        form = action_form(referent, "Rédiger le CEOP")
        form.get_by_label(HEALTH_OBJECTIVE).check()
        form.locator(f"input[type=checkbox][value={BUDGET_OBJECTIVE_VALUE}]").check()
        form.get_by_label("Étapes (facultatif)", exact=True).fill(STEP)
        form.get_by_label("Engagements du ménage", exact=True).fill(HOUSEHOLD_COMMITMENT)
        form.get_by_label("Engagements du référent", exact=True).fill(REFERENT_COMMITMENT)
        submit(referent, form, "Enregistrer", "redaction_ceop")

        # then the CEOP, version 1, awaits its signatures, its objectives grouped by theme
        ceop = referent.get_by_role("region", name=re.compile("CEOP"))
        expect(ceop).to_contain_text("Version 1")
        expect(ceop).to_contain_text("en attente de signature")
        expect(ceop.get_by_role("heading", name="Santé")).to_be_visible()
        expect(ceop).to_contain_text(HEALTH_OBJECTIVE)

        # when she records the household's signature, then her own, both today
        for signatory in ("HOUSEHOLD", "REFERENT"):
            form = action_form(referent, "Enregistrer une signature du CEOP")
            form.get_by_label("Signataire").select_option(signatory)
            form.get_by_label("Date de la signature").fill(today.isoformat())
            submit(referent, form, "Enregistrer", "signature_ceop")

        # then the measure has started today
        main = referent.get_by_role("main")
        expect(main).to_contain_text("Mesure en cours")
        expect(ceop).to_contain_text(f"signée le {fr(today)}")
        checked(referent)

        # when she transmits the signed CEOP to the SPSLH
        form = action_form(referent, "Transmettre le CEOP signé au SPSLH")
        submit(referent, form, "Transmettre", "transmission_ceop")
        expect(ceop).to_contain_text(f"transmise au SPSLH le {fr(today)}")

        # when she downloads the CEOP through the page's link
        with referent.expect_download() as download_info:
            referent.get_by_role("link", name=re.compile(r"^CEOP, version 1")).click()
        download = download_info.value
        assert download.suggested_filename.endswith(".pdf")
        saved = tmp_path / "ceop.pdf"
        download.save_as(saved)

        # then the PDF is the French CEOP: version, objectives, step, commitments, signatures
        text = pdf_text(saved)
        assert saved.read_bytes().startswith(b"%PDF")
        for expected in (
            "Contrat d'Engagement et d'Objectifs Partagés",
            "Version 1",
            FAMILY,
            HEALTH_OBJECTIVE,
            STEP,
            HOUSEHOLD_COMMITMENT,
            REFERENT_COMMITMENT,
            f"Le ménage : {FAMILY} Signé le {fr(today)}",
            f"Le référent de l'association : Claire Martin pour Habitat Solidaire "
            f"Signé le {fr(today)}",
            f"Contrat signé par toutes les parties le : {fr(today)}",
            f"Transmis au SPSLH le : {fr(today)}",
        ):
            assert expected in text, f"the CEOP's PDF lacks {expected!r}:\n{text}"
        assert "en attente" not in text

        # when she records today's home visit, the household present, with a note
        form = action_form(referent, "Enregistrer une visite réalisée")
        form.get_by_label("Date de la visite").fill(today.isoformat())
        form.get_by_label("Lieu").select_option("HOME")
        form.get_by_role("group", name="Thèmes abordés").get_by_label("Santé").check()
        form.get_by_label("Le ménage était présent").check()
        form.get_by_label("Note de visite").fill(VISIT_NOTE)
        submit(referent, form, "Enregistrer", "visite")

        # then the visit and its note are on her page
        visits = referent.get_by_role("table", name="Visites et rendez-vous")
        expect(visits).to_contain_text(VISIT_NOTE)
        expect(visits).to_contain_text(fr(today))
        screenshot(referent, "parcours-3-mesure-en-cours")
        checked(referent)

    # ---------------------------------------------------------------- SPSLH, after
    with logged_in(browser, live_server, "SPSLH_AGENT") as spslh:
        # given the CEOP transmitted, the agent's home lists it among the CEOPs received
        spslh.goto("/")
        received = spslh.get_by_role("region", name="CEOP reçus")
        expect(received.get_by_role("link", name=FAMILY, exact=True)).to_be_visible()

        # when the agent opens the case, then neither the note nor the HEALTH items show
        spslh.goto(case_path)
        expect(spslh.get_by_role("main")).to_contain_text("Mesure en cours")
        assert_never_shown(spslh, VISIT_NOTE, HEALTH_DIFFICULTY, HEALTH_OBJECTIVE)
        checked(spslh)

    # --------------------------------------------------------------------- landlord
    with logged_in(browser, live_server, "LANDLORD") as landlord:
        # given its tenant's measure on the landlord's home (named: the household consented)
        landlord.goto("/")
        assert_never_shown(landlord, VISIT_NOTE, HEALTH_DIFFICULTY, HEALTH_OBJECTIVE)
        open_case_from_home(landlord)
        expect(landlord).to_have_url(re.compile(re.escape(case_path) + "$"))

        # then its case page shows the measure, never the visit note nor any HEALTH item
        main = landlord.get_by_role("main")
        expect(main).to_contain_text("Mesure en cours")
        assert_never_shown(
            landlord, VISIT_NOTE, HEALTH_DIFFICULTY, HEALTH_OBJECTIVE, BUDGET_DIFFICULTY, STEP
        )
        assert "Santé" not in main_text(landlord)
        checked(landlord)

        # when it downloads the CEOP through its page's link, then the PDF holds no
        # objective, step, HEALTH item or note: only what the landlord may see
        with landlord.expect_download() as download_info:
            landlord.get_by_role("link", name=re.compile(r"^CEOP.*PDF")).click()
        saved = tmp_path / "ceop-bailleur.pdf"
        download_info.value.save_as(saved)
        text = pdf_text(saved)
        assert "Contrat d'Engagement et d'Objectifs Partagés" in text
        for hidden in (HEALTH_OBJECTIVE, HEALTH_DIFFICULTY, VISIT_NOTE, STEP, "Santé"):
            assert hidden not in text, f"the landlord's CEOP PDF shows {hidden!r}:\n{text}"

        # when the landlord reports this month's rent, paid in full
        form = action_form(landlord, "Déclarer un loyer")
        form.get_by_label("Mois").fill(today.strftime("%Y-%m"))
        form.get_by_label("Montant dû (€)").fill("455,50")
        form.get_by_label("Montant payé (€)").fill("455,50")
        submit(landlord, form, "Déclarer", "loyer")

        # then the page confirms it, still without the note or the HEALTH items
        assert_never_shown(landlord, VISIT_NOTE, HEALTH_DIFFICULTY, HEALTH_OBJECTIVE)
        screenshot(landlord, "parcours-4-bailleur")
        checked(landlord)


def test_an_action_done_is_confirmed_in_french_on_the_case_page(
    browser: Browser, live_server: LiveServer
) -> None:
    from playwright.sync_api import expect

    today = paris_today()
    case_id = next(
        str(sample.case_id)
        for sample in live_server.report.sample_cases
        if sample.label.startswith(ACTIVE_CASE_LABEL)
    )
    with logged_in(browser, live_server, "REFERENT") as referent:
        # given the referent on an active measure's page
        referent.goto(f"/dossiers/{case_id}")

        # when she records a phone call the household answered
        form = action_form(referent, "Enregistrer un contact avec le ménage")
        form.get_by_label("Date du contact").fill(today.isoformat())
        form.get_by_label("Moyen").select_option("PHONE")
        form.get_by_label("Le ménage a pris part au contact").check()
        submit(referent, form, "Enregistrer", "contact")

        # then the page says, in French, that it is recorded
        expect(referent.get_by_role("status").filter(has_text="enregistré")).to_be_visible()
        check_accessibility(referent)
