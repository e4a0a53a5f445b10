"""Directory (the workers): who may be told something, and who the parties of each case are.

Accounts (staff, and households that opened a portal account) with their role,
organisation, name and e-mail address; organisations by name and kind; each case's parties
(association, referent, household, landlord), the household's consent for its landlord and
how far the case has gone (the flags ``authorization.may_see_case`` decides on). It holds no
case content: the notifier and the clocks find their recipients here, and take what they
tell them from the events themselves.
"""

from __future__ import annotations

from typing import Any, ClassVar, TypedDict, cast

from aspe.domain.case import Case
from aspe.domain.household import Household
from aspe.domain.organisation import Organisation
from aspe.domain.staff import Staff
from aspe.domain.values import QUALIFYING_LEVEL, Diploma
from aspe.projections.column_groups import CasePartyColumns, case_party_columns
from aspe.projections.readmodel import (
    HOUSEHOLD_NAMES,
    ConsentEvent,
    NamesHouseholds,
    assign_referent,
    handles,
    record_landlord_consent,
)
from aspe.projections.tables import Table
from aspe.projections.view import Changes, Rows, TableView


class OrganisationRow(TypedDict):
    organisation_id: str
    name: str
    kind: str
    category: str | None


ORGANISATIONS = Table(
    "organisations", OrganisationRow, key=("organisation_id",), indexes=(("kind",),)
)
"""Organisations; ``category`` is a landlord's (SOCIAL or PRIVATE), null for the others."""


class AccountRow(TypedDict):
    account_id: str
    organisation_id: str | None
    name: str | None
    email: str | None
    role: str
    qualified: bool
    active: bool


ACCOUNTS = Table(
    "accounts",
    AccountRow,
    key=("account_id",),
    indexes=(("role", "organisation_id"), ("organisation_id",)),
)
"""Staff accounts, and household accounts (``role`` HOUSEHOLD, the household's id);
``qualified``: the staff member's diploma qualifies them as a referent (R10)."""


class CasePartiesRow(CasePartyColumns):
    household_name: str | None
    landlord_consent: bool
    submitted: bool
    registered: bool
    granted: bool


CASES = Table("cases", CasePartiesRow, key=("case_id",))


def _qualifies(diploma: Diploma) -> bool:
    level = diploma.level
    return level is not None and level <= QUALIFYING_LEVEL


_REACHED = {
    Case.RequestSubmitted: "submitted",
    Case.RequestRegistered: "registered",
    Case.MeasureGranted: "granted",
}


class Directory(NamesHouseholds):
    name = "directory"
    tables: ClassVar[tuple[Table[Any], ...]] = (ORGANISATIONS, ACCOUNTS, HOUSEHOLD_NAMES, CASES)
    named_cases = CASES

    @handles(Organisation.Registered)
    def organisation(self, event: Organisation.Registered, changes: Changes) -> None:
        changes.organisations.put(
            {
                "organisation_id": str(event.originator_id),
                "name": event.name,
                "kind": event.kind.name,
                "category": getattr(event.landlord_category, "name", None),
            }
        )

    @handles(Staff.Registered)
    def staff(self, event: Staff.Registered, changes: Changes) -> None:
        changes.accounts.put(
            {
                "account_id": str(event.originator_id),
                "role": event.role.name,
                "organisation_id": str(event.organisation_id),
                "name": event.full_name,
                "email": event.email,
                "qualified": _qualifies(event.diploma),
                "active": True,
            }
        )

    @handles(Staff.AccountDeactivated, Household.AccountDeactivated)
    def deactivated(
        self, event: Staff.AccountDeactivated | Household.AccountDeactivated, changes: Changes
    ) -> None:
        changes.accounts.update(str(event.originator_id), active=False)

    @handles(Staff.AccountReactivated, Household.AccountReactivated)
    def reactivated(
        self, event: Staff.AccountReactivated | Household.AccountReactivated, changes: Changes
    ) -> None:
        changes.accounts.update(str(event.originator_id), active=True)

    @handles(Staff.QualificationRecorded)
    def qualification(self, event: Staff.QualificationRecorded, changes: Changes) -> None:
        changes.accounts.update(str(event.originator_id), qualified=_qualifies(event.diploma))

    @handles(Household.AccountOpened)
    def household_account(self, event: Household.AccountOpened, changes: Changes) -> None:
        changes.accounts.put(
            {
                "account_id": str(event.originator_id),
                "role": "HOUSEHOLD",
                "organisation_id": None,
                "name": self.household_name(changes, event.originator_id),
                "email": event.email,
                "qualified": False,
                "active": True,
            }
        )

    @handles(Household.DetailsCorrected)
    def household_corrected(self, event: Household.DetailsCorrected, changes: Changes) -> None:
        """The household's account bears its name too."""
        super().household_corrected(event, changes)
        changes.accounts.update(str(event.originator_id), name=event.name)

    @handles(Household.CredentialsReplaced)
    def household_credentials(self, event: Household.CredentialsReplaced, changes: Changes) -> None:
        changes.accounts.update(str(event.originator_id), email=event.email)

    def case_opened(self, event: Case.Opened, changes: Changes) -> None:
        changes.cases.put(
            {
                **case_party_columns(event),
                "household_name": self.household_name(changes, event.household_id),
                "landlord_consent": False,
                "submitted": False,
                "registered": False,
                "granted": False,
            }
        )

    @handles(Case.ReferentAssigned)
    def referent_assigned(self, event: Case.ReferentAssigned, changes: Changes) -> None:
        assign_referent(event, changes.cases)

    @handles(Case.ConsentRecorded, Case.ConsentWithdrawn)
    def consent(self, event: ConsentEvent, changes: Changes) -> None:
        record_landlord_consent(changes.cases, "landlord_consent", event)

    @handles(*_REACHED)
    def reached(
        self,
        event: Case.RequestSubmitted | Case.RequestRegistered | Case.MeasureGranted,
        changes: Changes,
    ) -> None:
        changes.cases.update(str(event.originator_id), **{_REACHED[type(event)]: True})


# ------------------------------------------------------------------------ read side
def accounts(
    view: TableView,
    role: str,
    organisation_id: str | None = None,
    batch: Rows[AccountRow] | None = None,
) -> list[AccountRow]:
    """The accounts of ``role`` (in ``organisation_id`` if given), by id.

    ``batch``: the accounts a batch being applied has changed, which count over the
    committed rows (the notifier reads its own directory while it writes it).
    """
    where = {"role": role}
    if organisation_id is not None:
        where["organisation_id"] = organisation_id
    found = {row["account_id"]: row for row in view.select(ACCOUNTS, where)}
    for key, row in (batch.changed if batch is not None else {}).items():
        found.pop(key[0], None)
        if row is not None and all(row[column] == value for column, value in where.items()):
            found[key[0]] = cast(AccountRow, row)  # a row of this table, as the batch has it
    return [found[account_id] for account_id in sorted(found)]


def account(view: TableView, account_id: str) -> AccountRow | None:
    return view.get(ACCOUNTS, account_id)


def case_parties(view: TableView, case_id: str) -> CasePartiesRow | None:
    return view.get(CASES, case_id)


def organisation(view: TableView, organisation_id: str) -> OrganisationRow | None:
    return view.get(ORGANISATIONS, organisation_id)


def every_organisation(view: TableView) -> list[OrganisationRow]:
    """Every organisation, by name then id."""
    rows = view.select(ORGANISATIONS, {})
    return sorted(rows, key=lambda row: (row["name"].casefold(), row["organisation_id"]))


def organisations(view: TableView, kind: str) -> list[OrganisationRow]:
    """The organisations of ``kind`` (ASSOCIATION, LANDLORD…), by name then id."""
    rows = view.select(ORGANISATIONS, {"kind": kind})
    return sorted(rows, key=lambda row: (row["name"].casefold(), row["organisation_id"]))


def staff_accounts(view: TableView, organisation_id: str | None) -> list[AccountRow]:
    """The staff accounts of an organisation, or of every organisation (``None``), by
    organisation then name."""
    rows = (
        view.select(ACCOUNTS, {"organisation_id": organisation_id})
        if organisation_id is not None
        else [row for row in view.select(ACCOUNTS, {}) if row["role"] != "HOUSEHOLD"]
    )
    return sorted(
        rows,
        key=lambda row: (row["organisation_id"] or "", (row["name"] or "").casefold()),
    )


def staff_of(view: TableView, organisation_id: str) -> list[AccountRow]:
    """The staff accounts of an organisation, by name then id."""
    rows = view.select(ACCOUNTS, {"organisation_id": organisation_id})
    return sorted(rows, key=lambda row: ((row["name"] or "").casefold(), row["account_id"]))
