"""The ASPE application service: one method per command of the domain.

Each method loads, commands and saves: everything one use case touches is saved in one
``save`` call, so it is atomic. A command on the case alone is one line,
``x = case_command(Case.x)``: the domain's method, with the case loaded and saved around
it (``aggregate_command`` likewise on a staff account or a household). Commands return the
notification position of their last stored event (``Created`` for those that create an
aggregate), which readers use to wait for a projection to catch up. The actor comes from
``acting_as``, never from a parameter.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import takewhile
from typing import Any, ClassVar, TypeVar, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Mapper

from aspe import french
from aspe.application.commands import (
    Created,
    PendingCommand,
    aggregate_command,
    case_command,
    command,
    pending_idempotency_record,
    replay_result,
)
from aspe.application.passwords import TypedPassword, matches
from aspe.application.transcodings import register_value_types
from aspe.domain import VALUE_TYPES
from aspe.domain.accounts import EmailClaim
from aspe.domain.actors import Role, current_context
from aspe.domain.audited import AuditedAggregate
from aspe.domain.bounds import DEFAULT_BOUNDS, InputBounds
from aspe.domain.case import Case
from aspe.domain.documents import DocumentContent
from aspe.domain.errors import ConcurrentUpdate, EmailAlreadyUsed, InvalidInput, NotFound
from aspe.domain.household import HOUSEHOLD_NOT_FOUND, Household
from aspe.domain.organisation import Organisation
from aspe.domain.rules import DEFAULT_RULES, RuleParameters
from aspe.domain.staff import STAFF_NOT_FOUND, Staff
from aspe.domain.values import (
    AccompanimentKind,
    Address,
    AidRequest,
    Diploma,
    DocumentKind,
    ErasureGround,
    LandlordCategory,
    MeasureType,
    OrganisationKind,
    StopReason,
    Theme,
    VisitKind,
)
from aspe.privacy.keys import DataKeys
from aspe.privacy.sealing import SealingMapper

A = TypeVar("A", bound=AuditedAggregate)


class NewEventsSignal:
    """Set when this process stores events; waiters wake at once instead of polling late."""

    def __init__(self) -> None:
        self._condition = threading.Condition()

    def notify(self) -> None:
        with self._condition:
            self._condition.notify_all()

    def wait(self, timeout: float) -> None:
        with self._condition:
            self._condition.wait(timeout)


NOT_FOUND_MESSAGES: dict[type[AuditedAggregate], str] = {
    Case: "Dossier introuvable.",
    Household: HOUSEHOLD_NOT_FOUND,
    Staff: STAFF_NOT_FOUND,
    Organisation: "Organisation introuvable.",
}


class AspeApplication(Application[UUID]):
    name = "aspe"
    is_snapshotting_enabled = True
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {Case: 50}

    def __init__(
        self,
        env: dict[str, str] | None = None,
        rules: RuleParameters = DEFAULT_RULES,
        snapshot_interval: int = 50,
        bounds: InputBounds = DEFAULT_BOUNDS,
        master_key: bytes | None = None,
        seal_personal_data: bool = True,
    ) -> None:
        self.rules = rules
        self.bounds = bounds
        self.new_events = NewEventsSignal()
        # The library reads the intervals through ``self``: one per application, from Settings.
        self.snapshotting_intervals = {Case: snapshot_interval}  # type: ignore[misc]
        super().__init__(env)
        self.data_keys = self._data_keys(master_key)
        if seal_personal_data:  # off only for the benchmark's baseline
            cast(SealingMapper, self.mapper).keys = self.data_keys

    def construct_mapper(self) -> Mapper[UUID]:
        return self.factory.mapper(self.construct_transcoder(), mapper_class=SealingMapper)

    def _data_keys(self, master_key: bytes | None) -> DataKeys:
        recorder: Any = self.recorder
        statements = getattr(recorder, "keys", None)
        if statements is None:  # a store not built from Settings (aspe.audit's recorders)
            raise TypeError(f"{type(recorder).__qualname__} keeps no data keys")
        datastore = recorder.datastore
        return DataKeys(statements, lambda commit: datastore.transaction(commit=commit), master_key)

    def _notify(self, recordings: list[Any]) -> None:
        """Wake this process's projection runner (the embedded store cannot LISTEN)."""
        self.new_events.notify()

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_value_types(transcoder, VALUE_TYPES)

    # ------------------------------------------------------------------ plumbing
    def load(self, aggregate_class: type[A], aggregate_id: UUID, version: int | None = None) -> A:
        try:
            aggregate: Any = self.repository.get(aggregate_id, version=version)
        except AggregateNotFoundError:
            raise NotFound(NOT_FOUND_MESSAGES[aggregate_class]) from None
        if not isinstance(aggregate, aggregate_class):
            raise NotFound(NOT_FOUND_MESSAGES[aggregate_class])
        return aggregate

    def save_command(self, *aggregates: AuditedAggregate, created: UUID | None = None) -> int:
        """Store the use case's aggregates atomically, with its idempotency record if any."""
        record = pending_idempotency_record(created)
        try:
            recordings = self.save(*aggregates, *([record] if record else []))
        except IntegrityError:
            raise ConcurrentUpdate() from None
        return recordings[-1].notification.id

    def replay_idempotent(self, pending: PendingCommand) -> Any:
        """The first run's result for this key, or None when the key is new.

        The position returned is the store's head: at or after the first run's events, so
        a reader waiting for it sees them.
        """
        try:
            record: Any = self.repository.get(pending.record_id())
        except AggregateNotFoundError:
            return None
        pending.check_matches(record)
        return replay_result(record, self.head())

    def head(self) -> int:
        """The position of the last stored event (0 for an empty store)."""
        return self.recorder.max_notification_id() or 0

    def _created(self, aggregate: AuditedAggregate, *others: AuditedAggregate) -> Created:
        return Created(aggregate.id, self.save_command(aggregate, *others, created=aggregate.id))

    # ----------------------------------------------------------------- accounts
    def _claim_email(self, email: str, account_id: UUID, role: Role) -> EmailClaim:
        claim = self._email_claim(email)
        if claim is None:
            return EmailClaim.claim(email, account_id, role)
        if not claim.is_released:
            raise EmailAlreadyUsed()
        claim.claim_again(account_id, role)
        return claim

    def _email_claim(self, email: str) -> EmailClaim | None:
        try:
            claim: Any = self.repository.get(EmailClaim.id_for(email))
        except AggregateNotFoundError:
            return None
        return cast(EmailClaim, claim)

    def account_for_email(self, email: str) -> tuple[UUID, Role] | None:
        """The account (staff or household) that logs in with ``email``, and its role."""
        try:
            claim = self._email_claim(email)
        except InvalidInput:
            return None
        if claim is None or claim.account_id is None:
            return None
        return claim.account_id, claim.role

    def load_account(self, account_id: UUID, role: Role) -> Staff | Household:
        """The staff or household account of a token or a login (``NotFound`` if none)."""
        if role is Role.HOUSEHOLD:
            return self.load(Household, account_id)
        return self.load(Staff, account_id)

    def _any_account(self, account_id: UUID) -> Staff | Household:
        try:
            aggregate: Any = self.repository.get(account_id)
        except AggregateNotFoundError:
            aggregate = None
        if isinstance(aggregate, Staff) or (
            isinstance(aggregate, Household) and aggregate.has_account
        ):
            return aggregate
        raise NotFound(NOT_FOUND_MESSAGES[Staff])

    @command
    def deactivate_account(self, account_id: UUID) -> int:
        return self._set_account_active(account_id, False)

    @command
    def reactivate_account(self, account_id: UUID) -> int:
        return self._set_account_active(account_id, True)

    def _set_account_active(self, account_id: UUID, active: bool) -> int:
        account = self._any_account(account_id)
        account.set_active(active)
        return self.save_command(account)

    @command
    def change_password(
        self, account_id: UUID, current_password: TypedPassword, password_hash: str
    ) -> int:
        account = self._any_account(account_id)
        account.change_password(matches(current_password), password_hash)
        return self.save_command(account)

    reset_staff_password = aggregate_command(Staff, Staff.reset_password, "reset_staff_password")

    @command
    def logout(self, account_id: UUID) -> int:
        """End every session of the account: its tokens carry an older credentials version.

        One sign-out ends the account's sessions on every device: no revocation list to
        keep and prune, and the check costs nothing more than the account's own load."""
        account = self._any_account(account_id)
        account.sign_out()
        return self.save_command(account)

    # ------------------------------------------------------------ organisations
    @command
    def register_organisation(
        self, name: str, kind: OrganisationKind, landlord_category: LandlordCategory | None = None
    ) -> Created:
        return self._created(Organisation.register(name, kind, landlord_category))

    @command
    def register_staff(
        self,
        organisation_id: UUID,
        role: Role,
        full_name: str,
        email: str,
        password_hash: str,
        diploma: Diploma = Diploma.NONE,
    ) -> Created:
        self.load(Organisation, organisation_id)
        staff = Staff.register(organisation_id, role, full_name, email, password_hash, diploma)
        return self._created(staff, self._claim_email(email, staff.id, role))

    record_qualification = aggregate_command(Staff, Staff.record_qualification)

    # ---------------------------------------------------------------- households
    @command
    def register_household(
        self, landlord_id: UUID, address: Address, name: str, contact: str, members: int
    ) -> Created:
        self.load(Organisation, landlord_id)
        return self._created(Household.register(landlord_id, address, name, contact, members))

    @command
    def record_accompaniment(
        self,
        household_id: UUID,
        kind: AccompanimentKind,
        starts_on: date,
        ends_on: date | None = None,
    ) -> int:
        household = self.load(Household, household_id)
        household.record_accompaniment(kind, starts_on, ends_on)
        if household.open_case_id is None:
            return self.save_command(household)
        # R9: during a granted measure, the fact raises a conflict on the case, in the
        # same save.
        case = self.get_case(household.open_case_id)
        case.note_accompaniment(kind, starts_on, ends_on)
        return self.save_command(household, case)

    @command
    def correct_household_details(
        self, case_id: UUID, address: Address, name: str, contact: str, members: int
    ) -> int:
        """The household's right of rectification, from one of its cases."""
        case, household = self._case_and_household(case_id)
        household.correct_details(case, address, name, contact, members)
        return self.save_command(household)

    @command
    def open_household_account(self, household_id: UUID, email: str, password_hash: str) -> int:
        household = self.load(Household, household_id)
        household.open_account(email, password_hash)
        return self.save_command(household, self._claim_email(email, household.id, Role.HOUSEHOLD))

    @command
    def replace_household_credentials(
        self, household_id: UUID, email: str, password_hash: str
    ) -> int:
        household = self.load(Household, household_id)
        previous = household.account_email
        household.replace_credentials(email, password_hash)
        if household.account_email == previous:
            return self.save_command(household)
        claims = [self._claim_email(email, household.id, Role.HOUSEHOLD)]
        if previous is not None and (old_claim := self._email_claim(previous)) is not None:
            old_claim.release()
            claims.append(old_claim)
        return self.save_command(household, *claims)

    @command
    def erase_household(self, household_id: UUID, ground: ErasureGround, reason: str) -> int:
        """Record the household's erasure and destroy its key (``aspe.privacy.erasure`` purges
        the copies). The key goes before the record is stored: whoever reads the record finds
        nothing left to open. Its login address is released for another account."""
        household = self.load(Household, household_id)
        email = household.account_email
        household.erase(ground, reason)
        self.data_keys.destroy(household_id)
        claim = self._email_claim(email) if email is not None else None
        if claim is not None and claim.account_id == household_id and not claim.is_released:
            claim.release()
            return self.save_command(household, claim)
        return self.save_command(household)

    set_legal_hold = aggregate_command(Household, Household.set_legal_hold)
    lift_legal_hold = aggregate_command(Household, Household.lift_legal_hold)

    # --------------------------------------------------------------------- cases
    def get_case(self, case_id: UUID, version: int | None = None) -> Case:
        return self.load(Case, case_id, version)

    def stored_events(
        self, aggregate_id: UUID, until: datetime | None = None
    ) -> list[AuditedAggregate.Event]:
        """The events of one aggregate as stored, oldest first; with ``until`` (naive:
        UTC), only those stored up to that instant."""
        events = cast(Iterable[AuditedAggregate.Event], self.events.get(aggregate_id))
        if until is None:
            return list(events)
        until = until if until.tzinfo else until.replace(tzinfo=UTC)
        return list(takewhile(lambda event: event.timestamp <= until, events))

    def case_as_of(self, case_id: UUID, instant: datetime) -> Case:
        """The case as it stood at ``instant``: its events stored up to then, replayed.

        Raises ``NotFound`` if the case did not exist yet. A naive ``instant`` is UTC.
        """
        instant = instant if instant.tzinfo else instant.replace(tzinfo=UTC)
        events = self.stored_events(case_id, until=instant)
        version = events[-1].originator_version if events else None
        if version is None:
            self.get_case(case_id)  # NotFound if there is no such case at all
            then = french.moment(instant, self.rules.zone)
            raise NotFound(f"Le dossier n'existait pas encore le {then}.")
        return self.get_case(case_id, version)

    def _case_and_household(self, case_id: UUID) -> tuple[Case, Household]:
        case = self.get_case(case_id)
        return case, self.load(Household, case.household_id)

    @command
    def open_case(self, household_id: UUID, referent_id: UUID) -> Created:
        household = self.load(Household, household_id)
        case = Case.open(household, self.load(Staff, referent_id))
        return self._created(case, household)

    @command
    def assign_referent(self, case_id: UUID, referent_id: UUID) -> int:
        case = self.get_case(case_id)
        case.assign_referent(self.load(Staff, referent_id), self.rules)
        return self.save_command(case)

    record_diagnostic = case_command(Case.record_diagnostic)
    record_consent = case_command(Case.record_consent)
    withdraw_consent = case_command(Case.withdraw_consent)

    @command
    def submit_request(
        self,
        case_id: UUID,
        aid_request: AidRequest | None,
        proposed_measure: MeasureType,
        proposed_duration_months: int,
    ) -> int:
        case, household = self._case_and_household(case_id)
        case.submit_request(aid_request, proposed_measure, proposed_duration_months, household)
        return self.save_command(case, household)

    register_request = case_command(Case.register_request)
    adjourn_request = case_command(Case.adjourn_request)

    @command
    def reject_request(self, case_id: UUID, reason: str) -> int:
        case, household = self._case_and_household(case_id)
        case.reject_request(reason, household)
        return self.save_command(case, household)

    @command
    def grant_measure(
        self,
        case_id: UUID,
        measure_type: MeasureType,
        duration_months: int,
        probation_months: int,
        aid_granted: Decimal,
    ) -> int:
        case, household = self._case_and_household(case_id)
        case.grant_measure(measure_type, duration_months, probation_months, aid_granted, household)
        return self.save_command(case, household)

    notify_decision = case_command(Case.notify_decision)
    draft_ceop = case_command(Case.draft_ceop)
    amend_ceop = case_command(Case.amend_ceop)
    record_ceop_signature = case_command(Case.record_ceop_signature)
    transmit_ceop = case_command(Case.transmit_ceop)
    record_objective_progress = case_command(Case.record_objective_progress)

    @command
    def schedule_visit(self, case_id: UUID, planned_at: datetime, kind: VisitKind) -> Created:
        case = self.get_case(case_id)
        visit_id = UUID(case.schedule_visit(planned_at, kind))
        return Created(visit_id, self.save_command(case, created=visit_id))

    @command
    def record_visit(
        self,
        case_id: UUID,
        occurred_on: date,
        kind: VisitKind,
        themes: Sequence[Theme],
        note: str = "",
        household_present: bool = True,
        visit_id: UUID | None = None,
    ) -> int:
        case = self.get_case(case_id)
        visit = None if visit_id is None else visit_id.hex
        case.record_visit(occurred_on, kind, themes, note, household_present, visit)
        return self.save_command(case)

    @command
    def record_missed_visit(self, case_id: UUID, visit_id: UUID, reason: str = "") -> int:
        case = self.get_case(case_id)
        case.record_missed_visit(visit_id.hex, reason)
        return self.save_command(case)

    record_contact = case_command(Case.record_contact)
    suspend_alert_clock = case_command(Case.suspend_alert_clock)

    @command
    def raise_non_collaboration_alert(self, case_id: UUID, as_of: date | None = None) -> int:
        case = self.get_case(case_id)
        case.raise_non_collaboration_alert(as_of or current_context().today(), self.rules)
        return self.save_command(case)

    hold_concertation = case_command(Case.hold_concertation)

    @command
    def issue_commission_invitation(self, case_id: UUID, session_on: date) -> int:
        case = self.get_case(case_id)
        case.issue_commission_invitation(session_on, case.referent_id)
        return self.save_command(case)

    @command
    def record_debt(
        self, case_id: UUID, creditor: str, amount: Decimal, creditor_is_landlord: bool
    ) -> Created:
        case = self.get_case(case_id)
        debt_id = UUID(case.record_debt(creditor, amount, creditor_is_landlord))
        return Created(debt_id, self.save_command(case, created=debt_id))

    @command
    def agree_repayment_plan(
        self, case_id: UUID, debt_id: UUID, monthly_amount: Decimal, first_due_on: date, months: int
    ) -> int:
        case = self.get_case(case_id)
        case.agree_repayment_plan(debt_id.hex, monthly_amount, first_due_on, months)
        return self.save_command(case)

    report_rent_payment = case_command(Case.report_rent_payment)

    @command
    def attach_document(
        self,
        case_id: UUID,
        kind: DocumentKind,
        filename: str,
        media_type: str,
        size: int,
        sha256: str,
    ) -> Created:
        """Join a document to the case: its description and SHA-256 (the content is stored
        apart, by its hash, before this command runs). The content keeps the kind of its
        first attachment, on every case (``DocumentContent``)."""
        case = self.get_case(case_id)
        document_id = UUID(case.attach_document(kind, filename, media_type, size, sha256))
        content = self._content_of_kind(sha256, kind)
        return Created(document_id, self.save_command(case, *content, created=document_id))

    def _content_of_kind(self, sha256: str, kind: DocumentKind) -> list[DocumentContent]:
        """What the attachment stores of its content: a new ``DocumentContent`` at its first
        attachment, nothing after (once checked that ``kind`` is the content's)."""
        try:
            content: Any = self.repository.get(DocumentContent.id_for(sha256))
        except AggregateNotFoundError:
            return [DocumentContent.first_attached(sha256, kind)]
        content.check_kind(kind)
        return []

    settle_combination_conflict = case_command(Case.settle_combination_conflict)
    extend_measure = case_command(Case.extend_measure)

    @command
    def stop_measure(self, case_id: UUID, reason: StopReason, details: str = "") -> int:
        case, household = self._case_and_household(case_id)
        case.stop_measure(reason, details, household)
        return self.save_command(case, household)

    @command
    def complete_measure(self, case_id: UUID) -> int:
        case, household = self._case_and_household(case_id)
        case.complete_measure(household)
        return self.save_command(case, household)

    submit_final_report = case_command(Case.submit_final_report)
    archive = case_command(Case.archive)
