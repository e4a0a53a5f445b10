"""Value objects and enumerations of the ASPE domain (DESIGN §2 glossary).

Events carry these; the application registers a transcoding for each type listed in
``VALUE_TYPES`` so that a stored event decodes to exactly the values it was built with.
Sequences inside values are tuples; aggregates keep lists (what the store gives back).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum
from uuid import UUID


class Status(Enum):
    DIAGNOSTIC = "DIAGNOSTIC"
    SUBMITTED = "SUBMITTED"
    REGISTERED = "REGISTERED"
    ADJOURNED = "ADJOURNED"
    REJECTED = "REJECTED"
    GRANTED = "GRANTED"
    ACTIVE = "ACTIVE"
    STOPPED = "STOPPED"
    COMPLETED = "COMPLETED"


OPEN_STATUSES = frozenset(Status) - {Status.REJECTED, Status.STOPPED, Status.COMPLETED}


class Theme(Enum):
    """R11: the seven themes of the measure's content (§11)."""

    HOUSING = "HOUSING"
    BUDGET = "BUDGET"
    ADMINISTRATIVE = "ADMINISTRATIVE"
    MEDIATION = "MEDIATION"
    EMPLOYMENT = "EMPLOYMENT"
    MOBILITY = "MOBILITY"
    HEALTH = "HEALTH"


class MeasureType(Enum):
    """R4: SIMPLE = one home visit a week; REINFORCED = three visits, two at home."""

    SIMPLE = "SIMPLE"
    REINFORCED = "REINFORCED"


class VisitKind(Enum):
    HOME = "HOME"
    OFFICE = "OFFICE"
    OTHER = "OTHER"


class ContactChannel(Enum):
    PHONE = "PHONE"
    EMAIL = "EMAIL"
    SMS = "SMS"
    LETTER = "LETTER"
    OTHER = "OTHER"


class Signatory(Enum):
    """The parties whose signature a CEOP version may require (R8)."""

    HOUSEHOLD = "HOUSEHOLD"
    REFERENT = "REFERENT"
    LANDLORD = "LANDLORD"


class Party(Enum):
    """Who a CEOP commitment binds."""

    HOUSEHOLD = "HOUSEHOLD"
    REFERENT = "REFERENT"
    LANDLORD = "LANDLORD"
    SPSLH = "SPSLH"
    OTHER = "OTHER"


class ConsentScope(Enum):
    """What the household allowed. LANDLORD_DETAIL opens DESIGN §6's consent-gated rows."""

    LANDLORD_DETAIL = "LANDLORD_DETAIL"


class StopReason(Enum):
    NON_COLLABORATION = "NON_COLLABORATION"
    OBJECTIVES_MET = "OBJECTIVES_MET"
    HOUSEHOLD_MOVED = "HOUSEHOLD_MOVED"
    HOUSEHOLD_REQUEST = "HOUSEHOLD_REQUEST"
    EVICTION = "EVICTION"
    OTHER = "OTHER"


class SuspensionReason(Enum):
    HOSPITALISATION = "HOSPITALISATION"
    HOUSEHOLD_AWAY = "HOUSEHOLD_AWAY"
    OTHER = "OTHER"


class ObjectiveProgress(Enum):
    NOT_STARTED = "NOT_STARTED"
    IN_PROGRESS = "IN_PROGRESS"
    ACHIEVED = "ACHIEVED"
    ABANDONED = "ABANDONED"


class DocumentKind(Enum):
    """What a document joined to a case is. ``MEDICAL`` documents are items of theme HEALTH."""

    FPEL_REQUEST = "FPEL_REQUEST"  # the signed request form (imprimé type)
    SIGNED_CEOP = "SIGNED_CEOP"
    IDENTITY = "IDENTITY"
    RESOURCES = "RESOURCES"  # proof of income and benefits
    LEASE = "LEASE"
    RENT_STATEMENT = "RENT_STATEMENT"  # the landlord's statement of arrears
    COURT_PAPER = "COURT_PAPER"  # summons, judgment, order to leave
    MEDICAL = "MEDICAL"
    OTHER = "OTHER"

    @property
    def theme(self) -> Theme | None:
        """The theme the document belongs to, where one decides who may read it."""
        return Theme.HEALTH if self is DocumentKind.MEDICAL else None


class AccompanimentKind(Enum):
    """R9: accompaniments an ASPE measure may not be combined with."""

    FSL = "FSL"
    ANTI_POVERTY_PLAN = "ANTI_POVERTY_PLAN"


class ErasureGround(Enum):
    """Why a household's personal data is erased."""

    HOUSEHOLD_REQUEST = "HOUSEHOLD_REQUEST"  # GDPR art. 17: the household asked
    RETENTION_PERIOD = "RETENTION_PERIOD"  # its retention period has ended
    LEGAL_OBLIGATION = "LEGAL_OBLIGATION"  # a court or the law requires it


class OrganisationKind(Enum):
    ASSOCIATION = "ASSOCIATION"
    SPSLH = "SPSLH"
    COMMISSION = "COMMISSION"
    LANDLORD = "LANDLORD"
    PLATFORM = "PLATFORM"


class LandlordCategory(Enum):
    SOCIAL = "SOCIAL"
    PRIVATE = "PRIVATE"


class Diploma(Enum):
    """French social-work diplomas, with their level in the old nomenclature (I is highest)."""

    DEASS = "DEASS"  # assistant de service social
    DEES = "DEES"  # éducateur spécialisé
    DEEJE = "DEEJE"  # éducateur de jeunes enfants
    DEETS = "DEETS"  # éducateur technique spécialisé
    DECESF = "DECESF"  # conseiller en économie sociale familiale
    CAFERUIS = "CAFERUIS"  # encadrement et responsable d'unité d'intervention sociale
    DEIS = "DEIS"  # ingénierie sociale
    DEME = "DEME"  # moniteur éducateur
    DETISF = "DETISF"  # technicien de l'intervention sociale et familiale
    DEAES = "DEAES"  # accompagnant éducatif et social
    NONE = "NONE"

    @property
    def level(self) -> int | None:
        """The level in the old nomenclature (1 = I, …, 5 = V); None when not a diploma."""
        return _LEVELS[self]


_LEVELS: dict[Diploma, int | None] = {
    Diploma.DEIS: 1,
    Diploma.CAFERUIS: 2,
    Diploma.DEASS: 3,
    Diploma.DEES: 3,
    Diploma.DEEJE: 3,
    Diploma.DEETS: 3,
    Diploma.DECESF: 3,
    Diploma.DEME: 4,
    Diploma.DETISF: 4,
    Diploma.DEAES: 5,
    Diploma.NONE: None,
}

QUALIFYING_LEVEL = 3
"""R10: a referent holds a recognised social-work diploma of level III or higher."""


@dataclass(frozen=True)
class Finding:
    """A difficulty observed during the diagnostic, under one theme (R3)."""

    theme: Theme
    difficulty: str


@dataclass(frozen=True)
class Objective:
    """An objective of the accompaniment: a catalogue action (R11) or free text."""

    id: str
    theme: Theme
    label: str
    action: str | None = None


@dataclass(frozen=True)
class Step:
    """A step of the CEOP. Its theme decides who may read it: a HEALTH step follows DESIGN
    §6's HEALTH row. ``None``: no particular theme (steps stored before steps had one)."""

    label: str
    due_on: date | None = None
    theme: Theme | None = None


@dataclass(frozen=True)
class Commitment:
    """What one party commits to in the CEOP; a HEALTH commitment follows the HEALTH row.
    ``theme`` ``None``: no particular theme (commitments stored before they had one)."""

    party: Party
    text: str
    theme: Theme | None = None


@dataclass(frozen=True)
class AidRequest:
    """R1: the FPEL financial aid request that makes the household eligible."""

    amount_requested: Decimal
    rent_arrears: Decimal
    monthly_rent: Decimal


@dataclass(frozen=True)
class Participant:
    """Someone present at a concertation: the landlord (by organisation) or another party."""

    label: str
    organisation_id: UUID | None = None


@dataclass(frozen=True)
class Period:
    """Whole days from ``starts_on`` to ``ends_on``, both included."""

    starts_on: date
    ends_on: date


@dataclass(frozen=True)
class Address:
    street: str
    postcode: str
    city: str


VALUE_TYPES: tuple[type, ...] = (
    Status,
    Theme,
    MeasureType,
    VisitKind,
    ContactChannel,
    Signatory,
    Party,
    ConsentScope,
    StopReason,
    SuspensionReason,
    ObjectiveProgress,
    DocumentKind,
    AccompanimentKind,
    ErasureGround,
    OrganisationKind,
    LandlordCategory,
    Diploma,
    Finding,
    Objective,
    Step,
    Commitment,
    AidRequest,
    Participant,
    Period,
    Address,
)
