"""The mutations: one per command of the domain, each a thin call into the application.

Most are one declaration (``command_mutations``): the application command, the mutation's
description and its arguments. A command on a case returns the case as it stands after it
(the runner checks that the viewer sees the case, runs the command as the viewer and waits
for the read model); an organisation or account command returns the id it registered or
changed. Who may run what is the domain's to decide (``NOT_AUTHORISED``…), never a
resolver's. The few written out here do more than pass their arguments on.
"""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from strawberry.types import Info

from aspe.application import AspeApplication as App
from aspe.authorization import C
from aspe.graphql.command_mutations import (
    Argument,
    Id,
    IdempotencyKey,
    Items,
    NewPassword,
    Target,
    case_mutation,
    entry_mutation,
    once,
    registration_mutation,
)
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
    HouseholdDetailsInput,
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
    uuid_of,
)
from aspe.graphql.permissions import classified
from aspe.graphql.reading import run_case_command, run_creating_command, viewer_of
from aspe.graphql.types import Case, SignatoryEnum, StopReasonEnum, VisitKindEnum

HOUSEHOLD = "de ménage"


@strawberry.type
class CaseMutations:
    # -------------------------------------------------------- organisations, accounts
    register_organisation = registration_mutation(
        App.register_organisation,
        "Register an organisation (administrator).",
        input=OrganisationInput,
    )
    register_staff = registration_mutation(
        App.register_staff,
        "Register a staff account with its password (the administrator; a manager for its "
        "association, as a referent or a manager).",
        input=StaffInput,
    )
    record_qualification = entry_mutation(
        App.record_qualification,
        "Record a staff member's diploma (R10).",
        staff_id=Target("de compte"),
        diploma=DiplomaEnum,
    )
    register_household = registration_mutation(
        App.register_household, "Register a household and its landlord.", input=HouseholdInput
    )
    record_accompaniment = entry_mutation(
        App.record_accompaniment,
        "Record an FSL or anti-poverty-plan accompaniment (R9).",
        household_id=Target(HOUSEHOLD),
        input=AccompanimentInput,
    )
    open_household_account = entry_mutation(
        App.open_household_account,
        "Open the household's own portal account.",
        household_id=Target(HOUSEHOLD),
        email=str,
        password=NewPassword(),
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
                uuid_of(household_id, HOUSEHOLD),
                uuid_of(referent_id, "de référent", "referent_id"),
                **once(idempotency_key),
            ),
        )

    assign_referent = case_mutation(
        App.assign_referent,
        "Entrust the case to another referent (manager).",
        referent_id=Id("de référent"),
    )
    record_diagnostic = case_mutation(
        App.record_diagnostic,
        "Record the diagnostic: difficulties and objectives.",
        findings=Items(FindingInput),
        objectives=Items(ObjectiveInput),
    )
    record_consent = case_mutation(
        App.record_consent, "Record the household's consent.", scope=ConsentScopeEnum
    )
    withdraw_consent = case_mutation(
        App.withdraw_consent,
        "Record that the household withdrew its consent.",
        scope=ConsentScopeEnum,
    )
    correct_household_details = case_mutation(
        App.correct_household_details,
        "Correct the household's name, address, contact or members (right of rectification); "
        "the registered values stay in the history.",
        input=HouseholdDetailsInput,
    )
    submit_request = case_mutation(
        App.submit_request,
        "Submit the request to the SPSLH (R1, R2, R9).",
        input=SubmitRequestInput,
    )
    register_request = case_mutation(
        App.register_request,
        "Register the request on a commission session (SPSLH).",
        commission_session_on=date,
    )
    adjourn_request = case_mutation(
        App.adjourn_request, "Adjourn the request (commission).", reason=str
    )
    reject_request = case_mutation(
        App.reject_request, "Reject the request (commission).", reason=str
    )

    # ------------------------------------------------------------------- decision
    grant_measure = case_mutation(
        App.grant_measure,
        "Grant the measure: type, duration, probation (R4, R5).",
        input=GrantMeasureInput,
    )
    notify_decision = case_mutation(App.notify_decision, "Record that the decision was notified.")

    # ----------------------------------------------------------------------- CEOP
    draft_ceop = case_mutation(
        App.draft_ceop, "Draft the first version of the CEOP.", input=CeopInput
    )
    amend_ceop = case_mutation(
        App.amend_ceop, "Amend the CEOP: a new version to sign (R8).", input=CeopInput
    )
    record_ceop_signature = case_mutation(
        App.record_ceop_signature,
        "Record one party's signature of the CEOP (R6).",
        signatory=SignatoryEnum,
        signed_on=date,
    )
    transmit_ceop = case_mutation(App.transmit_ceop, "Transmit the signed CEOP to the SPSLH.")
    record_objective_progress = case_mutation(
        App.record_objective_progress,
        "Record progress towards an objective of the CEOP.",
        input=ObjectiveProgressInput,
    )

    # ------------------------------------------------------------ visits, contacts
    schedule_visit = case_mutation(
        App.schedule_visit,
        "Plan a visit (an instant with its time zone).",
        planned_at=datetime,
        kind=VisitKindEnum,
    )
    record_visit = case_mutation(
        App.record_visit, "Record a visit that took place (R4).", input=RecordVisitInput
    )
    record_missed_visit = case_mutation(
        App.record_missed_visit,
        "Record that a planned visit did not take place.",
        visit_id=Id("de rendez-vous"),
        reason=Argument(str, default=""),
    )
    record_contact = case_mutation(
        App.record_contact, "Record a contact with the household.", input=RecordContactInput
    )

    # ---------------------------------------------------------------------- alerts
    suspend_alert_clock = case_mutation(
        App.suspend_alert_clock, "Stop the alert clock for a period (R7).", input=SuspensionInput
    )
    raise_non_collaboration_alert = case_mutation(
        App.raise_non_collaboration_alert,
        "Raise a non-collaboration alert (R7), as of a day.",
        as_of=Argument(date | None, default=None),
    )
    hold_concertation = case_mutation(
        App.hold_concertation,
        "Record a concertation with the landlord or partners.",
        input=ConcertationInput,
    )
    issue_commission_invitation = case_mutation(
        App.issue_commission_invitation,
        "Invite the referent to a commission session.",
        session_on=date,
    )

    # ------------------------------------------------------------------ debts, rent
    record_debt = case_mutation(App.record_debt, "Record a debt of the household.", input=DebtInput)
    agree_repayment_plan = case_mutation(
        App.agree_repayment_plan,
        "Record the repayment plan agreed for a debt.",
        input=RepaymentPlanInput,
    )
    report_rent_payment = case_mutation(
        App.report_rent_payment,
        "Report a month's rent: due and paid (landlord).",
        input=RentPaymentInput,
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
        # The receipt is checked against the viewer who uploaded, before the command runs.
        arguments = input.to_domain(info.context.settings, viewer_of(info).id)
        return await run_case_command(
            info,
            case_id,
            lambda app, case: app.attach_document(case, *arguments, **once(idempotency_key)),
        )

    # -------------------------------------------------------------- end of measure
    extend_measure = case_mutation(
        App.extend_measure,
        "Extend the measure (commission).",
        additional_months=int,
        reason=str,
    )
    settle_combination_conflict = case_mutation(
        App.settle_combination_conflict,
        "R9: the commission decides, with its reasons, that the measure goes on despite the "
        "accompaniment reported during it (to stop it, stopMeasure).",
        decision=str,
    )
    stop_measure = case_mutation(
        App.stop_measure,
        "Stop the measure (commission, R7).",
        reason=StopReasonEnum,
        details=Argument(str, default=""),
    )
    complete_measure = case_mutation(
        App.complete_measure, "Record that the measure reached its end."
    )
    submit_final_report = case_mutation(
        App.submit_final_report,
        "Submit the final report of the measure.",
        household_still_housed=bool,
        summary=str,
    )
