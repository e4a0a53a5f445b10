"""Who is told of what: the audiences of each event, as data, and where to find them.

``WHO_IS_TOLD`` is the one place that says which event concerns whom (issue 5); the
directory read model says who those people are. Nobody is told of a case they may not see
(``authorization.may_see_case``, DESIGN §6): the landlord learns of a measure from its grant
on, the commission of a request from its registration on, another association never.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from enum import Enum
from uuid import UUID

from aspe.authorization import Viewer, may_see_case
from aspe.domain.actors import Role
from aspe.domain.audited import AuditedAggregate
from aspe.domain.case import Case
from aspe.domain.household import Household
from aspe.projections import directory
from aspe.projections.directory import AccountRow, CasePartiesRow
from aspe.projections.view import Changes, TableView
from aspe.workers.messages import Recipient


class Audience(Enum):
    SPSLH = "every SPSLH agent"
    COMMISSION = "every member of the commission"
    ASSOCIATION = "the case's referent and its association's managers"
    ASSOCIATION_MANAGERS = "the managers of the case's association"
    HOUSEHOLD = "the household, if it has an account"
    LANDLORD = "the staff of the household's landlord"


A = Audience
ALL_PARTIES = (A.ASSOCIATION, A.HOUSEHOLD, A.LANDLORD, A.SPSLH, A.COMMISSION)


CREDENTIALS_REPLACED = Household.CredentialsReplaced

WHO_IS_TOLD: Mapping[type, tuple[Audience, ...]] = {
    Case.RequestSubmitted: (A.SPSLH,),
    Case.RequestRegistered: (A.COMMISSION,),
    Case.MeasureGranted: (A.ASSOCIATION, A.HOUSEHOLD, A.LANDLORD),
    Case.RequestRejected: (A.ASSOCIATION, A.HOUSEHOLD),
    Case.RequestAdjourned: (A.ASSOCIATION, A.HOUSEHOLD),
    Case.MeasureExtended: (A.ASSOCIATION, A.HOUSEHOLD),
    Case.CeopSigned: (A.SPSLH,),
    Case.NonCollaborationAlertRaised: (A.COMMISSION, A.SPSLH, A.ASSOCIATION_MANAGERS),
    Case.CombinationConflictRaised: (A.COMMISSION, A.ASSOCIATION),
    Case.MeasureStopped: ALL_PARTIES,
    Case.MeasureCompleted: ALL_PARTIES,
    CREDENTIALS_REPLACED: (A.HOUSEHOLD,),
}
"""The events that concern someone, and whom. The landlord hears of the commission's
decisions only when a measure is granted or stopped; what each is told is ``texts``'.
A household whose login was replaced is told, at its new address and its previous one:
if someone else asked for it, the household learns it where it used to be reached."""

ACCOUNT_EVENTS = frozenset({CREDENTIALS_REPLACED})
"""Events of an account rather than of a case: told to the account's holder only."""


@dataclass(frozen=True)
class Reader:
    """A recipient and the role it reads in: what it may be told follows from the role."""

    recipient: Recipient
    role: Role
    organisation_id: str | None = None

    @property
    def viewer(self) -> Viewer:
        organisation = UUID(self.organisation_id) if self.organisation_id else None
        return Viewer(self.recipient.account_id, self.role, organisation)


def reader(row: AccountRow) -> Reader:
    """A directory account as a reader."""
    recipient = Recipient(UUID(row["account_id"]), row["name"] or "", row["email"] or None)
    return Reader(recipient, Role[row["role"]], row["organisation_id"])


class AddressBook:
    """The directory as one reader of it sees it: the committed rows, and what the batch
    being applied (``changes``, if any) has changed on top of them."""

    def __init__(self, view: TableView, changes: Changes | None = None) -> None:
        self.view = view
        self.changes = changes
        self._memo: dict[tuple[str, str | None, int], list[Reader]] = {}

    def case(self, case_id: str) -> CasePartiesRow | None:
        if self.changes is not None:
            return self.changes.cases.get(case_id)
        return directory.case_parties(self.view, case_id)

    def account(self, account_id: str) -> Reader | None:
        if self.changes is not None:
            row = self.changes.accounts.get(account_id)
        else:
            row = directory.account(self.view, account_id)
        return None if row is None else reader(row)

    def organisation_name(self, organisation_id: str | None) -> str | None:
        if organisation_id is None:
            return None
        if self.changes is not None:
            row = self.changes.organisations.get(organisation_id)
        else:
            row = directory.organisation(self.view, organisation_id)
        return None if row is None else str(row["name"])

    def with_role(self, role: Role, organisation_id: str | None = None) -> list[Reader]:
        """Every account of ``role`` (in that organisation, if given)."""
        batch = self.changes.accounts if self.changes is not None else None
        memo = (role.name, organisation_id, len(batch.changed) if batch is not None else 0)
        if memo not in self._memo:
            rows = directory.accounts(self.view, role.name, organisation_id, batch)
            self._memo[memo] = [reader(row) for row in rows]
        return self._memo[memo]

    # ------------------------------------------------------------------- audiences
    def audience(self, audience: Audience, case: CasePartiesRow) -> Iterator[Reader]:
        if audience is A.SPSLH:
            yield from self.with_role(Role.SPSLH_AGENT)
        elif audience is A.COMMISSION:
            yield from self.with_role(Role.COMMISSION_MEMBER)
        elif audience is A.LANDLORD:
            yield from self.with_role(Role.LANDLORD, case["landlord_id"])
        elif audience is A.HOUSEHOLD:
            household = self.account(case["household_id"])
            if household is not None and household.role is Role.HOUSEHOLD:
                yield household
        else:
            if audience is A.ASSOCIATION:
                referent = self.account(case["referent_id"])
                if referent is not None:
                    yield referent
            yield from self.with_role(Role.ASSOCIATION_MANAGER, case["association_id"])

    def holders_of(self, event: AuditedAggregate.Event) -> list[Reader]:
        """The holder of the account an account event is about, and its previous address."""
        holder = self.account(str(event.originator_id))
        if holder is None:
            return []
        previous = getattr(event, "previous_email", None)
        if not previous or previous == holder.recipient.email:
            return [holder]
        at_previous = replace(holder.recipient, email=previous, email_only=True)
        return [holder, replace(holder, recipient=at_previous)]

    def readers_of(self, event: AuditedAggregate.Event) -> list[Reader]:
        """Whom ``event`` concerns, once each, among those who may see its case."""
        if type(event) in ACCOUNT_EVENTS:
            return self.holders_of(event)
        audiences = WHO_IS_TOLD.get(type(event), ())
        case = self.case(str(event.originator_id)) if audiences else None
        if case is None:
            return []
        found: dict[UUID, Reader] = {}
        for audience in audiences:
            for one in self.audience(audience, case):
                if may_see_case(one.viewer, case):
                    found.setdefault(one.recipient.account_id, one)
        return list(found.values())
