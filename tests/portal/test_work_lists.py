"""A référent's work lists: the home's search form, the week's agenda and its iCalendar
file, the notifications that lead to their case, the commission's sessions to choose from
and its printable agenda."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from icalendar import Calendar

from aspe.domain.values import Status, VisitKind
from aspe.workers.messages import Message, Recipient
from aspe.workers.texts import SIGNATURE
from tests.portal.test_homes import VISIT_NOTE, Cases, LoggedIn, cases, main_of, notify

__all__ = ["cases", "notify"]  # the fixtures this module borrows


def monday_of(world: Any) -> datetime:
    """This week's Monday at midnight UTC (the tests' clock)."""
    today = world.clock.today()
    return datetime.combine(today - timedelta(days=today.weekday()), datetime.min.time(), UTC)


def schedule(world: Any, case_id: UUID, at: datetime) -> str:
    with world.acting(world.referent):
        return str(world.app.schedule_visit(case_id, at, VisitKind.HOME).id)


# ------------------------------------------------------------------ search form
def test_the_referent_finds_a_household_by_its_name_without_accents(
    world: Any, cases: Cases, logged_in: LoggedIn
) -> None:
    # given a référent with a Lefèvre and a Roussel household
    lefevre = cases.walk("Famille Lefèvre", Status.DIAGNOSTIC)
    cases.walk("Famille Roussel", Status.DIAGNOSTIC)
    browser = logged_in(world.referent)

    # when they search « LEFEVRE », sorted by name
    home = main_of(browser.page("/?recherche=LEFEVRE&tri=nom"))

    # then the list holds Lefèvre alone, and the form keeps what was asked
    listed = home.split('id="titre-dossiers"')[1]
    assert f'href="/dossiers/{lefevre}"' in listed
    assert "Famille Roussel" not in listed
    assert 'name="recherche" value="LEFEVRE"' in home
    assert '<option value="nom" selected>' in home


def test_a_search_the_api_refuses_is_explained_next_to_its_field(
    world: Any, cases: Cases, logged_in: LoggedIn
) -> None:
    # given a référent with one household
    cases.walk("Famille Roussel", Status.DIAGNOSTIC)
    browser = logged_in(world.referent)

    # when they search a text longer than the API takes
    response = browser.get("/?recherche=" + "x" * 101)

    # then the page says why next to the field, and lists the cases without it
    assert response.status_code == 400
    page = main_of(response.text)
    assert 'id="liste-recherche-erreur"' in page
    assert "La recherche compte au plus 100 caractères." in page
    assert "Famille Roussel" in page


# ------------------------------------------------------------------------ agenda
def test_the_agenda_shows_the_weeks_visit_with_its_case_and_the_cadence_due(
    world: Any, cases: Cases, logged_in: LoggedIn
) -> None:
    # given a running measure with a home visit planned on Wednesday at 9:30 in Paris
    case_id = cases.walk("Famille Lambert", Status.ACTIVE, weeks_ago=3)
    wednesday = monday_of(world) + timedelta(days=2, hours=8, minutes=30)  # 9:30 CET
    visit_id = schedule(world, case_id, wednesday)
    browser = logged_in(world.referent)

    # when the référent opens the agenda
    agenda = main_of(browser.page("/agenda"))

    # then the visit is on Wednesday, linked to its case and to recording it there, and the
    # week's cadence says one visit is still due
    assert "mercredi" in agenda
    assert "09 h 30" in agenda
    assert f'<a href="/dossiers/{case_id}">Visite à domicile – Famille Lambert</a>' in agenda
    record = f'href="/dossiers/{case_id}?action=visite&rendez_vous={visit_id}#visite"'
    assert record in agenda
    cadence = agenda.split('id="titre-cadence-semaine"')[1]
    assert "0 sur 1" in cadence
    assert "1 visite à faire" in cadence
    next_week = (monday_of(world) + timedelta(days=7)).date().isoformat()
    assert f'href="/agenda?semaine={next_week}"' in agenda


def test_the_agenda_file_holds_one_event_per_planned_visit_and_no_note(
    world: Any, cases: Cases, logged_in: LoggedIn
) -> None:
    # given two visits planned within five weeks, one in ten weeks, and a visit recorded
    # with a note
    case_id = cases.walk("Famille Lambert", Status.ACTIVE, weeks_ago=3)
    soon = schedule(world, case_id, monday_of(world) + timedelta(days=3, hours=9))
    later = schedule(world, case_id, monday_of(world) + timedelta(weeks=2, hours=9))
    schedule(world, case_id, monday_of(world) + timedelta(weeks=10, hours=9))
    cases.record_visit(case_id)
    browser = logged_in(world.referent)

    # when the référent downloads the agenda's iCalendar file
    response = browser.get("/agenda.ics")

    # then it holds one event per planned visit of the five weeks, titled with the place
    # and the household only, stable by the visit's id
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    events = calendar.walk("VEVENT")
    assert sorted(str(event["UID"]) for event in events) == sorted(
        [f"{soon}@aspe", f"{later}@aspe"]
    )
    assert {str(event["SUMMARY"]) for event in events} == {"Visite à domicile – Famille Lambert"}
    start = events[0].decoded("DTSTART")
    assert start.utcoffset() == timedelta(0)
    assert VISIT_NOTE.encode() not in response.content


def test_the_agenda_is_not_for_those_who_make_no_visit(world: Any, logged_in: LoggedIn) -> None:
    # given the commission member
    browser = logged_in(world.commission)

    # when they open the agenda
    response = browser.get("/agenda")

    # then it is refused in French
    assert response.status_code == 403
    assert "référent" in main_of(response.text)


# ----------------------------------------------------------------- notifications
def test_following_a_notification_opens_its_case_and_marks_it_read(
    world: Any, cases: Cases, logged_in: LoggedIn, portal_settings: Any
) -> None:
    # given a notification about a case, its body the e-mail's (greeting, reference and
    # signature around the text)
    from aspe.workers.app import create_app as create_celery
    from aspe.workers.delivery import dispatch

    case_id = cases.walk("Famille Lambert", Status.SUBMITTED)
    body = (
        "Bonjour Claire Martin,\n\nLa demande a été enregistrée.\n\n"
        "- Famille Lambert\n- séance du 16 mars 2026\n\n"
        f"Référence : dossier n° {str(case_id)[:8]}.\n\n{SIGNATURE}"
    )
    recipient = Recipient(world.referent.actor.id, world.referent.name, None)
    message = Message(f"test:{uuid4()}", recipient, "Demande enregistrée", body, case_id=case_id)
    dispatch([message], app=create_celery(portal_settings))
    browser = logged_in(world.referent)
    inbox = main_of(browser.page("/notifications"))

    # when the référent follows its link
    link = inbox.split('href="/notifications/')[1].split('"')[0]
    response = browser.get(f"/notifications/{link}")

    # then the page showed the text without the e-mail's wrapping, the link opens the
    # case, and the notification is read
    assert "<p>La demande a été enregistrée.</p>" in inbox
    assert "<li>séance du 16 mars 2026</li>" in inbox
    assert "Bonjour Claire Martin" not in inbox
    assert "message automatique" not in inbox
    assert response.status_code == 303
    assert response.headers["location"] == f"/dossiers/{case_id}"
    assert "Aucune notification non lue." in main_of(browser.page("/notifications"))


def test_a_notification_link_of_no_notification_is_not_found(
    world: Any, logged_in: LoggedIn
) -> None:
    # given a référent
    browser = logged_in(world.referent)

    # when they follow a link to a notification that is not theirs, or no id at all
    unknown = browser.get(f"/notifications/{uuid4()}")
    garbled = browser.get("/notifications/pas-un-identifiant")

    # then both are not found
    assert unknown.status_code == 404
    assert garbled.status_code == 404


# -------------------------------------------------------------------- commission
def test_the_spslh_chooses_the_session_from_the_commissions_next_sessions(
    world: Any, cases: Cases, logged_in: LoggedIn
) -> None:
    # given a submitted request, the commission meeting on Thursdays
    case_id = cases.walk("Famille Lambert", Status.SUBMITTED)
    today = world.clock.today()
    thursday = today + timedelta(days=(3 - today.weekday()) % 7)

    # when the SPSLH agent opens the case's registration form
    page = logged_in(world.spslh).page(f"/dossiers/{case_id}?action=inscription")

    # then the registration form offers the next Thursdays to choose from
    form = page.split('id="inscription-seance"')[1].split("</select>")[0]
    assert f'<option value="{thursday.isoformat()}">jeudi' in form
    assert f'<option value="{(thursday + timedelta(weeks=1)).isoformat()}">' in form
    assert 'type="date"' not in page.split('id="inscription"')[1].split("</form>")[0]


def test_the_commission_prints_a_sessions_agenda(
    world: Any, cases: Cases, logged_in: LoggedIn
) -> None:
    # given a request registered on a session (in two weeks) and another not yet
    cases.walk("Famille Lambert", Status.REGISTERED)
    cases.walk("Famille Roussel", Status.SUBMITTED)
    session_on = (world.clock.today() + timedelta(days=14)).isoformat()
    browser = logged_in(world.commission)

    # when the commission member follows the home's link to the session's page
    home = main_of(browser.page("/"))
    page = main_of(browser.page(f"/commission/seance?date={session_on}"))

    # then the page lists the session's request, with what it takes to decide it
    assert f'href="/commission/seance?date={session_on}"' in home
    assert "1. Famille Lambert" in page
    assert "Dette locative de quatre mois après une perte d'emploi" in page
    assert "Famille Roussel" not in page
    assert browser.get("/commission/seance?date=demain").status_code == 400


def test_each_value_the_api_refuses_is_explained_next_to_its_field(
    world: Any, cases: Cases, logged_in: LoggedIn
) -> None:
    # given the manager of an association with one household
    cases.walk("Famille Roussel", Status.DIAGNOSTIC)
    browser = logged_in(world.manager)

    # when an edited address asks for a referent that is no id, with a search too long
    response = browser.get("/?referent=pas-un-identifiant&recherche=" + "x" * 101)

    # then both fields say why, and the list is read without them
    assert response.status_code == 400
    page = main_of(response.text)
    assert 'id="liste-referent-erreur"' in page
    assert 'id="liste-recherche-erreur"' in page
    assert "Famille Roussel" in page
