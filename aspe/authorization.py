"""What each party may see: DESIGN §6 as data, and the only place that decides it.

Three questions, answered here and nowhere else:

1. May this viewer see this case at all? (``may_see_case``) A case it may not see is
   indistinguishable from one that does not exist.
2. May it see this category of data on a case it sees? (``MATRIX``: role × category; a
   landlord's ``CONSENT`` cells need the household's consent recorded on the case.)
3. Which items of a list may it see? (``ROW_FILTERS``: a landlord sees only the
   concertations it took part in and the debts owed to it; association staff see only
   their own organisation's events; HEALTH items need the ``HEALTH`` category.)

Every field of the GraphQL schema names one ``Category`` (see ``permissions.classified``);
a test fails the build when one does not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any
from uuid import UUID

from aspe.domain.actors import ASSOCIATION_ROLES, Role


class Category(Enum):
    """The rows of DESIGN §6's table, split where a party sees only part of a row."""

    ANONYMOUS = "what anyone may call: login"
    ACCOUNT = "the viewer's own account"
    ENTRY = "entry points and list plumbing; what they lead to is classified further"
    CASE = "the case's existence: id, status, opening date, consent given"
    STAFFING = "the association and referent in charge"
    HOUSEHOLD_NAME_ADDRESS = "household identity: name and address"
    HOUSEHOLD_CONTACT = "household identity: contact details and size"
    DIAGNOSTIC = "diagnostic: difficulties per theme (HEALTH excluded)"
    HEALTH = "diagnostic and CEOP items of theme HEALTH"
    REQUEST = "request: aid asked, proposal, registration, adjournments"
    RENT_ARREARS = "request: the rent arrears (owed to the landlord)"
    DECISION = "decision: type, duration, dates"
    DECISION_TERMS = "decision: probation and aid granted"
    CEOP = "CEOP objectives, steps and commitments"
    CEOP_SIGNATURE_DATE = "the date the CEOP was signed"
    VISITS = "visits and contacts: themes, channel, who was there"
    VISIT_KIND = "visits: where they are held (at home, at the office)"
    VISIT_DATES = "visits and contacts: dates"
    VISIT_COUNTS = "visits and contacts: counts and weekly compliance"
    NOTES = "free-text notes of visits, contacts, progress and suspensions"
    CONCERTATIONS = "concertations with the landlord and partners"
    DEBTS = "debts and repayment plans"
    DEBT_TOTALS = "the total of the debts"
    RENT = "rent payment reports (rent ledger)"
    ALERTS = "non-collaboration alerts and the alert clock"
    DOCUMENTS = "documents joined to the case: kind, name, type, size, date (not the landlord's)"
    STOP = "stop decision details and final report"
    STOP_REASON = "the category of the reason a measure stopped"
    EVENT_METADATA = "who did what when"
    STATISTICS = "aggregate figures, no case content"
    DIRECTORY = "organisations and staff names: the landlords, the viewer's colleagues"
    STAFF_ACCOUNTS = (
        "the staff accounts one manages: e-mail, role, whether active (a manager its "
        "association's, the administrator every organisation's)"
    )
    ACCESS_LOG = "who read which case's personal data, when, across cases (DESIGN §10)"
    CASE_ACCESSES = "who read this case: when, the reader's role and organisation"


class Access(Enum):
    YES = "yes"
    CONSENT = "only with the household's consent recorded on the case"
    NO = "no"


C = Category
"""Short name for field declarations: ``classified(C.NOTES)``."""
_NO_ACCESS_LOG = {C.ACCESS_LOG: Access.NO, C.CASE_ACCESSES: Access.NO}
"""The access log is the auditor's (DESIGN §10), and a household's about its own file."""
_NOT_MANAGING = {C.STAFF_ACCOUNTS: Access.NO}
"""Accounts are managed by an association's manager and by the administrator only."""
_MANAGER = {**dict.fromkeys(C, Access.YES), **_NO_ACCESS_LOG}
_REFERENT = {**_MANAGER, C.STATISTICS: Access.NO, **_NOT_MANAGING}
_PUBLIC_SERVICE = {
    **dict.fromkeys(C, Access.YES),
    C.DIRECTORY: Access.NO,
    C.HEALTH: Access.NO,
    C.VISITS: Access.NO,
    C.VISIT_KIND: Access.NO,
    C.VISIT_DATES: Access.NO,
    C.NOTES: Access.NO,
    C.DEBTS: Access.NO,
    **_NO_ACCESS_LOG,
    **_NOT_MANAGING,
}
_LANDLORD = {
    **dict.fromkeys(C, Access.NO),
    C.ANONYMOUS: Access.YES,
    C.ACCOUNT: Access.YES,
    C.ENTRY: Access.YES,
    C.CASE: Access.YES,
    C.DECISION: Access.YES,
    C.DECISION_TERMS: Access.CONSENT,
    C.HOUSEHOLD_NAME_ADDRESS: Access.CONSENT,
    C.RENT_ARREARS: Access.CONSENT,
    C.CEOP_SIGNATURE_DATE: Access.CONSENT,
    C.CONCERTATIONS: Access.CONSENT,
    C.DEBTS: Access.CONSENT,
    C.RENT: Access.CONSENT,
    C.STOP_REASON: Access.CONSENT,
}
_HOUSEHOLD = {
    **dict.fromkeys(C, Access.YES),
    C.VISITS: Access.NO,
    C.VISIT_COUNTS: Access.NO,
    C.NOTES: Access.NO,
    C.CONCERTATIONS: Access.NO,
    C.RENT: Access.NO,
    C.ALERTS: Access.NO,
    C.EVENT_METADATA: Access.NO,
    C.STATISTICS: Access.NO,
    C.DIRECTORY: Access.NO,
    C.ACCESS_LOG: Access.NO,
    **_NOT_MANAGING,
}
_NOTHING_BUT_ACCOUNT = {
    **dict.fromkeys(C, Access.NO),
    C.ANONYMOUS: Access.YES,
    C.ACCOUNT: Access.YES,
    C.ENTRY: Access.YES,
}

MATRIX: Mapping[Role, Mapping[Category, Access]] = {
    Role.REFERENT: _REFERENT,
    Role.ASSOCIATION_MANAGER: _MANAGER,
    Role.SPSLH_AGENT: _PUBLIC_SERVICE,
    Role.COMMISSION_MEMBER: _PUBLIC_SERVICE,
    Role.LANDLORD: _LANDLORD,
    Role.HOUSEHOLD: _HOUSEHOLD,
    Role.AUDITOR: {**dict.fromkeys(C, Access.YES), C.DIRECTORY: Access.NO, **_NOT_MANAGING},
    Role.ADMIN: {**_NOTHING_BUT_ACCOUNT, C.STAFF_ACCOUNTS: Access.YES},
    Role.SYSTEM: _NOTHING_BUT_ACCOUNT,
}
"""Role × category. A household sees only its own case, so its ``YES`` reads "own".

``DIRECTORY`` (the landlords and colleagues a case is opened or entrusted with) is for
association staff only: it is no row of DESIGN §6, and no other role registers households."""


@dataclass(frozen=True)
class Viewer:
    """Who is asking: an account (staff or household) and the role it logged in with."""

    id: UUID
    role: Role
    organisation_id: UUID | None = None
    email: str | None = None
    name: str | None = None
    credentials_version: int = 0
    """The account's credentials version when it was loaded: the token ``login`` signs
    carries it, and is refused once the account has moved on (``aspe.graphql.identity``)."""


ARCHIVE_READERS = frozenset({Role.AUDITOR, Role.ASSOCIATION_MANAGER})
"""Who still reads a case once its retention has archived it, saying why each time
(``aspe.privacy.retention``)."""


def may_name_reader(viewer: Viewer, reader_id: object, referent_id: object) -> bool:
    """Whether the viewer may know which person read a case, beyond their role and
    organisation: the auditor may; a household only its own referent (DESIGN §10)."""
    if viewer.role is Role.AUDITOR:
        return True
    return viewer.role is Role.HOUSEHOLD and _same(reader_id, referent_id)


def may_see_case(viewer: Viewer, case: Mapping[str, Any]) -> bool:
    """DESIGN §6's case access, over a row of the ``case_file`` read model; an archived
    case, the auditor and its association's manager only."""
    if case.get("archived") and viewer.role not in ARCHIVE_READERS:
        return False
    return _may_see_case(viewer, case)


def reason_required(viewer: Viewer, case: Mapping[str, Any]) -> bool:
    """Whether reading ``case`` needs a stated reason (an archived case), which the access
    log keeps with the read."""
    return bool(case.get("archived"))


def _may_see_case(viewer: Viewer, case: Mapping[str, Any]) -> bool:
    role = viewer.role
    if role in ASSOCIATION_ROLES:
        return _same(viewer.organisation_id, case["association_id"])
    if role is Role.SPSLH_AGENT:
        return bool(case["submitted"])
    if role is Role.COMMISSION_MEMBER:
        return bool(case["registered"])
    if role is Role.LANDLORD:
        return bool(case["granted"]) and _same(viewer.organisation_id, case["landlord_id"])
    if role is Role.HOUSEHOLD:
        return _same(viewer.id, case["household_id"])
    return role is Role.AUDITOR


def case_scope(viewer: Viewer) -> dict[str, Any] | None:
    """The ``case_file`` columns every case a viewer may list shares (``None``: no case).
    Lists never hold an archived case: its readers open it by its id, saying why."""
    role = viewer.role
    if role in ASSOCIATION_ROLES:
        return {"association_id": str(viewer.organisation_id), "archived": False}
    scopes: dict[Role, dict[str, Any]] = {
        Role.SPSLH_AGENT: {"submitted": True},
        Role.COMMISSION_MEMBER: {"registered": True},
        Role.LANDLORD: {"landlord_id": str(viewer.organisation_id), "granted": True},
        Role.HOUSEHOLD: {"household_id": str(viewer.id)},
        Role.AUDITOR: {},
    }
    found = scopes.get(role)
    return None if found is None else {**found, "archived": False}


def managed_accounts_scope(viewer: Viewer) -> tuple[bool, str | None]:
    """Whose staff accounts the viewer manages: ``(False, _)`` nobody's; ``(True, None)``
    every organisation's (the administrator); ``(True, id)`` that organisation's (a manager
    its association's)."""
    if viewer.role is Role.ADMIN:
        return True, None
    if viewer.role is Role.ASSOCIATION_MANAGER and viewer.organisation_id is not None:
        return True, str(viewer.organisation_id)
    return False, None


# ------------------------------------------------------- the household's own data
EXPORT_ROLES = frozenset({Role.HOUSEHOLD, Role.REFERENT, Role.ASSOCIATION_MANAGER})
"""Who may download a household's data (GDPR art. 15): any other role is refused outright."""
EXPORT_VIEWPOINT = Role.HOUSEHOLD
"""Whoever downloads it, the export holds what the household itself may see (``MATRIX``)."""


def may_export_household_data(
    viewer: Viewer, household_id: UUID, cases: Iterable[Mapping[str, Any]]
) -> bool:
    """The household itself; or, on its behalf, the referent in charge of one of its
    ``cases`` (``case_file`` rows) or a manager of the association that holds it."""
    if viewer.role is Role.HOUSEHOLD:
        return viewer.id == household_id
    return viewer.role in EXPORT_ROLES and any(_acts_for(viewer, case) for case in cases)


def _acts_for(viewer: Viewer, case: Mapping[str, Any]) -> bool:
    if not _same(viewer.organisation_id, case["association_id"]):
        return False
    return viewer.role is Role.ASSOCIATION_MANAGER or _same(viewer.id, case["referent_id"])


def withheld_from_export() -> list[Category]:
    """What the export leaves out of the case: the categories DESIGN §6 keeps from the
    household (notes, concertations, alerts…), beside those about no case at all (the
    auditor's log across cases among them)."""
    unrelated = {
        C.ANONYMOUS, C.ACCOUNT, C.ENTRY, C.STATISTICS, C.DIRECTORY, C.ACCESS_LOG, C.STAFF_ACCOUNTS,
    }  # fmt: skip
    return [c for c in C if c not in unrelated and not allows(EXPORT_VIEWPOINT, c)]


def allows(role: Role, category: Category, consent: bool = False) -> bool:
    access = MATRIX[role][category]
    return access is Access.YES or (access is Access.CONSENT and consent)


# ------------------------------------------------------------------ list items
ItemFilter = Callable[[Viewer, Mapping[str, Any]], bool]


def _took_part(viewer: Viewer, concertation: Mapping[str, Any]) -> bool:
    return any(
        _same(viewer.organisation_id, participant.get("organisation_id"))
        for participant in concertation.get("participants", ())
    )


def _owed_to_landlord(viewer: Viewer, debt: Mapping[str, Any]) -> bool:
    return bool(debt.get("creditor_is_landlord"))


CASE_MILESTONES = frozenset(
    {
        "ConsentRecorded",
        "ConsentWithdrawn",
        "RequestRegistered",
        "RequestAdjourned",
        "RequestRejected",
        "MeasureGranted",
        "DecisionNotified",
        "CeopSignatureRecorded",
        "CeopSigned",
        "NonCollaborationAlertRaised",
        "RentPaymentReported",
        "DocumentAttached",
        "CombinationConflictSettled",
        "MeasureExtended",
        "MeasureStopped",
        "MeasureCompleted",
    }
)
"""The events of a case its association's staff may know of whoever did them (the SPSLH, the
commission, the landlord, the household, the platform): each is a step whose outcome their
own case page shows anyway (the registration, the decision, a signature, a rent report…).
Any other event of another organisation stays hidden from them (DESIGN §6: their own
organisation's events), the invitations the public bodies send each other among them."""


def _own_organisation(viewer: Viewer, event: Mapping[str, Any]) -> bool:
    """Association staff: their own organisation's events, and the case's milestones."""
    if event.get("event") in CASE_MILESTONES:
        return True
    return _same(viewer.organisation_id, event.get("organisation_id"))


def may_name_actor(viewer: Viewer, event: Mapping[str, Any]) -> bool:
    """Whether the viewer may know which person did an event it sees, beyond their role and
    organisation: the auditor may (as it may know who read a case, DESIGN §10); anyone else
    a colleague of its own organisation only, and the others by the organisation they act
    for."""
    if viewer.role is Role.AUDITOR:
        return True
    return _same(viewer.organisation_id, event.get("organisation_id"))


ROW_FILTERS: Mapping[tuple[Role, Category], ItemFilter] = {
    (Role.LANDLORD, C.CONCERTATIONS): _took_part,
    (Role.LANDLORD, C.DEBTS): _owed_to_landlord,
    (Role.REFERENT, C.EVENT_METADATA): _own_organisation,
    (Role.ASSOCIATION_MANAGER, C.EVENT_METADATA): _own_organisation,
}
"""Where a party sees only some items of a list it may see."""

HEALTH_THEME = "HEALTH"


def may_see_item(viewer: Viewer, category: Category, item: object) -> bool:
    """Whether an item of a list of ``category`` is for this viewer.

    Items of theme HEALTH (a finding, an objective, a CEOP step or commitment, or a visit's
    theme itself) need the HEALTH category, whatever list they are in. Row filters judge
    records (mappings); the plain values inside a record the viewer may see (a
    concertation's participants' names) follow their record.
    """
    theme = item.get("theme") if isinstance(item, Mapping) else getattr(item, "value", item)
    if theme == HEALTH_THEME and not allows(viewer.role, C.HEALTH):
        return False
    keep = ROW_FILTERS.get((viewer.role, category))
    return keep is None or not isinstance(item, Mapping) or keep(viewer, item)


def _same(left: object, right: object) -> bool:
    return left is not None and right is not None and str(left) == str(right)
