"""What is personal in the events: the values sealed with the household's key.

Two declarations, read together: the fields of the value types that hold a person's words
or whereabouts (wherever such a value travels, in any event), and the text attributes of
each event that do. Everything else stays in clear — statuses, dates, kinds, themes,
amounts, counts, ids — so the statistics and the history of decisions survive an erasure.
``tests/privacy/test_personal_declaration.py`` fails for a text attribute of a new event
or value type that is in neither list: each one is a decision, taken here.

What an erased value reads as: ``ERASED_TEXT``, or its own placeholder where one reads
better (the household's name).
"""

from __future__ import annotations

from collections.abc import Mapping

from aspe.domain.case import Case
from aspe.domain.household import Household
from aspe.domain.values import Address, Commitment, Finding, Objective, Participant, Step
from aspe.french.labels import ERASED_HOUSEHOLD, ERASED_TEXT

PERSONAL_FIELDS: Mapping[type, frozenset[str]] = {
    Finding: frozenset({"difficulty"}),
    Objective: frozenset({"label"}),
    Step: frozenset({"label"}),
    Commitment: frozenset({"text"}),
    Participant: frozenset({"label"}),
    Address: frozenset({"street", "postcode", "city"}),
}
"""Fields of value types, personal in every event that carries the value."""

PERSONAL_ATTRIBUTES: Mapping[type, frozenset[str]] = {
    Household.Registered: frozenset({"name", "contact"}),
    Household.DetailsCorrected: frozenset({"name", "contact"}),
    Household.AccountOpened: frozenset({"email", "password_hash"}),
    Household.CredentialsReplaced: frozenset({"email", "password_hash", "previous_email"}),
    Household.PasswordChanged: frozenset({"password_hash"}),
    Case.RequestAdjourned: frozenset({"reason"}),
    Case.RequestRejected: frozenset({"reason"}),
    Case.ObjectiveProgressRecorded: frozenset({"note"}),
    Case.VisitRecorded: frozenset({"note"}),
    Case.VisitMissed: frozenset({"reason"}),
    Case.ContactRecorded: frozenset({"note"}),
    Case.AlertClockSuspended: frozenset({"details"}),
    Case.ConcertationHeld: frozenset({"subject", "outcome"}),
    Case.DebtRecorded: frozenset({"creditor"}),
    Case.DocumentAttached: frozenset({"filename", "sha256"}),
    Case.CombinationConflictSettled: frozenset({"decision"}),
    Case.MeasureExtended: frozenset({"reason"}),
    Case.MeasureStopped: frozenset({"details"}),
    Case.FinalReportSubmitted: frozenset({"summary"}),
}
"""Text attributes of events, personal: a note, a reason, a name, a creditor, a file name.
A reason written by the commission is about the household, so it is sealed with the rest."""

NOT_PERSONAL: Mapping[type, frozenset[str]] = {
    Objective: frozenset({"id", "action"}),  # an id chosen by the form; a catalogue code
    Case.ObjectiveProgressRecorded: frozenset({"objective_id"}),
    Case.VisitScheduled: frozenset({"visit_id"}),
    Case.VisitRecorded: frozenset({"visit_id"}),
    Case.VisitMissed: frozenset({"visit_id"}),
    Case.ConcertationHeld: frozenset({"concertation_id"}),
    Case.DebtRecorded: frozenset({"debt_id"}),
    Case.RepaymentPlanAgreed: frozenset({"debt_id"}),
    Case.DocumentAttached: frozenset({"document_id", "media_type"}),
    Case.CombinationConflictRaised: frozenset({"conflict_id"}),
    Household.Erased: frozenset({"reason"}),  # the erasure's record: no personal data
    Household.LegalHoldSet: frozenset({"reason"}),  # a reference to a dispute, not its content
}
"""Text attributes declared not personal: ids made by the platform or its forms, codes."""

PLACEHOLDERS: Mapping[tuple[type, str], str] = {
    (Household.Registered, "name"): ERASED_HOUSEHOLD,
    (Household.DetailsCorrected, "name"): ERASED_HOUSEHOLD,
}


def placeholder(owner: type, name: str) -> str:
    """What the erased value of ``owner.name`` reads as."""
    return PLACEHOLDERS.get((owner, name), ERASED_TEXT)
