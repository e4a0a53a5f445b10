"""The mutations' inputs, each turned into the domain's own values by ``to_domain``.

Value inputs (``FindingInput``…) give one domain value; a command's input gives the
command's arguments after the case, in the application method's order, as a typed tuple.
Enums are the domain's own, registered once (in ``types`` or below). Ids arrive as text and
amounts as decimals: a malformed id or a non-finite, outsized amount is ``INVALID_INPUT``
here, before anything runs (the read models keep amounts as integer cents). Every other
rule (empty text, negative amounts, dates) is the domain's to refuse.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

import strawberry

from aspe import french
from aspe.application.passwords import hash_password
from aspe.domain import values
from aspe.domain.actors import Role as DomainRole
from aspe.domain.errors import InvalidInput
from aspe.domain.hygiene import FORBIDDEN_CHARACTERS
from aspe.graphql.receipts import Upload, check_receipt
from aspe.graphql.types import (
    AccompanimentKindEnum,
    ChannelEnum,
    DocumentKindEnum,
    MeasureTypeEnum,
    PartyEnum,
    ProgressEnum,
    Role,
    SuspensionReasonEnum,
    ThemeEnum,
    VisitKindEnum,
)
from aspe.settings import Settings

ConsentScopeEnum = strawberry.enum(values.ConsentScope, name="ConsentScope")
OrganisationKindEnum = strawberry.enum(values.OrganisationKind, name="OrganisationKind")
LandlordCategoryEnum = strawberry.enum(values.LandlordCategory, name="LandlordCategory")
DiplomaEnum = strawberry.enum(values.Diploma, name="Diploma")

MAX_AMOUNT = Decimal("1000000000")
"""A billion euros: far above any aid or rent, far below what integer cents can hold."""
MIN_PASSWORD_LENGTH = 8


def uuid_of(value: str, what: str, field: str | None = None) -> UUID:
    """The id ``value`` names, or ``INVALID_INPUT`` naming ``what`` it should identify (and
    the ``field`` of the input that carried it)."""
    try:
        return UUID(str(value))
    except ValueError:
        raise InvalidInput(f"L'identifiant {what} est invalide.", field=field) from None


def optional_uuid(value: str | None, what: str) -> UUID | None:
    return None if value is None else uuid_of(value, what)


def money(amount: Decimal) -> Decimal:
    """``amount`` if it is a finite sum the read models can hold (the sign is the domain's).

    ``copy_abs`` rather than ``abs``: the latter rounds to the decimal context, and a sum
    such as ``1E+999999999`` overflows it (an error of its own) before it can be compared."""
    if not amount.is_finite() or amount.copy_abs() > MAX_AMOUNT:
        raise InvalidInput("Le montant est invalide.")
    return amount


def password_hash_of(password: str) -> str:
    """The hash the domain stores for a new account's ``password`` (slow: call it off the
    event loop, inside the command)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"Le mot de passe compte au moins {MIN_PASSWORD_LENGTH} caractères.")
    if FORBIDDEN_CHARACTERS.search(password):
        raise InvalidInput("Le mot de passe contient un caractère non autorisé.")
    return hash_password(password)


MEDIA_TYPE_LABELS = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}


def check_document(settings: Settings, media_type: str, size: int) -> str:
    """The document's media type if ``settings`` allow a document of that type and size
    (``ASPE_UPLOAD_MEDIA_TYPES``, ``ASPE_UPLOAD_MAX_BYTES``); ``INVALID_INPUT`` otherwise.
    The upload (the portal's blob store) and ``attachDocument`` both check it."""
    media = media_type.split(";", 1)[0].strip().lower()
    if media not in settings.upload_media_types:
        allowed = ", ".join(MEDIA_TYPE_LABELS.get(t, t) for t in settings.upload_media_types)
        raise InvalidInput(f"Ce type de document n'est pas accepté (types acceptés : {allowed}).")
    if size < 1:
        raise InvalidInput("Le document est vide.")
    if size > settings.upload_max_bytes:
        limit = french.size(settings.upload_max_bytes)
        raise InvalidInput(f"Le document dépasse la taille maximale de {limit}.")
    return media


# ---------------------------------------------------------------- domain values
@strawberry.input(description="A difficulty the diagnostic found, in one theme.")
class FindingInput:
    theme: ThemeEnum  # type: ignore[valid-type]
    difficulty: str

    def to_domain(self) -> values.Finding:
        return values.Finding(self.theme, self.difficulty)


@strawberry.input(description="An objective: a catalogue action of its theme, or free text.")
class ObjectiveInput:
    id: str
    theme: ThemeEnum  # type: ignore[valid-type]
    label: str
    action: str | None = None

    def to_domain(self) -> values.Objective:
        return values.Objective(self.id, self.theme, self.label, self.action)


THEMED = (
    "HEALTH: only the referent, the manager, the household and the auditor will see it; "
    "null: no particular theme."
)


@strawberry.input(description="A step of the CEOP, with its due date and theme if any.")
class StepInput:
    label: str
    due_on: date | None = None
    theme: ThemeEnum | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description=THEMED
    )

    def to_domain(self) -> values.Step:
        return values.Step(self.label, self.due_on, self.theme)


@strawberry.input(description="What one party commits to in the CEOP, in a theme if any.")
class CommitmentInput:
    party: PartyEnum  # type: ignore[valid-type]
    text: str
    theme: ThemeEnum | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description=THEMED
    )

    def to_domain(self) -> values.Commitment:
        return values.Commitment(self.party, self.text, self.theme)


@strawberry.input(description="The FPEL aid request that makes the household eligible (R1).")
class AidRequestInput:
    amount_requested: Decimal
    rent_arrears: Decimal
    monthly_rent: Decimal

    def to_domain(self) -> values.AidRequest:
        return values.AidRequest(
            money(self.amount_requested), money(self.rent_arrears), money(self.monthly_rent)
        )


@strawberry.input(description="Someone at a concertation: the landlord (by id) or another party.")
class ParticipantInput:
    label: str
    organisation_id: strawberry.ID | None = None

    def to_domain(self) -> values.Participant:
        return values.Participant(self.label, optional_uuid(self.organisation_id, "d'organisation"))


@strawberry.input(description="A postal address.")
class AddressInput:
    street: str
    postcode: str
    city: str

    def to_domain(self) -> values.Address:
        return values.Address(self.street, self.postcode, self.city)


# ------------------------------------------------------------ commands on a case
@strawberry.input(description="The request to the FPEL: aid asked and measure proposed.")
class SubmitRequestInput:
    aid_request: AidRequestInput | None
    proposed_measure: MeasureTypeEnum  # type: ignore[valid-type]
    proposed_duration_months: int

    def to_domain(self) -> tuple[values.AidRequest | None, values.MeasureType, int]:
        aid = None if self.aid_request is None else self.aid_request.to_domain()
        return aid, self.proposed_measure, self.proposed_duration_months


@strawberry.input(description="The commission's grant: type, duration, probation, aid.")
class GrantMeasureInput:
    measure_type: MeasureTypeEnum  # type: ignore[valid-type]
    duration_months: int
    probation_months: int
    aid_granted: Decimal

    def to_domain(self) -> tuple[values.MeasureType, int, int, Decimal]:
        return (
            self.measure_type,
            self.duration_months,
            self.probation_months,
            money(self.aid_granted),
        )


@strawberry.input(description="A version of the CEOP: objectives, steps, commitments.")
class CeopInput:
    objectives: list[ObjectiveInput]
    steps: list[StepInput]
    commitments: list[CommitmentInput]

    def to_domain(
        self,
    ) -> tuple[list[values.Objective], list[values.Step], list[values.Commitment]]:
        return (
            [objective.to_domain() for objective in self.objectives],
            [step.to_domain() for step in self.steps],
            [commitment.to_domain() for commitment in self.commitments],
        )


@strawberry.input(description="Progress towards one objective of the CEOP.")
class ObjectiveProgressInput:
    objective_id: str
    progress: ProgressEnum  # type: ignore[valid-type]
    note: str = ""

    def to_domain(self) -> tuple[str, values.ObjectiveProgress, str]:
        return self.objective_id, self.progress, self.note


@strawberry.input(description="A visit that took place, planned (visitId) or not.")
class RecordVisitInput:
    occurred_on: date
    kind: VisitKindEnum  # type: ignore[valid-type]
    themes: list[ThemeEnum]  # type: ignore[valid-type]
    note: str = ""
    household_present: bool = True
    visit_id: strawberry.ID | None = None

    def to_domain(
        self,
    ) -> tuple[date, values.VisitKind, list[values.Theme], str, bool, UUID | None]:
        visit = optional_uuid(self.visit_id, "de rendez-vous")
        return self.occurred_on, self.kind, self.themes, self.note, self.household_present, visit


@strawberry.input(description="A contact with the household (phone, e-mail, letter…).")
class RecordContactInput:
    occurred_on: date
    channel: ChannelEnum  # type: ignore[valid-type]
    initiated_by_household: bool
    household_took_part: bool = strawberry.field(
        description="The household answered, called or replied (R7: only then does the "
        "contact end the silence); false for a letter sent, a message left, a call unanswered."
    )
    themes: list[ThemeEnum] = strawberry.field(default_factory=list)  # type: ignore[valid-type]
    note: str = ""

    def to_domain(
        self,
    ) -> tuple[date, values.ContactChannel, bool, list[values.Theme], str, bool]:
        return (
            self.occurred_on,
            self.channel,
            self.initiated_by_household,
            self.themes,
            self.note,
            self.household_took_part,
        )


@strawberry.input(description="A period the alert clock stops (hospitalisation, absence…).")
class SuspensionInput:
    starts_on: date
    ends_on: date
    reason: SuspensionReasonEnum  # type: ignore[valid-type]
    details: str = ""

    def to_domain(self) -> tuple[date, date, values.SuspensionReason, str]:
        return self.starts_on, self.ends_on, self.reason, self.details


@strawberry.input(description="A concertation held with the landlord or partners.")
class ConcertationInput:
    held_on: date
    subject: str
    participants: list[ParticipantInput]
    outcome: str = ""

    def to_domain(self) -> tuple[date, str, list[values.Participant], str]:
        participants = [participant.to_domain() for participant in self.participants]
        return self.held_on, self.subject, participants, self.outcome


@strawberry.input(description="A debt of the household.")
class DebtInput:
    creditor: str
    amount: Decimal
    creditor_is_landlord: bool

    def to_domain(self) -> tuple[str, Decimal, bool]:
        return self.creditor, money(self.amount), self.creditor_is_landlord


@strawberry.input(description="A repayment plan agreed for a recorded debt.")
class RepaymentPlanInput:
    debt_id: strawberry.ID
    monthly_amount: Decimal
    first_due_on: date
    months: int

    def to_domain(self) -> tuple[UUID, Decimal, date, int]:
        debt = uuid_of(self.debt_id, "de dette")
        return debt, money(self.monthly_amount), self.first_due_on, self.months


@strawberry.input(description="One month of rent, as the landlord reports it.")
class RentPaymentInput:
    month: date
    amount_due: Decimal
    amount_paid: Decimal

    def to_domain(self) -> tuple[date, Decimal, Decimal]:
        return self.month, money(self.amount_due), money(self.amount_paid)


@strawberry.input(
    description="A document joined to a case: its description, the SHA-256 of its content, "
    "and the receipt the upload of that content gave the viewer (POST /uploads, or the "
    "portal's form)."
)
class AttachDocumentInput:
    kind: DocumentKindEnum  # type: ignore[valid-type]
    filename: str
    media_type: str
    size: int
    sha256: str
    upload_receipt: str | None = strawberry.field(
        default=None,
        description="Required: the receipt of the viewer's upload of this content (its "
        "SHA-256, type and size); without it, UPLOAD_RECEIPT_REQUIRED.",
    )

    def to_domain(
        self, settings: Settings, uploader: UUID
    ) -> tuple[values.DocumentKind, str, str, int, str]:
        """The command's arguments, once the receipt shows ``uploader`` uploaded this very
        content (a hash alone proves nothing: anyone who saw it may send it)."""
        media = check_document(settings, self.media_type, self.size)
        upload = Upload.of(uploader, self.sha256, media, self.size)
        check_receipt(settings, self.upload_receipt, upload)
        return self.kind, self.filename, media, self.size, self.sha256


# --------------------------------------------------- organisations and accounts
@strawberry.input(description="An organisation; a landlord has a category, nothing else has.")
class OrganisationInput:
    name: str
    kind: OrganisationKindEnum  # type: ignore[valid-type]
    landlord_category: LandlordCategoryEnum | None = None  # type: ignore[valid-type]

    def to_domain(
        self,
    ) -> tuple[str, values.OrganisationKind, values.LandlordCategory | None]:
        return self.name, self.kind, self.landlord_category


@strawberry.input(description="A staff account: its organisation, role, name and diploma.")
class StaffInput:
    organisation_id: strawberry.ID
    role: Role  # type: ignore[valid-type]
    full_name: str
    email: str
    password: str
    diploma: DiplomaEnum = values.Diploma.NONE  # type: ignore[valid-type]

    def to_domain(self) -> tuple[UUID, DomainRole, str, str, str, values.Diploma]:
        organisation = uuid_of(self.organisation_id, "d'organisation")
        password_hash = password_hash_of(self.password)
        return organisation, self.role, self.full_name, self.email, password_hash, self.diploma


@strawberry.input(description="A household, with its landlord.")
class HouseholdInput:
    landlord_id: strawberry.ID
    address: AddressInput
    name: str
    contact: str
    members: int

    def to_domain(self) -> tuple[UUID, values.Address, str, str, int]:
        landlord = uuid_of(self.landlord_id, "de bailleur", "landlord_id")
        return landlord, self.address.to_domain(), self.name, self.contact, self.members


@strawberry.input(description="The household's details as corrected (right of rectification).")
class HouseholdDetailsInput:
    address: AddressInput
    name: str
    contact: str
    members: int

    def to_domain(self) -> tuple[values.Address, str, str, int]:
        return self.address.to_domain(), self.name, self.contact, self.members


@strawberry.input(description="An FSL or anti-poverty-plan accompaniment of the household.")
class AccompanimentInput:
    kind: AccompanimentKindEnum  # type: ignore[valid-type]
    starts_on: date
    ends_on: date | None = None

    def to_domain(self) -> tuple[values.AccompanimentKind, date, date | None]:
        return self.kind, self.starts_on, self.ends_on
