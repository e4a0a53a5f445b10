"""The mutations: one per command of the domain, each a thin call into the application.

A resolver turns its inputs into the domain's values and hands the command to a runner of
``reading``: a command on a case returns the case as it stands after it (the runner checks
that the viewer sees the case, runs the command as the viewer and waits for the read
model); an organisation or account command returns the id it registered or changed. Who may
run what is the domain's to decide (``NOT_AUTHORISED``…), never a resolver's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

import strawberry
from strawberry.types import Info

from aspe.application import AspeApplication
from aspe.application.commands import Created
from aspe.authorization import C
from aspe.graphql.inputs import (
    AccompanimentInput,
    AttachDocumentInput,
    CeopInput,
    ConcertationInput,
    ConsentScopeEnum,
    DebtInput,
    DiplomaEnum,
    FindingInput,
    GrantMeasureInput,
    HouseholdInput,
    ObjectiveInput,
    ObjectiveProgressInput,
    OrganisationInput,
    RecordContactInput,
    RecordVisitInput,
    RentPaymentInput,
    RepaymentPlanInput,
    StaffInput,
    SubmitRequestInput,
    SuspensionInput,
    password_hash_of,
    uuid_of,
)
from aspe.graphql.permissions import classified
from aspe.graphql.reading import (
    run_case_command,
    run_command,
    run_creating_command,
    viewer_of,
)
from aspe.graphql.types import (
    Case,
    SignatoryEnum,
    StopReasonEnum,
    VisitKindEnum,
)

IdempotencyKey = Annotated[
    str | None,
    strawberry.argument(description="Resent with the same values, the command runs once."),
]


def once(key: str | None) -> dict[str, Any]:
    """``idempotency_key=`` for the application's ``@command``, when the client sent one."""
    return {} if key is None else {"idempotency_key": key}


@strawberry.type(description="What an organisation or account command registered or changed.")
class Registered:
    id: strawberry.ID = classified(C.ENTRY)


async def registered(info: Info, command: Callable[[AspeApplication], Created]) -> Registered:
    created: Created = await run_command(info, command)
    return Registered(id=strawberry.ID(str(created.id)))


async def changed(
    info: Info, aggregate_id: UUID, command: Callable[[AspeApplication, UUID], int]
) -> Registered:
    await run_command(info, lambda app: command(app, aggregate_id))
    return Registered(id=strawberry.ID(str(aggregate_id)))


@strawberry.type
class CaseMutations:
    # -------------------------------------------------------- organisations, accounts
    @classified(C.ENTRY, description="Register an organisation (administrator).")
    async def register_organisation(
        self, info: Info, input: OrganisationInput, idempotency_key: IdempotencyKey = None
    ) -> Registered:
        return await registered(
            info, lambda app: app.register_organisation(*input.to_domain(), **once(idempotency_key))
        )

    @classified(C.ENTRY, description="Register a staff account with its password (administrator).")
    async def register_staff(
        self, info: Info, input: StaffInput, idempotency_key: IdempotencyKey = None
    ) -> Registered:
        return await registered(
            info, lambda app: app.register_staff(*input.to_domain(), **once(idempotency_key))
        )

    @classified(C.ENTRY, description="Record a staff member's diploma (R10).")
    async def record_qualification(
        self,
        info: Info,
        staff_id: strawberry.ID,
        diploma: DiplomaEnum,  # type: ignore[valid-type]
        idempotency_key: IdempotencyKey = None,
    ) -> Registered:
        return await changed(
            info,
            uuid_of(staff_id, "de compte"),
            lambda app, staff: app.record_qualification(staff, diploma, **once(idempotency_key)),
        )

    @classified(C.ENTRY, description="Register a household and its landlord.")
    async def register_household(
        self, info: Info, input: HouseholdInput, idempotency_key: IdempotencyKey = None
    ) -> Registered:
        return await registered(
            info, lambda app: app.register_household(*input.to_domain(), **once(idempotency_key))
        )

    @classified(C.ENTRY, description="Record an FSL or anti-poverty-plan accompaniment (R9).")
    async def record_accompaniment(
        self,
        info: Info,
        household_id: strawberry.ID,
        input: AccompanimentInput,
        idempotency_key: IdempotencyKey = None,
    ) -> Registered:
        return await changed(
            info,
            uuid_of(household_id, "de ménage"),
            lambda app, household: app.record_accompaniment(
                household, *input.to_domain(), **once(idempotency_key)
            ),
        )

    @classified(C.ENTRY, description="Open the household's own portal account.")
    async def open_household_account(
        self,
        info: Info,
        household_id: strawberry.ID,
        email: str,
        password: str,
        idempotency_key: IdempotencyKey = None,
    ) -> Registered:
        return await changed(
            info,
            uuid_of(household_id, "de ménage"),
            lambda app, household: app.open_household_account(
                household, email, password_hash_of(password), **once(idempotency_key)
            ),
        )

    # ------------------------------------------------------------ diagnostic, request
    @classified(C.ENTRY, description="Open a household's case, naming its referent (R10).")
    async def open_case(
        self,
        info: Info,
        household_id: strawberry.ID,
        referent_id: strawberry.ID,
        idempotency_key: IdempotencyKey = None,
    ) -> Case:
        return await run_creating_command(
            info,
            lambda app: app.open_case(
                uuid_of(household_id, "de ménage"),
                uuid_of(referent_id, "de référent", "referent_id"),
                **once(idempotency_key),
            ),
        )

    @classified(C.ENTRY, description="Entrust the case to another referent (manager).")
    async def assign_referent(
        self,
        info: Info,
        case_id: strawberry.ID,
        referent_id: strawberry.ID,
        idempotency_key: IdempotencyKey = None,
    ) -> Case:
        return await run_case_command(
            info,
            case_id,
            lambda app, case: app.assign_referent(
                case, uuid_of(referent_id, "de référent", "referent_id"), **once(idempotency_key)
            ),
        )

    @classified(C.ENTRY, description="Record the diagnostic: difficulties and objectives.")
    async def record_diagnostic(
        self,
        info: Info,
        case_id: strawberry.ID,
        findings: list[FindingInput],
        objectives: list[ObjectiveInput],
        idempotency_key: IdempotencyKey = None,
    ) -> Case:
        return await run_case_command(
            info,
            case_id,
            lambda app, case: app.record_diagnostic(
                case,
                [finding.to_domain() for finding in findings],
                [objective.to_domain() for objective in objectives],
                **once(idempotency_key),
            ),
        )

    @classified(C.ENTRY, description="Record the household's consent.")
    async def record_consent(
        self,
        info: Info,
        case_id: strawberry.ID,
        scope: ConsentScopeEnum,  # type: ignore[valid-type]
        idempotency_key: IdempotencyKey = None,
    ) -> Case:
        return await run_case_command(
            info,
            case_id,
            lambda app, case: app.record_consent(case, scope, **once(idempotency_key)),
        )

    @classified(C.ENTRY, description="Record that the household withdrew its consent.")
    async def withdraw_consent(
        self,
        info: Info,
        case_id: strawberry.ID,
        scope: ConsentScopeEnum,  # type: ignore[valid-type]
        idempotency_key: IdempotencyKey = None,
    ) -> Case:
        return await run_case_command(
            info,
            case_id,
            lambda app, case: app.withdraw_consent(case, scope, **once(idempotency_key)),
        )

    @classified(C.ENTRY, description="Submit the request to the SPSLH (R1, R2, R9).")
    async def submit_request(
        self,
        info: Info,
        case_id: strawberry.ID,
        input: SubmitRequestInput,
        idempotency_key: IdempotencyKey = None,
    ) -> Case:
        return await run_case_command(
            info,
            case_id,
            lambda app, case: app.submit_request(case, *input.to_domain(), **once(idempotency_key)),
        )

    @classified(C.ENTRY, description="Register the request on a commission session (SPSLH).")
    async def register_request(
        self,
        info: Info,
        case_id: strawberry.ID,
        commission_session_on: date,
        idempotency_key: IdempotencyKey = None,
    ) -> Case:
        return await run_case_command(
            info,
            case_id,
            lambda app, case: app.register_request(
                case, commission_session_on, **once(idempotency_key)
            ),
        )

    @classified(C.ENTRY, description="Adjourn the request (commission).")
    async def adjourn_request(
        self,
        info: Info,
        case_id: strawberry.ID,
        reason: str,
        idempotency_key: IdempotencyKey = None,
    ) -> Case:
        return await run_case_command(
            info,
            case_id,
            lambda app, case: app.adjourn_request(case, reason, **once(idempotency_key)),
        )

    @classified(C.ENTRY, description="Reject the request (commission).")
    async def reject_request(
        self,
        info: Info,
        case_id: strawberry.ID,
        reason: str,
        idempotency_key: IdempotencyKey = None,
    ) -> Case:
        return await run_case_command(
            info,
            case_id,
            lambda app, case: app.reject_request(case, reason, **once(idempotency_key)),
        )

    # ------------------------------------------------------------------- decision
    @classified(C.ENTRY, description="Grant the measure: type, duration, probation (R4, R5).")
    async def grant_measure(
        self,
        info: Info,
        case_id: strawberry.ID,
        input: GrantMeasureInput,
        idempotency_key: IdempotencyKey = None,
    ) -> Case:
        return await run_case_command(
            info,
            case_id,
            lambda app, case: app.grant_measure(case, *input.to_domain(), **once(idempotency_key)),
        )

    @classified(C.ENTRY, description="Record that the decision was notified.")
    async def notify_decision(
        self, info: Info, case_id: strawberry.ID, idempotency_key: IdempotencyKey = None
    ) -> Case:
        return await run_case_command(
            info, case_id, lambda app, case: app.notify_decision(case, **once(idempotency_key))
        )

    # ----------------------------------------------------------------------- CEOP
    @classified(C.ENTRY, description="Draft the first version of the CEOP.")
    async def draft_ceop(
        self,
        info: Info,
        case_id: strawberry.ID,
        input: CeopInput,
        idempotency_key: IdempotencyKey = None,
    ) -> Case:
        return await run_case_command(
            info,
            case_id,
            lambda app, case: app.draft_ceop(case, *input.to_domain(), **once(idempotency_key)),
        )

    @classified(C.ENTRY, description="Amend the CEOP: a new version to sign (R8).")
    async def amend_ceop(
        self,
        info: Info,
        case_id: strawberry.ID,
        input: CeopInput,
        idempotency_key: IdempotencyKey = None,
    ) -> Case:
        return await run_case_command(
            info,
            case_id,
            lambda app, case: app.amend_ceop(case, *input.to_domain(), **once(idempotency_key)),
        )

    @classified(C.ENTRY, description="Record one party's signature of the CEOP (R6).")
    async def record_ceop_signature(
        self,
        info: Info,
        case_id: strawberry.ID,
        signatory: SignatoryEnum,  # type: ignore[valid-type]
        signed_on: date,
        idempotency_key: IdempotencyKey = None,
    ) -> Case:
        return await run_case_command(
            info,
            case_id,
            lambda app, case: app.record_ceop_signature(
                case, signatory, signed_on, **once(idempotency_key)
            ),
        )

    @classified(C.ENTRY, description="Transmit the signed CEOP to the SPSLH.")
    async def transmit_ceop(
        self, info: Info, case_id: strawberry.ID, idempotency_key: IdempotencyKey = None
    ) -> Case:
        return await run_case_command(
            info, case_id, lambda app, case: app.transmit_ceop(case, **once(idempotency_key))
        )

    @classified(C.ENTRY, description="Record progress towards an objective of the CEOP.")
    async def record_objective_progress(
        self,
        info: Info,
        case_id: strawberry.ID,
        input: ObjectiveProgressInput,
        idempotency_key: IdempotencyKey = None,
    ) -> Case:
        return await run_case_command(
            info,
            case_id,
            lambda app, case: app.record_objective_progress(
                case, *input.to_domain(), **once(idempotency_key)
            ),
        )

    # ------------------------------------------------------------ visits, contacts
    @classified(C.ENTRY, description="Plan a visit (an instant with its time zone).")
    async def schedule_visit(
        self,
        info: Info,
        case_id: strawberry.ID,
        planned_at: datetime,
        kind: VisitKindEnum,  # type: ignore[valid-type]
        idempotency_key: IdempotencyKey = None,
    ) -> Case:
        return await run_case_command(
            info,
            case_id,
            lambda app, case: app.schedule_visit(case, planned_at, kind, **once(idempotency_key)),
        )

    @classified(C.ENTRY, description="Record a visit that took place (R4).")
    async def record_visit(
        self,
        info: Info,
        case_id: strawberry.ID,
        input: RecordVisitInput,
        idempotency_key: IdempotencyKey = None,
    ) -> Case:
        return await run_case_command(
            info,
            case_id,
            lambda app, case: app.record_visit(case, *input.to_domain(), **once(idempotency_key)),
        )

    @classified(C.ENTRY, description="Record that a planned visit did not take place.")
    async def record_missed_visit(
        self,
        info: Info,
        case_id: strawberry.ID,
        visit_id: strawberry.ID,
        reason: str = "",
        idempotency_key: IdempotencyKey = None,
    ) -> Case:
        return await run_case_command(
            info,
            case_id,
            lambda app, case: app.record_missed_visit(
                case,
                uuid_of(visit_id, "de rendez-vous", "visit_id"),
                reason,
                **once(idempotency_key),
            ),
        )

    @classified(C.ENTRY, description="Record a contact with the household.")
    async def record_contact(
        self,
        info: Info,
        case_id: strawberry.ID,
        input: RecordContactInput,
        idempotency_key: IdempotencyKey = None,
    ) -> Case:
        return await run_case_command(
            info,
            case_id,
            lambda app, case: app.record_contact(case, *input.to_domain(), **once(idempotency_key)),
        )

    # ---------------------------------------------------------------------- alerts
    @classified(C.ENTRY, description="Stop the alert clock for a period (R7).")
    async def suspend_alert_clock(
        self,
        info: Info,
        case_id: strawberry.ID,
        input: SuspensionInput,
        idempotency_key: IdempotencyKey = None,
    ) -> Case:
        return await run_case_command(
            info,
            case_id,
            lambda app, case: app.suspend_alert_clock(
                case, *input.to_domain(), **once(idempotency_key)
            ),
        )

    @classified(C.ENTRY, description="Raise a non-collaboration alert (R7), as of a day.")
    async def raise_non_collaboration_alert(
        self,
        info: Info,
        case_id: strawberry.ID,
        as_of: date | None = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Case:
        return await run_case_command(
            info,
            case_id,
            lambda app, case: app.raise_non_collaboration_alert(
                case, as_of, **once(idempotency_key)
            ),
        )

    @classified(C.ENTRY, description="Record a concertation with the landlord or partners.")
    async def hold_concertation(
        self,
        info: Info,
        case_id: strawberry.ID,
        input: ConcertationInput,
        idempotency_key: IdempotencyKey = None,
    ) -> Case:
        return await run_case_command(
            info,
            case_id,
            lambda app, case: app.hold_concertation(
                case, *input.to_domain(), **once(idempotency_key)
            ),
        )

    @classified(C.ENTRY, description="Invite the referent to a commission session.")
    async def issue_commission_invitation(
        self,
        info: Info,
        case_id: strawberry.ID,
        session_on: date,
        idempotency_key: IdempotencyKey = None,
    ) -> Case:
        return await run_case_command(
            info,
            case_id,
            lambda app, case: app.issue_commission_invitation(
                case, session_on, **once(idempotency_key)
            ),
        )

    # ------------------------------------------------------------------ debts, rent
    @classified(C.ENTRY, description="Record a debt of the household.")
    async def record_debt(
        self,
        info: Info,
        case_id: strawberry.ID,
        input: DebtInput,
        idempotency_key: IdempotencyKey = None,
    ) -> Case:
        return await run_case_command(
            info,
            case_id,
            lambda app, case: app.record_debt(case, *input.to_domain(), **once(idempotency_key)),
        )

    @classified(C.ENTRY, description="Record the repayment plan agreed for a debt.")
    async def agree_repayment_plan(
        self,
        info: Info,
        case_id: strawberry.ID,
        input: RepaymentPlanInput,
        idempotency_key: IdempotencyKey = None,
    ) -> Case:
        return await run_case_command(
            info,
            case_id,
            lambda app, case: app.agree_repayment_plan(
                case, *input.to_domain(), **once(idempotency_key)
            ),
        )

    @classified(C.ENTRY, description="Report a month's rent: due and paid (landlord).")
    async def report_rent_payment(
        self,
        info: Info,
        case_id: strawberry.ID,
        input: RentPaymentInput,
        idempotency_key: IdempotencyKey = None,
    ) -> Case:
        return await run_case_command(
            info,
            case_id,
            lambda app, case: app.report_rent_payment(
                case, *input.to_domain(), **once(idempotency_key)
            ),
        )

    # ------------------------------------------------------------------- documents
    @classified(
        C.ENTRY,
        description="Join a document to the case (association, or the household on its own "
        "case): its description, SHA-256 and the receipt of the viewer's upload of it; the "
        "content is uploaded first (POST /uploads, or the portal's form).",
    )
    async def attach_document(
        self,
        info: Info,
        case_id: strawberry.ID,
        input: AttachDocumentInput,
        idempotency_key: IdempotencyKey = None,
    ) -> Case:
        arguments = input.to_domain(info.context.settings, viewer_of(info).id)
        return await run_case_command(
            info,
            case_id,
            lambda app, case: app.attach_document(case, *arguments, **once(idempotency_key)),
        )

    # -------------------------------------------------------------- end of measure
    @classified(C.ENTRY, description="Extend the measure (commission).")
    async def extend_measure(
        self,
        info: Info,
        case_id: strawberry.ID,
        additional_months: int,
        reason: str,
        idempotency_key: IdempotencyKey = None,
    ) -> Case:
        return await run_case_command(
            info,
            case_id,
            lambda app, case: app.extend_measure(
                case, additional_months, reason, **once(idempotency_key)
            ),
        )

    @classified(
        C.ENTRY,
        description="R9: the commission decides, with its reasons, that the measure goes on "
        "despite the accompaniment reported during it (to stop it, stopMeasure).",
    )
    async def settle_combination_conflict(
        self,
        info: Info,
        case_id: strawberry.ID,
        decision: str,
        idempotency_key: IdempotencyKey = None,
    ) -> Case:
        return await run_case_command(
            info,
            case_id,
            lambda app, case: app.settle_combination_conflict(
                case, decision, **once(idempotency_key)
            ),
        )

    @classified(C.ENTRY, description="Stop the measure (commission, R7).")
    async def stop_measure(
        self,
        info: Info,
        case_id: strawberry.ID,
        reason: StopReasonEnum,  # type: ignore[valid-type]
        details: str = "",
        idempotency_key: IdempotencyKey = None,
    ) -> Case:
        return await run_case_command(
            info,
            case_id,
            lambda app, case: app.stop_measure(case, reason, details, **once(idempotency_key)),
        )

    @classified(C.ENTRY, description="Record that the measure reached its end.")
    async def complete_measure(
        self, info: Info, case_id: strawberry.ID, idempotency_key: IdempotencyKey = None
    ) -> Case:
        return await run_case_command(
            info, case_id, lambda app, case: app.complete_measure(case, **once(idempotency_key))
        )

    @classified(C.ENTRY, description="Submit the final report of the measure.")
    async def submit_final_report(
        self,
        info: Info,
        case_id: strawberry.ID,
        household_still_housed: bool,
        summary: str,
        idempotency_key: IdempotencyKey = None,
    ) -> Case:
        return await run_case_command(
            info,
            case_id,
            lambda app, case: app.submit_final_report(
                case, household_still_housed, summary, **once(idempotency_key)
            ),
        )
