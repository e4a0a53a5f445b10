"""Every event of every aggregate has its French title, and every event of a case its
summary: a new event without its words fails here."""

from __future__ import annotations

import pytest
from eventsourcing.domain import Aggregate

from aspe.application.history import HOUSEHOLD_EVENTS_IN_CASE_HISTORY
from aspe.domain.case import Case
from aspe.domain.household import Household
from aspe.french import events, summaries
from tests.french.declared import domain_aggregates, stored_events

AGGREGATES = domain_aggregates()


def test_the_aggregates_are_found_in_the_domain_not_listed_by_hand() -> None:
    names = {aggregate.__name__ for aggregate in AGGREGATES}

    assert {"Case", "Household", "Staff", "Organisation", "EmailClaim"} <= names


@pytest.mark.parametrize("aggregate", AGGREGATES, ids=lambda aggregate: aggregate.__name__)
def test_every_event_has_its_french_title(aggregate: type[Aggregate]) -> None:
    missing = [
        name
        for name in stored_events(aggregate)
        if (aggregate.__name__, name) not in events.EVENT_TITLES
    ]
    assert missing == [], f"{aggregate.__name__} events without a French title: {missing}"


def test_every_title_names_an_event_that_exists() -> None:
    existing = {
        (aggregate.__name__, name) for aggregate in AGGREGATES for name in stored_events(aggregate)
    }

    assert set(events.EVENT_TITLES) - existing == set()


def test_every_event_of_a_case_has_its_summary() -> None:
    missing = [name for name in stored_events(Case) if name not in summaries.SUMMARIES]

    assert missing == [], f"Case events without a French summary: {missing}"


def test_every_summary_names_an_event_of_a_case_or_of_its_household() -> None:
    shown = {*stored_events(Case), *stored_events(Household)}

    assert set(summaries.SUMMARIES) - shown == set()


def test_every_household_event_a_case_history_shows_has_its_summary() -> None:
    shown = {event.__name__ for event in HOUSEHOLD_EVENTS_IN_CASE_HISTORY}

    assert shown - set(summaries.SUMMARIES) == set()


def test_an_event_title_starts_with_a_capital() -> None:
    assert events.event_title("Case", "VisitRecorded") == "Visite enregistrée"


def test_an_event_without_a_title_reads_as_an_event_not_as_its_english_name() -> None:
    assert events.event_title("Case", "Teleported") == "Événement"
