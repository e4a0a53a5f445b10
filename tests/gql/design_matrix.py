"""DESIGN §6 transcribed for the authorization matrix test, independently of the code.

The expectation of ``test_authorization_matrix`` comes from here, never from
``aspe.authorization``: a test that asked the code what the code should do could not
fail. Three parts, each read off DESIGN §6:

- ``sees_case``: the paragraph on case access;
- ``TABLE``: the table, one ``Row`` per row, split into sub-rows where a party sees only part
  of a row (the landlord, the SPSLH and the commission; the household's "own dates");
- ``FIELDS``: every field of the schema reachable from ``Query``, by ``Type.field``, with the
  row (or sub-row) whose data it shows. A new field fails the test until it is placed here.

Readings where DESIGN §6 leaves room are stated on the row they concern.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from uuid import UUID

from aspe.domain.actors import Role


class Sees(Enum):
    YES = "yes"
    OWN = "own: a household sees its own case only, so this reads yes on the cases it sees"
    CONSENT = "the landlord, only with the household's consent recorded on the case"
    NO = "no"


class Row(Enum):
    """DESIGN §6's rows; a sub-row where a party sees part of a row."""

    EXISTENCE = "the measure's existence: id, status, opening, whether consent was given"
    IN_CHARGE = (
        "the association and referent in charge. Not a row of §6: read with the case file the "
        "professionals share; the landlord is outside their shared secrecy (DESIGN §4) and §6 "
        "gives it no more than existence, type and dates, so it does not see them"
    )
    IDENTITY_NAME_ADDRESS = "household identity & contact: name and address"
    IDENTITY_CONTACT = "household identity & contact: contact details and size"
    DIAGNOSTIC = "diagnostic: difficulties per theme (health excluded)"
    HEALTH = "diagnostic & CEOP items of theme HEALTH"
    REQUEST = "request: arrears, aid asked, proposal (and its course: registration, session)"
    RENT_ARREARS = "request: the rent arrears, owed to the landlord"
    DECISION = (
        "decision: type, duration and dates (grant, notification, start, end, extensions, "
        "stop or completion). Duration is read as a date: the end date shows it"
    )
    DECISION_TERMS = (
        "decision: probation and aid. Beyond 'the measure's existence, type and dates' that a "
        "landlord sees without consent"
    )
    DECISION_GROUNDS = (
        "decision: the commission's grounds in free text (an extension's reason); not among "
        "the decision items the landlord's column names"
    )
    CEOP = "CEOP objectives and commitments"
    CEOP_SIGNATURE_DATE = "CEOP: the date it was signed"
    VISIT_DETAILS = "visits and contacts: kind, themes, channel, who was there"
    VISIT_DATES = "visits and contacts: dates (and whether planned, done or missed)"
    VISIT_KIND = "visits: at home or at the office"
    VISIT_COUNTS = "visits and contacts: counts and weekly compliance"
    NOTES = (
        "visit/contact notes (free text); the referent's other free-text notes on the household "
        "(objective progress, suspension details) are read as the same row"
    )
    CONCERTATIONS = "concertations"
    DEBTS = "debts and repayment plans"
    DEBT_TOTALS = "debts: totals"
    RENT = "rent payment reports (rent ledger: resumption of current rent)"
    ALERTS = (
        "alerts, and the alert clock: silent days and its suspensions (DESIGN §3: the "
        "suspension is an event the commission sees)"
    )
    DOCUMENTS = (
        "documents joined to the case (request form, CEOP signed, proofs). Not a row of §6: "
        "read with the case file the professionals share (the SPSLH and the commission "
        "decide on them); the household's own; the landlord, outside their shared secrecy, "
        "none. A medical document is a HEALTH item"
    )
    STOP_AND_REPORT = "stop decision and final report: details and report"
    STOP_REASON = "stop decision: the reason category"
    EVENT_METADATA = "who did what when (event metadata)"
    ACCOUNT = "the viewer's own account and inbox (ADMIN: accounts)"
    STATISTICS = (
        "aggregate figures, no case content. Not a row of §6: what a head of service, the "
        "département and control need; ADMIN 'sees organisations and accounts only'"
    )
    LISTING = "entry points and pagination: they show only cases the viewer may see"
    OWN_DATA = (
        "the household's own data, asked without naming a household (GDPR art. 15): not a row "
        "of §6; it holds the household's view of its cases, and staff have none of their own "
        "(a referent names the household: tested in test_household_data)"
    )
    DIRECTORY = (
        "organisations and staff names (the landlords, the viewer's association's staff): what "
        "association staff need to register a household and open or entrust its case. Not a "
        "row of §6, which gives no one else a use for it; ADMIN's 'organisations and accounts' "
        "are its own administration, not this directory"
    )
    STAFF_ACCOUNTS = (
        "the staff accounts one manages, with e-mail and state: DESIGN §6's 'ADMIN sees "
        "organisations and accounts only', and a manager its association's (the domain lets "
        "it deactivate them and reset their passwords)"
    )
    ACCESS_LOG = (
        "who read which case's personal data, when, across cases (DESIGN §10: 'the auditor "
        "queries it')"
    )
    CASE_ACCESSES = (
        "who read this case, by role and organisation (DESIGN §10: 'the household sees who "
        "accessed its file'); the auditor too"
    )


STRUCTURE = None
"""A field that shows nothing of its own (an object holding other fields): visible when a
field under it is."""

COLUMNS = (
    Role.REFERENT,
    Role.ASSOCIATION_MANAGER,
    Role.SPSLH_AGENT,
    Role.COMMISSION_MEMBER,
    Role.LANDLORD,
    Role.HOUSEHOLD,
    Role.AUDITOR,
    Role.ADMIN,
)
Y, H, C, N = Sees.YES, Sees.OWN, Sees.CONSENT, Sees.NO
"""Cells: yes, (the household's) own, consent-gated (the landlord's), no."""

_CELLS: dict[Row, tuple[Sees, ...]] = {
    #                         REF MAN SPSLH COMM LANDLORD HOUSEHOLD AUDITOR ADMIN
    Row.EXISTENCE:             (Y, Y, Y, Y, Y, H, Y, N),
    Row.IN_CHARGE:             (Y, Y, Y, Y, N, H, Y, N),
    Row.IDENTITY_NAME_ADDRESS: (Y, Y, Y, Y, C, H, Y, N),
    Row.IDENTITY_CONTACT:      (Y, Y, Y, Y, N, H, Y, N),
    Row.DIAGNOSTIC:            (Y, Y, Y, Y, N, H, Y, N),
    Row.HEALTH:                (Y, Y, N, N, N, H, Y, N),
    Row.REQUEST:               (Y, Y, Y, Y, N, H, Y, N),
    Row.RENT_ARREARS:          (Y, Y, Y, Y, C, H, Y, N),
    Row.DECISION:              (Y, Y, Y, Y, Y, H, Y, N),
    Row.DECISION_TERMS:        (Y, Y, Y, Y, C, H, Y, N),
    Row.DECISION_GROUNDS:      (Y, Y, Y, Y, N, H, Y, N),
    Row.CEOP:                  (Y, Y, Y, Y, N, H, Y, N),
    Row.CEOP_SIGNATURE_DATE:   (Y, Y, Y, Y, C, H, Y, N),
    Row.VISIT_DETAILS:         (Y, Y, N, N, N, N, Y, N),
    Row.VISIT_DATES:           (Y, Y, N, N, N, H, Y, N),
    Row.VISIT_KIND:            (Y, Y, N, N, N, H, Y, N),
    Row.VISIT_COUNTS:          (Y, Y, Y, Y, N, N, Y, N),
    Row.NOTES:                 (Y, Y, N, N, N, N, Y, N),
    Row.CONCERTATIONS:         (Y, Y, Y, Y, C, N, Y, N),
    Row.DEBTS:                 (Y, Y, N, N, C, H, Y, N),
    Row.DEBT_TOTALS:           (Y, Y, Y, Y, N, H, Y, N),
    Row.RENT:                  (Y, Y, Y, Y, C, N, Y, N),
    Row.ALERTS:                (Y, Y, Y, Y, N, N, Y, N),
    Row.DOCUMENTS:             (Y, Y, Y, Y, N, H, Y, N),
    Row.STOP_AND_REPORT:       (Y, Y, Y, Y, N, H, Y, N),
    Row.STOP_REASON:           (Y, Y, Y, Y, C, H, Y, N),
    Row.EVENT_METADATA:        (Y, Y, Y, Y, N, N, Y, N),
    Row.ACCOUNT:               (Y, Y, Y, Y, Y, Y, Y, Y),
    Row.STATISTICS:            (N, Y, Y, Y, N, N, Y, N),
    Row.LISTING:               (Y, Y, Y, Y, Y, Y, Y, Y),
    Row.OWN_DATA:              (N, N, N, N, N, H, N, N),
    Row.DIRECTORY:             (Y, Y, N, N, N, N, N, N),
    Row.STAFF_ACCOUNTS:        (N, Y, N, N, N, N, N, Y),
    Row.ACCESS_LOG:            (N, N, N, N, N, N, Y, N),
    Row.CASE_ACCESSES:         (N, N, N, N, N, H, Y, N),
}  # fmt: skip
TABLE: Mapping[Row, Mapping[Role, Sees]] = {
    row: dict(zip(COLUMNS, cells, strict=True)) for row, cells in _CELLS.items()
}

PARTIAL: Mapping[tuple[Role, Row], str] = {
    (Role.LANDLORD, Row.CONCERTATIONS): "those it took part in",
    (Role.LANDLORD, Row.DEBTS): "plans with it only: the debts owed to it",
    (Role.REFERENT, Row.EVENT_METADATA): "own organisation's events, and the case's milestones",
    (Role.ASSOCIATION_MANAGER, Row.EVENT_METADATA): "own organisation's events, and the case's "
    "milestones",
}
"""Cells where the party sees some items of a list only (tested item by item)."""

_BY_TYPE: dict[str, dict[str, Row | None]] = {
    "Query": {
        "me": Row.ACCOUNT,
        "cases": Row.LISTING,
        "case": Row.LISTING,
        "caseAsOf": Row.LISTING,
        "commissionAgenda": Row.LISTING,
        "commissionSessions": Row.REQUEST,
        "alerts": Row.ALERTS,
        "landlordTenancies": Row.LISTING,
        "statistics": Row.STATISTICS,
        "auditTrail": Row.EVENT_METADATA,
        "notifications": Row.ACCOUNT,
        "landlords": Row.DIRECTORY,
        "colleagues": Row.DIRECTORY,
        "accounts": Row.STAFF_ACCOUNTS,
        "managedOrganisations": Row.STAFF_ACCOUNTS,
        "householdData": Row.OWN_DATA,
        "accessLog": Row.ACCESS_LOG,
        "caseAccesses": Row.CASE_ACCESSES,
    },
    "AccessLogPage": dict.fromkeys(("entries", "hasNextPage", "endCursor"), Row.ACCESS_LOG),
    "AccessLogEntry": dict.fromkeys(
        (
            "at",
            "accountId",
            "accountName",
            "role",
            "organisationId",
            "organisationName",
            "caseId",
            "what",
            "reason",
        ),
        Row.ACCESS_LOG,
    ),
    "CaseAccess": dict.fromkeys(
        ("at", "role", "organisationName", "readerName", "what"), Row.CASE_ACCESSES
    ),
    "Organisation": dict.fromkeys(("id", "name", "category"), Row.DIRECTORY),
    "StaffMember": dict.fromkeys(("id", "name", "role", "qualifiedReferent"), Row.DIRECTORY),
    "StaffAccount": dict.fromkeys(
        (
            "id",
            "name",
            "email",
            "role",
            "active",
            "qualifiedReferent",
            "organisationId",
            "organisationName",
        ),
        Row.STAFF_ACCOUNTS,
    ),
    "ManagedOrganisation": dict.fromkeys(
        ("id", "name", "kind", "assignableRoles"), Row.STAFF_ACCOUNTS
    ),
    "Me": dict.fromkeys(("id", "role", "organisationId", "name", "email"), Row.ACCOUNT),
    "Inbox": dict.fromkeys(("unreadCount", "items"), Row.ACCOUNT),
    "Notification": dict.fromkeys(
        ("id", "subject", "body", "caseId", "createdAt", "readAt"), Row.ACCOUNT
    ),
    "CaseConnection": {"edges": Row.LISTING, "pageInfo": Row.LISTING},
    "CaseEdge": {"cursor": Row.LISTING, "node": Row.LISTING},
    "PageInfo": {"hasNextPage": Row.LISTING, "endCursor": Row.LISTING},
    "Case": {
        "id": Row.EXISTENCE,
        "status": Row.EXISTENCE,
        "openedOn": Row.EXISTENCE,
        "landlordConsent": Row.EXISTENCE,
        # Computed for the viewer itself: what it may do, never what another party may.
        "availableCommands": Row.EXISTENCE,
        "ceopSignaturesToRecord": Row.EXISTENCE,
        "mayDownloadHouseholdData": Row.EXISTENCE,
        "mayOpenHouseholdAccount": Row.IN_CHARGE,
        "associationId": Row.IN_CHARGE,
        "referentId": Row.IN_CHARGE,
        "householdId": Row.IN_CHARGE,
        "parties": STRUCTURE,
        "household": STRUCTURE,
        "diagnostic": Row.DIAGNOSTIC,
        "request": STRUCTURE,
        "decision": STRUCTURE,
        "ceop": STRUCTURE,
        "visits": Row.VISIT_DATES,
        "contacts": Row.VISIT_DATES,
        "visitsDone": Row.VISIT_COUNTS,
        "contactsCount": Row.VISIT_COUNTS,
        "weeklyCompliance": Row.VISIT_COUNTS,
        "concertations": Row.CONCERTATIONS,
        "debts": Row.DEBTS,
        "debtTotal": Row.DEBT_TOTALS,
        "rentLedger": Row.RENT,
        "alerts": Row.ALERTS,
        "silentDays": Row.ALERTS,
        "suspensions": Row.ALERTS,
        "combinationConflicts": Row.ALERTS,
        "closure": STRUCTURE,
        "documents": Row.DOCUMENTS,
    },
    "CaseParties": {
        "associationName": Row.IN_CHARGE,
        "referentName": Row.IN_CHARGE,
        # The household's landlord is part of where it lives: read with its address.
        "landlordName": Row.IDENTITY_NAME_ADDRESS,
    },
    "Household": {
        **dict.fromkeys(("name", "street", "postcode", "city"), Row.IDENTITY_NAME_ADDRESS),
        **dict.fromkeys(("contact", "members"), Row.IDENTITY_CONTACT),
    },
    "Diagnostic": dict.fromkeys(("recordedOn", "findings", "objectives"), Row.DIAGNOSTIC),
    "Finding": dict.fromkeys(("theme", "difficulty"), Row.DIAGNOSTIC),
    "Objective": {
        **dict.fromkeys(("id", "theme", "label", "action", "progress"), Row.CEOP),
        "progressNote": Row.NOTES,
    },
    "Request": {
        **dict.fromkeys(
            (
                "submittedOn",
                "aidRequested",
                "monthlyRent",
                "proposedMeasure",
                "proposedDurationMonths",
                "registeredOn",
                "commissionSessionOn",
                "adjournments",
                "rejectedOn",
                "rejectionReason",
                "invitationsToSession",
            ),
            Row.REQUEST,
        ),
        "rentArrears": Row.RENT_ARREARS,
    },
    "Adjournment": dict.fromkeys(("on", "reason"), Row.REQUEST),
    "Decision": {
        **dict.fromkeys(
            (
                "decidedOn",
                "measureType",
                "durationMonths",
                "notifiedOn",
                "startsOn",
                "endsOn",
                "extensions",
            ),
            Row.DECISION,
        ),
        **dict.fromkeys(("probationMonths", "aidGranted"), Row.DECISION_TERMS),
    },
    "Extension": {
        "on": Row.DECISION,
        "additionalMonths": Row.DECISION,
        "reason": Row.DECISION_GROUNDS,
    },
    "Ceop": {
        **dict.fromkeys(
            (
                "version",
                "draftedOn",
                "objectives",
                "steps",
                "commitments",
                "signatures",
                "transmittedOn",
            ),
            Row.CEOP,
        ),
        "signedOn": Row.CEOP_SIGNATURE_DATE,
    },
    "Step": dict.fromkeys(("label", "dueOn", "theme"), Row.CEOP),
    "Commitment": dict.fromkeys(("party", "text", "theme"), Row.CEOP),
    "Signature": dict.fromkeys(("signatory", "signedOn"), Row.CEOP),
    "Visit": {
        **dict.fromkeys(("id", "plannedAt", "occurredOn", "state"), Row.VISIT_DATES),
        "kind": Row.VISIT_KIND,
        **dict.fromkeys(("themes", "householdPresent"), Row.VISIT_DETAILS),
        **dict.fromkeys(("note", "missedReason"), Row.NOTES),
    },
    "Contact": {
        "occurredOn": Row.VISIT_DATES,
        **dict.fromkeys(
            ("channel", "initiatedByHousehold", "householdTookPart", "themes"), Row.VISIT_DETAILS
        ),
        "note": Row.NOTES,
    },
    "WeekCompliance": dict.fromkeys(
        (
            "isoWeek",
            "monday",
            "requiredVisits",
            "requiredHomeVisits",
            "visits",
            "homeVisits",
            "attemptedVisits",
            "compliant",
        ),
        Row.VISIT_COUNTS,
    ),
    "Concertation": dict.fromkeys(
        ("id", "heldOn", "subject", "participants", "outcome"), Row.CONCERTATIONS
    ),
    "Debt": dict.fromkeys(("id", "creditor", "amount", "owedToLandlord", "plan"), Row.DEBTS),
    "RepaymentPlan": dict.fromkeys(("monthlyAmount", "firstDueOn", "months"), Row.DEBTS),
    "RentLedger": dict.fromkeys(("months", "totalDue", "totalPaid", "resumedOn"), Row.RENT),
    "RentMonth": dict.fromkeys(("month", "amountDue", "amountPaid"), Row.RENT),
    "Alert": dict.fromkeys(("raisedOn", "silentDays"), Row.ALERTS),
    # R9: the commission and the association settle it; never the landlord's nor the
    # household's to read (it names another social accompaniment).
    "CombinationConflict": dict.fromkeys(
        ("kind", "startsOn", "endsOn", "raisedOn", "settledOn", "decision"), Row.ALERTS
    ),
    "Suspension": {
        **dict.fromkeys(("startsOn", "endsOn", "reason"), Row.ALERTS),
        "details": Row.NOTES,
    },
    "Closure": {
        "stoppedOn": Row.DECISION,
        "completedOn": Row.DECISION,
        "stopReason": Row.STOP_REASON,
        **dict.fromkeys(
            ("stopDetails", "finalReportOn", "householdStillHoused", "finalReportSummary"),
            Row.STOP_AND_REPORT,
        ),
    },
    "Document": dict.fromkeys(
        ("id", "kind", "filename", "mediaType", "size", "sha256", "attachedOn"), Row.DOCUMENTS
    ),
    "OpenAlert": dict.fromkeys(("raisedOn", "silentDays", "case"), Row.ALERTS),
    "Statistics": dict.fromkeys(
        (
            "cases",
            "byStatus",
            "byMeasureType",
            "averageDaysToDecision",
            "averageMeasureDays",
            "stillHoused",
            "notHoused",
            "outcomeUnknown",
            "averageDaysToSubmission",
            "averageDaysToStart",
            "byStopReason",
            "alertsRaised",
            "measuredWeeks",
            "compliantWeeks",
            "cadenceComplianceRate",
            "months",
        ),
        Row.STATISTICS,
    ),
    "StatisticsMonth": dict.fromkeys(
        (
            "month",
            "opened",
            "submitted",
            "granted",
            "rejected",
            "running",
            "stopped",
            "completed",
            "alertsRaised",
            "measuredWeeks",
            "compliantWeeks",
        ),
        Row.STATISTICS,
    ),
    "Count": dict.fromkeys(("key", "count"), Row.STATISTICS),
    "AuditEntry": dict.fromkeys(
        (
            "version",
            "event",
            "occurredAt",
            "actorId",
            "actorRole",
            "organisationId",
            "correlationId",
            "causationId",
            "actorName",
            "organisationName",
        ),
        Row.EVENT_METADATA,
    ),
}
FIELDS: Mapping[str, Row | None] = {
    f"{type_name}.{field}": row
    for type_name, fields in _BY_TYPE.items()
    for field, row in fields.items()
}
"""``Type.field`` → the row it shows, or ``STRUCTURE``."""


def sees(role: Role, row: Row | None, consent: bool) -> bool:
    """Whether ``role`` sees ``row`` on a case it sees (``consent``: the household's)."""
    if row is STRUCTURE:
        return True
    cell = TABLE[row][role]
    return cell in (Sees.YES, Sees.OWN) or (cell is Sees.CONSENT and consent)


@dataclass(frozen=True)
class Viewer:
    role: Role
    id: UUID
    organisation_id: UUID | None


@dataclass(frozen=True)
class CaseFacts:
    association_id: UUID
    landlord_id: UUID
    household_id: UUID
    submitted: bool
    registered: bool
    granted: bool


def sees_case(viewer: Viewer, case: CaseFacts) -> bool:
    """DESIGN §6: "association staff see their association's cases; the SPSLH sees cases
    from submission on; the commission from registration on; a landlord sees cases where it
    is the landlord, from the grant decision on; a household sees its own." The auditor
    reads every case (its column is "yes" throughout); ADMIN sees none."""
    role = viewer.role
    if role in (Role.REFERENT, Role.ASSOCIATION_MANAGER):
        return viewer.organisation_id == case.association_id
    if role is Role.LANDLORD:
        return viewer.organisation_id == case.landlord_id and case.granted
    return {
        Role.SPSLH_AGENT: case.submitted,
        Role.COMMISSION_MEMBER: case.registered,
        Role.HOUSEHOLD: viewer.id == case.household_id,
        Role.AUDITOR: True,
    }.get(role, False)
