"""Every value a person reads by name, in French: one wording for each.

A label is written as it reads within a sentence (``mesure en cours``); ``title`` gives it
a capital for a heading, a table cell or a badge (``Mesure en cours``). ``label_of`` reads
the name the API gives (``"ACTIVE"``). A value without a label fails the suite
(``tests/french/test_labels.py``): a new enumeration value is not done until people can
read it. Events have their words in ``aspe.french.events`` and ``aspe.french.summaries``.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any

from aspe.domain.actors import Role
from aspe.domain.availability import CaseCommand
from aspe.domain.reads import ReadKind
from aspe.domain.values import (
    AccompanimentKind,
    ConsentScope,
    ContactChannel,
    Diploma,
    DocumentKind,
    ErasureGround,
    LandlordCategory,
    MeasureType,
    ObjectiveProgress,
    OrganisationKind,
    Party,
    Signatory,
    Status,
    StopReason,
    SuspensionReason,
    Theme,
    VisitKind,
)

UNKNOWN = "—"
ERASED_TEXT = "(effacé)"
"""What a personal value reads as once its household's data is erased."""
ERASED_HOUSEHOLD = "Ménage effacé"
"""What an erased household's name reads as."""

LABELS: Mapping[type[Enum], Mapping[Any, str]] = {
    Role: {
        Role.REFERENT: "référent·e",
        Role.ASSOCIATION_MANAGER: "responsable d'association",
        Role.SPSLH_AGENT: "agent du SPSLH",
        Role.COMMISSION_MEMBER: "membre de la commission FPEL",
        Role.LANDLORD: "bailleur",
        Role.HOUSEHOLD: "ménage",
        Role.AUDITOR: "auditeur·rice",
        Role.ADMIN: "administrateur·rice",
        Role.SYSTEM: "système",
    },
    # What a person read of a case (the access log, ``aspe.access_log``).
    ReadKind: {
        ReadKind.CASE: "consultation du dossier (API)",
        ReadKind.CASE_AS_OF: "consultation d'une version passée du dossier",
        ReadKind.AUDIT_TRAIL: "consultation de l'historique du dossier",
        ReadKind.PAGE: "consultation du dossier",
        ReadKind.PDF: "édition d'un document PDF",
        ReadKind.DOCUMENT: "téléchargement d'une pièce jointe",
    },
    CaseCommand: {
        CaseCommand.ASSIGN_REFERENT: "confier le dossier à un autre référent",
        CaseCommand.RECORD_DIAGNOSTIC: "enregistrer le diagnostic",
        CaseCommand.RECORD_CONSENT: "enregistrer le consentement du ménage",
        CaseCommand.WITHDRAW_CONSENT: "retirer le consentement du ménage",
        CaseCommand.SUBMIT_REQUEST: "déposer la demande au FPEL",
        CaseCommand.REGISTER_REQUEST: "inscrire la demande en commission",
        CaseCommand.ADJOURN_REQUEST: "ajourner la demande",
        CaseCommand.REJECT_REQUEST: "rejeter la demande",
        CaseCommand.GRANT_MEASURE: "accorder la mesure",
        CaseCommand.NOTIFY_DECISION: "notifier la décision",
        CaseCommand.DRAFT_CEOP: "rédiger le CEOP",
        CaseCommand.AMEND_CEOP: "modifier le CEOP (avenant)",
        CaseCommand.RECORD_CEOP_SIGNATURE: "signer le CEOP",
        CaseCommand.TRANSMIT_CEOP: "transmettre le CEOP signé au SPSLH",
        CaseCommand.RECORD_OBJECTIVE_PROGRESS: "noter la progression d'un objectif",
        CaseCommand.SCHEDULE_VISIT: "programmer une visite",
        CaseCommand.RECORD_VISIT: "enregistrer une visite réalisée",
        CaseCommand.RECORD_MISSED_VISIT: "enregistrer une visite manquée",
        CaseCommand.RECORD_CONTACT: "enregistrer un contact avec le ménage",
        CaseCommand.SUSPEND_ALERT_CLOCK: "suspendre le décompte des jours sans nouvelles",
        CaseCommand.RAISE_NON_COLLABORATION_ALERT: "signaler une absence de collaboration",
        CaseCommand.HOLD_CONCERTATION: "enregistrer une concertation",
        CaseCommand.ISSUE_COMMISSION_INVITATION: "inviter le référent à une séance",
        CaseCommand.RECORD_DEBT: "enregistrer une dette du ménage",
        CaseCommand.AGREE_REPAYMENT_PLAN: "enregistrer un plan d'apurement",
        CaseCommand.REPORT_RENT_PAYMENT: "déclarer un loyer",
        CaseCommand.ATTACH_DOCUMENT: "joindre un document",
        CaseCommand.EXTEND_MEASURE: "prolonger la mesure",
        CaseCommand.SETTLE_COMBINATION_CONFLICT: "décider de poursuivre la mesure malgré un cumul",
        CaseCommand.STOP_MEASURE: "arrêter la mesure",
        CaseCommand.COMPLETE_MEASURE: "clore la mesure arrivée à son terme",
        CaseCommand.SUBMIT_FINAL_REPORT: "remettre le bilan de fin de mesure",
        CaseCommand.ARCHIVE: "archiver le dossier",
        CaseCommand.CORRECT_HOUSEHOLD_DETAILS: "corriger les informations du ménage",
    },
    Status: {
        Status.DIAGNOSTIC: "diagnostic en cours",
        Status.SUBMITTED: "demande déposée",
        Status.REGISTERED: "inscrite en commission",
        Status.ADJOURNED: "ajournée",
        Status.REJECTED: "rejetée",
        Status.GRANTED: "mesure accordée",
        Status.ACTIVE: "mesure en cours",
        Status.STOPPED: "mesure arrêtée",
        Status.COMPLETED: "mesure terminée",
    },
    MeasureType: {MeasureType.SIMPLE: "simple", MeasureType.REINFORCED: "renforcée"},
    Theme: {
        Theme.HOUSING: "logement",
        Theme.BUDGET: "budget",
        Theme.ADMINISTRATIVE: "démarches administratives",
        Theme.MEDIATION: "médiation",
        Theme.EMPLOYMENT: "emploi",
        Theme.MOBILITY: "mobilité",
        Theme.HEALTH: "santé",
    },
    ObjectiveProgress: {
        ObjectiveProgress.NOT_STARTED: "non commencé",
        ObjectiveProgress.IN_PROGRESS: "en cours",
        ObjectiveProgress.ACHIEVED: "atteint",
        ObjectiveProgress.ABANDONED: "abandonné",
    },
    Signatory: {
        Signatory.HOUSEHOLD: "le ménage",
        Signatory.REFERENT: "le référent de l'association",
        Signatory.LANDLORD: "le bailleur",
    },
    Party: {
        Party.HOUSEHOLD: "le ménage",
        Party.REFERENT: "le référent de l'association",
        Party.LANDLORD: "le bailleur",
        Party.SPSLH: "le SPSLH",
        Party.OTHER: "autre partenaire",
    },
    StopReason: {
        StopReason.NON_COLLABORATION: "absence de collaboration du ménage",
        StopReason.OBJECTIVES_MET: "objectifs atteints",
        StopReason.HOUSEHOLD_MOVED: "ménage relogé ou parti",
        StopReason.HOUSEHOLD_REQUEST: "à la demande du ménage",
        StopReason.EVICTION: "expulsion",
        StopReason.OTHER: "autre motif",
    },
    SuspensionReason: {
        SuspensionReason.HOSPITALISATION: "hospitalisation",
        SuspensionReason.HOUSEHOLD_AWAY: "absence du ménage",
        SuspensionReason.OTHER: "autre motif",
    },
    VisitKind: {
        VisitKind.HOME: "à domicile",
        VisitKind.OFFICE: "au bureau",
        VisitKind.OTHER: "autre lieu",
    },
    ContactChannel: {
        ContactChannel.PHONE: "téléphone",
        ContactChannel.EMAIL: "courriel",
        ContactChannel.SMS: "SMS",
        ContactChannel.LETTER: "courrier",
        ContactChannel.OTHER: "autre",
    },
    ConsentScope: {ConsentScope.LANDLORD_DETAIL: "détail du suivi visible par le bailleur"},
    DocumentKind: {
        DocumentKind.FPEL_REQUEST: "demande FPEL signée",
        DocumentKind.SIGNED_CEOP: "CEOP signé",
        DocumentKind.IDENTITY: "pièce d'identité",
        DocumentKind.RESOURCES: "justificatifs de ressources",
        DocumentKind.LEASE: "bail",
        DocumentKind.RENT_STATEMENT: "décompte de la dette locative",
        DocumentKind.COURT_PAPER: "acte de procédure (assignation, jugement…)",
        DocumentKind.MEDICAL: "document médical",
        DocumentKind.OTHER: "autre document",
    },
    AccompanimentKind: {
        AccompanimentKind.FSL: "accompagnement FSL",
        AccompanimentKind.ANTI_POVERTY_PLAN: "accompagnement du plan de lutte contre la pauvreté",
    },
    ErasureGround: {
        ErasureGround.HOUSEHOLD_REQUEST: "demande du ménage (droit à l'effacement)",
        ErasureGround.RETENTION_PERIOD: "fin de la durée de conservation",
        ErasureGround.LEGAL_OBLIGATION: "obligation légale",
    },
    OrganisationKind: {
        OrganisationKind.ASSOCIATION: "association",
        OrganisationKind.SPSLH: "SPSLH",
        OrganisationKind.COMMISSION: "commission FPEL",
        OrganisationKind.LANDLORD: "bailleur",
        OrganisationKind.PLATFORM: "plateforme ASPE",
    },
    LandlordCategory: {
        LandlordCategory.SOCIAL: "bailleur social",
        LandlordCategory.PRIVATE: "bailleur privé",
    },
    Diploma: {
        Diploma.DEASS: "DEASS (assistant·e de service social)",
        Diploma.DEES: "DEES (éducateur·rice spécialisé·e)",
        Diploma.DEEJE: "DEEJE (éducateur·rice de jeunes enfants)",
        Diploma.DEETS: "DEETS (éducateur·rice technique spécialisé·e)",
        Diploma.DECESF: "DECESF (conseiller·ère en économie sociale familiale)",
        Diploma.CAFERUIS: "CAFERUIS (responsable d'unité d'intervention sociale)",
        Diploma.DEIS: "DEIS (ingénierie sociale)",
        Diploma.DEME: "DEME (moniteur·rice éducateur·rice)",
        Diploma.DETISF: "DETISF (technicien·ne de l'intervention sociale et familiale)",
        Diploma.DEAES: "DEAES (accompagnant·e éducatif·ve et social·e)",
        Diploma.NONE: "aucun diplôme du travail social",
    },
}
"""Every enumeration of the domain, each value with its one wording."""


HOUSEHOLD_DETAILS = {
    "name": "nom",
    "address": "adresse",
    "contact": "coordonnées",
    "members": "nombre de personnes",
}
"""The household's details a correction names (``Household.DetailsCorrected.corrected``)."""

WITHHELD_FROM_EXPORT = {
    "VISITS": "les thèmes des visites, les moyens des contacts et qui y a pris part",
    "VISIT_COUNTS": "les décomptes de visites et de contacts par semaine",
    "NOTES": "les notes libres des professionnels (visites, contacts, objectifs, suspensions)",
    "CONCERTATIONS": "les concertations avec le bailleur et les partenaires",
    "RENT": "les déclarations de loyer du bailleur",
    "ALERTS": "les alertes de non-collaboration",
    "EVENT_METADATA": "le journal de qui a fait quoi et quand",
}
"""What the household's data export leaves out, by the authorization category's name
(``householdData.withheld``)."""

# The deliveries of notifications are the workers' (aspe.french imports nothing above the
# domain): their statuses and channels are keyed by the names the deliveries table stores.
DELIVERY_STATUSES = {
    "queued": "en attente",
    "sending": "en cours",
    "delivered": "délivrées",
    "failed": "échouées",
}
"""Where a notification's delivery stands (``aspe.workers.delivery.STATUSES``)."""
DELIVERY_CHANNELS = {"email": "e-mail", "inbox": "boîte de réception"}
"""How a notification reaches its reader (``aspe.workers.messages.Channel``)."""


def label(value: Enum) -> str:
    """``Status.ACTIVE`` → ``mesure en cours``."""
    return LABELS[type(value)][value]


def title(value: Enum) -> str:
    """``Status.ACTIVE`` → ``Mesure en cours``."""
    return capitalised(label(value))


def label_of(enum: type[Enum], name: object) -> str:
    """The label of the value the API names ``name`` (``"ACTIVE"``); ``—`` for none; an
    unknown name is shown as it is rather than hidden."""
    if name is None or name == "":
        return UNKNOWN
    member = enum.__members__.get(str(name))
    return str(name) if member is None else label(member)


def title_of(enum: type[Enum], name: object) -> str:
    """``label_of`` with a capital."""
    return capitalised(label_of(enum, name))


def choices(enum: type[Enum]) -> tuple[tuple[str, str], ...]:
    """A select's options: each value's name and its title, in the enumeration's order."""
    return tuple((member.name, title(member)) for member in enum)


def capitalised(text: str) -> str:
    """The first letter in capital, the rest as written (``SPSLH`` stays ``SPSLH``)."""
    return text[:1].upper() + text[1:]


def titles(enum: type[Enum]) -> dict[str, str]:
    """``{name: title}`` of every value, for what reads the API's names (the portal)."""
    return {member.name: title(member) for member in enum}


def names(enum: type[Enum]) -> dict[str, str]:
    """``{name: label}`` of every value, as it reads within a sentence."""
    return {member.name: label(member) for member in enum}
