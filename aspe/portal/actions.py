"""The case page's action forms, as data: what each asks, which mutation it runs, for whom.

An ``Action`` names its French title, its fields (``Field``: name, French label, kind, options,
required, help), the GraphQL mutation it runs and how the form's cleaned values become that
mutation's variables, and the domain command it runs (``command``). The page offers a form
exactly when the API lists its command in the case's ``availableCommands`` (the domain's
availability table, for this viewer, now): the portal never re-decides who may act or when.
A refusal is shown next to the field the API names in ``extensions.field`` (``Field.api``),
or at the form's top, nothing stored.

``actions_for(case, role)`` lists the forms the page shows; the partial ``actions.html``
renders them (variables ``case``, ``actions``, ``csrf_token``). ``perform`` is the POST
``/dossiers/{case_id}/actions/{action}``: it cleans the form, runs the mutation as the
session's viewer through ``aspe.portal.gql``, then redirects (303) to
``/dossiers/{id}?fait={action}#confirmation`` (the confirmation near the top, focused, the
form closed), or re-renders the case page with that form open, an error summary at its top
(focused), its values and its French errors (422). The page opens one form at a time
(``?action={name}``, see ``actions-panel.html``); a serious or irreversible action asks to
tick a « Je confirme … » box first (``_confirm``), checked here, not by the API.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any, Literal
from zoneinfo import ZoneInfo

from fastapi import Request
from starlette.responses import Response

from aspe import french
from aspe.domain.availability import CaseCommand
from aspe.domain.catalogue import ACTIONS as CATALOGUE
from aspe.domain.values import ContactChannel, Theme
from aspe.french import labels
from aspe.portal.commission import session_choices
from aspe.portal.gql import NOT_RECORDED, GraphQLFailure, execute
from aspe.portal.pages import (
    CHROME,
    MEASURE_TYPES,
    PROGRESS,
    SIGNATORIES,
    STOP_REASONS,
    SUSPENSION_REASONS,
    TEMPLATES,
    THEMES,
    VISIT_KINDS,
    PageNotFound,
    case_not_found,
    redirect,
)

Kind = Literal[
    "text", "textarea", "date", "datetime", "month", "number", "money", "select", "checkboxes",
    "checkbox",
]  # fmt: skip
Values = dict[str, Any]
"""A form's values as typed: ``str`` for one field, ``list[str]`` for ``checkboxes``."""
Options = tuple[tuple[str, str], ...]
"""A choice field's options: ``(value, French label)``."""

CASE_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
ASSOCIATION = frozenset({"REFERENT", "ASSOCIATION_MANAGER"})
REQUIRED = "Renseignez ce champ."

ACTIONS_CASE_FIELDS = """
    id status referentId householdId availableCommands ceopSignaturesToRecord
    mayOpenHouseholdAccount
    ceop { objectives { id theme label } }
    visits { id plannedAt kind state }
    debts { id creditor amount plan { months } }
    household { name street postcode city contact members }
    request { proposedMeasure proposedDurationMonths aidRequested }
    diagnostic { findings { theme difficulty } objectives { theme action } }
"""
"""What ``actions_for`` reads of a case: put these fields in the case page's query."""
ACTIONS_ROOT_FIELDS = "colleagues { id name role qualifiedReferent } commissionSessions"
"""What it reads beside the case (the referents to entrust it to): put these root fields in
the case page's query too, and pass the case through ``with_root_fields``."""

ACTIONS_CASE_QUERY = f"""
query CaseActions($id: ID!) {{
  {CHROME}
  {ACTIONS_ROOT_FIELDS}
  case(id: $id) {{ {ACTIONS_CASE_FIELDS} household {{ name }} }}
}}
"""


def with_root_fields(case: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
    """The case as ``actions_for`` reads it: with the query's ``ACTIONS_ROOT_FIELDS``."""
    return {
        **case,
        "colleagues": data.get("colleagues") or [],
        "viewerId": (data.get("me") or {}).get("id"),
        **session_choices(data),
    }


# ------------------------------------------------------------------ the data
@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: Kind = "text"
    required: bool = True
    help: str | None = None
    options: tuple[tuple[str, str], ...] = ()
    """``(value, French label)`` of a ``select`` or ``checkboxes``."""
    minimum: int | None = None
    api: str | None = None
    """The input the field feeds, as the API names it in ``extensions.field``
    (``aidRequest.monthlyRent``): the field's value goes there (``by_api``), and the API's
    refusals about it are shown next to it."""


@dataclass(frozen=True)
class Action:
    name: str
    """The URL's last step and the form's anchor on the page."""
    title: str
    mutation: str
    fields: tuple[Field, ...]
    command: CaseCommand | None
    """The domain command the form runs: offered exactly when the API lists it for the
    viewer in the case's ``availableCommands`` (``None``: a form outside a case)."""
    variables: Callable[[Values, Mapping[str, Any]], dict[str, Any]] | None = None
    """Cleaned values and the case → the mutation's variables (``caseId`` added), for a
    mutation its fields do not feed one to one; ``None``: ``variables_of`` says how."""
    submit: str = "Enregistrer"
    intro: str | None = None
    offered_by: str | None = None
    """For a command run on the household rather than the case: the case's field (a boolean
    the API computes for the viewer) that offers the form, in place of ``command``."""
    audience: frozenset[str] | None = None
    """For a command with one face per party (a CEOP signature): the roles this face speaks
    to. It chooses the words the viewer reads, never whether the command is offered."""
    options: Callable[[Mapping[str, Any], tzinfo], dict[str, Options]] | None = None
    """Options that come from the case (its planned visits, its debts…), by field name; the
    time zone is the people's, for the times an option shows."""
    check: Callable[[Values], dict[str, str]] | None = None
    """Checks across fields, after each field was cleaned: errors by field."""
    initial: Callable[[Mapping[str, Any]], Values] | None = None
    """The blank form's values, from the case (what a correction starts from, what the
    request proposed, what the diagnostic found…)."""
    hints: Callable[[Mapping[str, Any]], dict[str, str]] | None = None
    """Help that comes from the case (the diagnostic's findings…), by field name."""

    def variables_of(self, values: Values, case: Mapping[str, Any]) -> dict[str, Any]:
        """The mutation's variables (``caseId`` apart): the action's own ``variables``, or
        each field's value at the input it feeds (``by_api``), inside the mutation's
        ``input`` when it takes one."""
        if self.variables is not None:
            return self.variables(values, case)
        fed = by_api(self.fields, values)
        return {"input": fed} if "$input:" in self.mutation else fed


BLANK_TEXT = frozenset({"text", "textarea"})


def by_api(fields: Sequence[Field], values: Values) -> dict[str, Any]:
    """Each field's value at the input its ``api`` names (``address.street``: ``street`` in
    ``address``); a blank optional field as the API takes it: ``""`` for a text, ``None``
    otherwise. A field that feeds no input (a box to tick) is left out."""
    variables: dict[str, Any] = {}
    for item in fields:
        if item.api is None:
            continue
        *outer, name = item.api.split(".")
        inner = variables
        for step in outer:
            inner = inner.setdefault(step, {})
        inner[name] = values.get(item.name, "" if item.kind in BLANK_TEXT else None)
    return variables


@dataclass
class ActionForm:
    """One form as the page shows it: its action, typed values and French errors."""

    name: str
    title: str
    fields: tuple[Field, ...]
    values: Values = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    general_error: str | None = None
    submit: str = "Enregistrer"
    intro: str | None = None
    idempotency_key: str = field(default_factory=lambda: uuid.uuid4().hex)
    url: str | None = None
    """Where the form posts; ``None``: the case's ``/dossiers/{id}/actions/{name}``."""
    open: bool = False
    """Shown open on the page: the page opens one form at a time (the one chosen with
    ``?action={name}``, or the one just refused), the others are links to open it."""


def _mutation(name: str, **arguments: str) -> str:
    """``mutation X($caseId: ID!, …) { x(caseId: $caseId, …) { id status } }``."""
    arguments = {"caseId": "ID!", **arguments, "idempotencyKey": "String"}
    declared = ", ".join(f"${arg}: {kind}" for arg, kind in arguments.items())
    passed = ", ".join(f"{arg}: ${arg}" for arg in arguments)
    return (
        f"mutation {name[0].upper()}{name[1:]}({declared}) {{ {name}({passed}) {{ id status }} }}"
    )


def _choices(table: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(table.items())


YES_NO = (("OUI", "Oui"), ("NON", "Non"))
CHANNELS = labels.titles(ContactChannel)


def _objective_id(action: str) -> str:
    return "obj-" + action.lower().replace("_", "-")


def _objective_fields() -> tuple[Field, ...]:
    return tuple(
        Field(
            f"objectifs_{theme.value}",
            f"Objectifs — {THEMES[theme.value]}",
            "checkboxes",
            required=False,
            options=tuple(actions.items()),
            # The API names the objectives as a whole: its refusal goes to the first theme.
            api="objectives" if theme is Theme.HOUSING else None,
        )
        for theme, actions in CATALOGUE.items()
    )


def _objectives(values: Values) -> list[dict[str, Any]]:
    chosen = []
    for theme, actions in CATALOGUE.items():
        for action in values.get(f"objectifs_{theme.value}", []):
            chosen.append(
                {
                    "id": _objective_id(action),
                    "theme": theme.value,
                    "label": actions[action],
                    "action": action,
                }
            )
    return chosen


# ------------------------------------------------------------ diagnostic
DIAGNOSTIC_FIELDS = (
    tuple(
        Field(
            f"difficulte_{theme}",
            f"Difficultés — {label}",
            "textarea",
            required=False,
            help="Laissez vide si ce thème ne pose pas de difficulté.",
            api="findings" if theme == Theme.HOUSING.value else None,
        )
        for theme, label in THEMES.items()
    )
    + _objective_fields()
)


def _diagnostic_variables(values: Values, case: Mapping[str, Any]) -> dict[str, Any]:
    findings = [
        {"theme": theme, "difficulty": values[f"difficulte_{theme}"]}
        for theme in THEMES
        if values.get(f"difficulte_{theme}")
    ]
    return {"findings": findings, "objectives": _objectives(values)}


# ------------------------------------------------------------------ CEOP
HEALTH_ONLY = (
    "Seuls le référent, la responsable, le ménage et le contrôle les voient : "
    "ni le SPSLH, ni la commission, ni le bailleur."
)
CEOP_FIELDS = (
    *_objective_fields(),
    Field(
        "etapes",
        "Étapes",
        "textarea",
        required=False,
        help="Une étape par ligne ; une échéance facultative après un point-virgule, "
        "par exemple : « Budget établi ; 30/04/2026 ».",
        api="steps",
    ),
    Field(
        "etapes_sante",
        "Étapes liées à la santé",
        "textarea",
        required=False,
        help=f"Même format. {HEALTH_ONLY}",
    ),
    Field("engagement_menage", "Engagements du ménage", "textarea", api="commitments"),
    Field(
        "engagement_menage_sante",
        "Engagements du ménage liés à la santé",
        "textarea",
        required=False,
        help=HEALTH_ONLY,
    ),
    Field("engagement_referent", "Engagements du référent", "textarea"),
    Field(
        "engagement_referent_sante",
        "Engagements du référent liés à la santé",
        "textarea",
        required=False,
        help=HEALTH_ONLY,
    ),
    Field("engagement_bailleur", "Engagements du bailleur", "textarea", required=False),
)
COMMITMENT_FIELDS = (
    ("HOUSEHOLD", "engagement_menage", None),
    ("HOUSEHOLD", "engagement_menage_sante", "HEALTH"),
    ("REFERENT", "engagement_referent", None),
    ("REFERENT", "engagement_referent_sante", "HEALTH"),
    ("LANDLORD", "engagement_bailleur", None),
)
"""Each commitment field: the party it binds and its theme (HEALTH, or none in particular)."""


def _steps(text: str, theme: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
    steps = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        label, _, due = line.partition(";")
        due_on = None
        if due.strip():
            parsed = _parse_date(due.strip())
            if parsed is None:
                return [], f"Ligne {number} : l'échéance n'est pas une date (JJ/MM/AAAA)."
            due_on = parsed.isoformat()
        if not label.strip():
            return [], f"Ligne {number} : le libellé de l'étape manque."
        steps.append({"label": label.strip(), "dueOn": due_on, "theme": theme})
    return steps, None


def _ceop_check(values: Values) -> dict[str, str]:
    """The steps are typed one a line: a line the form cannot read is the form's to say."""
    errors = {}
    for name in ("etapes", "etapes_sante"):
        _, step_error = _steps(values.get(name, ""))
        if step_error:
            errors[name] = step_error
    return errors


def _ceop_variables(values: Values, case: Mapping[str, Any]) -> dict[str, Any]:
    commitments = [
        {"party": party, "text": values[name], "theme": theme}
        for party, name, theme in COMMITMENT_FIELDS
        if values.get(name)
    ]
    steps, _ = _steps(values.get("etapes", ""))
    health_steps, _ = _steps(values.get("etapes_sante", ""), "HEALTH")
    steps += health_steps
    return {
        "input": {"objectives": _objectives(values), "steps": steps, "commitments": commitments}
    }


def _signatories(case: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """The signatures the viewer may record now, as the API lists them."""
    return tuple(
        (signatory, SIGNATORIES.get(signatory, signatory))
        for signatory in case.get("ceopSignaturesToRecord") or ()
    )


def _ceop_objectives(case: Mapping[str, Any]) -> dict[str, tuple[tuple[str, str], ...]]:
    objectives = (case.get("ceop") or {}).get("objectives") or ()
    return {
        "objectif": tuple(
            (str(item["id"]), f"{THEMES.get(str(item.get('theme')), '')} — {item.get('label')}")
            for item in objectives
        )
    }


# ---------------------------------------------------------------- visits
def _planned_visits(case: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [visit for visit in case.get("visits") or () if visit.get("state") == "PLANNED"]


def _planned(case: Mapping[str, Any], zone: tzinfo) -> tuple[tuple[str, str], ...]:
    """The planned visits to choose from, each at its time where the people are."""
    return tuple(
        (
            str(visit["id"]),
            f"{french.moment(visit.get('plannedAt'), zone)} — "
            f"{VISIT_KINDS.get(str(visit.get('kind')))}",
        )
        for visit in _planned_visits(case)
    )


def _debts(case: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple(
        (str(debt["id"]), f"{debt.get('creditor')} — {french.amount(debt.get('amount'))}")
        for debt in case.get("debts") or ()
        if not debt.get("plan")
    )


def _referents(case: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """The qualified staff of the association (``colleagues``, the API says who is) but the
    current referent: its référent·es, and its head of service when qualified."""
    return tuple(
        (item["id"], item["name"])
        for item in case.get("colleagues") or ()
        if item.get("role") in ASSOCIATION
        and item.get("qualifiedReferent")
        and item["id"] != case.get("referentId")
    )


def _viewer_as_referent(case: Mapping[str, Any]) -> Values:
    """The form starts on the viewer when the viewer is among those it offers."""
    viewer = case.get("viewerId")
    return {"referent": viewer} if viewer in dict(_referents(case)) else {}


def _as_proposed(case: Mapping[str, Any]) -> Values:
    """The grant starts from what the request proposed: measure, duration, aid requested."""
    request = case.get("request") or {}
    values: Values = {}
    if request.get("proposedMeasure"):
        values["mesure"] = str(request["proposedMeasure"])
    if request.get("proposedDurationMonths") is not None:
        values["duree"] = str(request["proposedDurationMonths"])
    if request.get("aidRequested") is not None:
        values["aide"] = str(request["aidRequested"]).replace(".", ",")
    return values


def _as_diagnosed(case: Mapping[str, Any]) -> Values:
    """The CEOP's objectives start from those the diagnostic proposed, theme by theme."""
    values: Values = {}
    objectives = (case.get("diagnostic") or {}).get("objectives") or ()
    for theme, actions in CATALOGUE.items():
        chosen = [
            str(item["action"])
            for item in objectives
            if item.get("theme") == theme.value and item.get("action") in actions
        ]
        if chosen:
            values[f"objectifs_{theme.value}"] = chosen
    return values


def _findings(case: Mapping[str, Any]) -> dict[str, str]:
    """Beside each theme's objectives, the difficulty the diagnostic found there."""
    findings = (case.get("diagnostic") or {}).get("findings") or ()
    return {
        f"objectifs_{item['theme']}": f"Difficultés relevées au diagnostic : {item['difficulty']}"
        for item in findings
        if item.get("theme") and item.get("difficulty")
    }


def _box(name: str, label: str, api: str, help: str | None = None) -> Field:
    """A box the form may leave unticked: the answer is then « no » (``False``), never
    missing."""
    return Field(name, label, "checkbox", required=False, help=help, api=api)


def _confirm(text: str) -> Field:
    """The box to tick before a serious or irreversible action: the form's own safeguard
    (the API still decides whether the action may run)."""
    return Field("confirmation", text, "checkbox")


THEME_CHECKBOXES = Field(
    "themes", "Thèmes abordés", "checkboxes", required=False, options=_choices(THEMES), api="themes"
)
SESSION_LABEL = "Date de la séance de la commission"
REASON_FIELD = Field("motif", "Motif", "textarea", api="reason")
NOTE_FIELD = Field("note", "Note", "textarea", required=False, api="note")
SIGNATURE_DATE = Field("date", "Date de la signature", "date", api="signedOn")
C = CaseCommand


def _own_signature(name: str, party: str, intro: str) -> Action:
    """The face of the CEOP signature for a party that signs its own part (``party``, also
    the role it is shown to)."""
    return Action(
        name,
        "Signer le CEOP",
        _mutation("recordCeopSignature", signatory="Signatory!", signedOn="Date!"),
        (SIGNATURE_DATE,),
        C.RECORD_CEOP_SIGNATURE,
        variables=lambda values, case: {"signatory": party, "signedOn": values["date"]},
        submit="Signer",
        intro=intro,
        audience=frozenset({party}),
    )


# ------------------------------------------------------ household's details
HOUSEHOLD_DETAILS_FIELDS = (
    Field("nom", "Nom du ménage", api="name"),
    Field("adresse", "Adresse", api="address.street"),
    Field("code_postal", "Code postal", api="address.postcode"),
    Field("commune", "Commune", api="address.city"),
    Field("coordonnees", "Coordonnées (téléphone, e-mail)", required=False, api="contact"),
    Field("personnes", "Nombre de personnes", "number", minimum=1, api="members"),
)
HOUSEHOLD_KEYS = {
    "nom": "name",
    "adresse": "street",
    "code_postal": "postcode",
    "commune": "city",
    "coordonnees": "contact",
    "personnes": "members",
}
"""Each field of the form, and the case's ``household`` value it starts from."""


def _household_details(case: Mapping[str, Any]) -> Values:
    """The form starts from the details as they stand."""
    household = case.get("household") or {}
    return {name: str(household.get(key) or "") for name, key in HOUSEHOLD_KEYS.items()}


ACTIONS: tuple[Action, ...] = (
    # ------------------------------------------------------- association
    Action(
        "diagnostic",
        "Enregistrer le diagnostic",
        _mutation("recordDiagnostic", findings="[FindingInput!]!", objectives="[ObjectiveInput!]!"),
        DIAGNOSTIC_FIELDS,
        C.RECORD_DIAGNOSTIC,
        variables=_diagnostic_variables,
        intro="Les difficultés par thème, et les objectifs proposés pris au catalogue.",
    ),
    Action(
        "informations_menage",
        "Corriger les informations du ménage",
        _mutation("correctHouseholdDetails", input="HouseholdDetailsInput!"),
        HOUSEHOLD_DETAILS_FIELDS,
        C.CORRECT_HOUSEHOLD_DETAILS,
        submit="Corriger",
        intro="Droit de rectification du ménage : les informations enregistrées auparavant "
        "restent dans l'historique.",
        initial=_household_details,
    ),
    Action(
        "acces_menage",
        "Ouvrir l'accès du ménage au portail",
        "mutation OpenHouseholdAccount($householdId: ID!, $email: String!, $password: String!, "
        "$idempotencyKey: String) { openHouseholdAccount(householdId: $householdId, "
        "email: $email, password: $password, idempotencyKey: $idempotencyKey) { id } }",
        (
            Field(
                "courriel",
                "Adresse électronique du ménage (son identifiant)",
                api="email",
            ),
            Field(
                "mot_de_passe",
                "Mot de passe provisoire (8 caractères au moins)",
                help="Communiquez-le au ménage, qui le changera à sa première connexion.",
                api="password",
            ),
        ),
        None,
        variables=lambda values, case: {
            "householdId": case["householdId"],
            "email": values["courriel"],
            "password": values["mot_de_passe"],
        },
        offered_by="mayOpenHouseholdAccount",
        submit="Ouvrir l'accès",
        intro="Le ménage pourra suivre son dossier, ses rendez-vous et ses documents, et "
        "signer son CEOP. Un seul accès par ménage.",
    ),
    Action(
        "consentement",
        "Enregistrer le consentement du ménage",
        _mutation("recordConsent", scope="ConsentScope!"),
        (
            Field(
                "accord",
                "Le ménage accepte que son bailleur voie le détail de l'accompagnement "
                "(dette locative, concertations, loyers).",
                "checkbox",
            ),
        ),
        C.RECORD_CONSENT,
        variables=lambda values, case: {"scope": "LANDLORD_DETAIL"},
    ),
    Action(
        "retrait_consentement",
        "Retirer le consentement du ménage",
        _mutation("withdrawConsent", scope="ConsentScope!"),
        (_confirm("Je confirme retirer le consentement du ménage."),),
        C.WITHDRAW_CONSENT,
        variables=lambda values, case: {"scope": "LANDLORD_DETAIL"},
        submit="Retirer le consentement",
        intro="Le bailleur ne verra plus le détail de l'accompagnement.",
    ),
    Action(
        "demande",
        "Déposer la demande au FPEL",
        _mutation("submitRequest", input="SubmitRequestInput!"),
        (
            Field(
                "aide_demandee",
                "Montant de l'aide demandée (€)",
                "money",
                api="aidRequest.amountRequested",
            ),
            Field("dette_locative", "Dette locative (€)", "money", api="aidRequest.rentArrears"),
            Field("loyer", "Loyer mensuel (€)", "money", api="aidRequest.monthlyRent"),
            Field(
                "mesure_proposee",
                "Mesure proposée",
                "select",
                options=_choices(MEASURE_TYPES),
                api="proposedMeasure",
            ),
            Field(
                "duree_proposee",
                "Durée proposée (mois)",
                "number",
                minimum=1,
                api="proposedDurationMonths",
            ),
        ),
        C.SUBMIT_REQUEST,
        submit="Déposer la demande",
    ),
    Action(
        "referent",
        "Confier le dossier à un autre référent",
        _mutation("assignReferent", referentId="ID!"),
        (
            Field(
                "referent",
                "Nouveau ou nouvelle référent·e",
                "select",
                help="Les personnes de l'association titulaires d'un diplôme de niveau III.",
                api="referentId",
            ),
        ),
        C.ASSIGN_REFERENT,
        submit="Confier le dossier",
        options=lambda case, zone: {"referent": _referents(case)},
        initial=_viewer_as_referent,
    ),
    Action(
        "redaction_ceop",
        "Rédiger le CEOP",
        _mutation("draftCeop", input="CeopInput!"),
        CEOP_FIELDS,
        C.DRAFT_CEOP,
        variables=_ceop_variables,
        intro="Objectifs du catalogue par thème, étapes et engagements de chaque partie.",
        check=_ceop_check,
        initial=_as_diagnosed,
        hints=_findings,
    ),
    Action(
        "avenant_ceop",
        "Modifier le CEOP (avenant)",
        _mutation("amendCeop", input="CeopInput!"),
        CEOP_FIELDS,
        C.AMEND_CEOP,
        variables=_ceop_variables,
        intro="Une nouvelle version du CEOP, à signer à nouveau par chaque partie.",
        check=_ceop_check,
    ),
    Action(
        "signature_ceop",
        "Enregistrer une signature du CEOP",
        _mutation("recordCeopSignature", signatory="Signatory!", signedOn="Date!"),
        (
            Field("signataire", "Signataire", "select", api="signatory"),
            SIGNATURE_DATE,
        ),
        C.RECORD_CEOP_SIGNATURE,
        intro="Pour une signature donnée sur papier, ou la vôtre.",
        audience=ASSOCIATION,
        options=lambda case, zone: {"signataire": _signatories(case)},
    ),
    Action(
        "transmission_ceop",
        "Transmettre le CEOP signé au SPSLH",
        _mutation("transmitCeop"),
        (),
        C.TRANSMIT_CEOP,
        submit="Transmettre",
    ),
    Action(
        "progression",
        "Noter la progression d'un objectif",
        _mutation("recordObjectiveProgress", input="ObjectiveProgressInput!"),
        (
            Field("objectif", "Objectif", "select", api="objectiveId"),
            Field(
                "progression", "Progression", "select", options=_choices(PROGRESS), api="progress"
            ),
            Field("note", "Commentaire", "textarea", required=False, api="note"),
        ),
        C.RECORD_OBJECTIVE_PROGRESS,
        options=lambda case, zone: _ceop_objectives(case),
    ),
    Action(
        "rendez_vous",
        "Programmer une visite",
        _mutation("scheduleVisit", plannedAt="DateTime!", kind="VisitKind!"),
        (
            Field("quand", "Date et heure", "datetime", help="Heure de Paris.", api="plannedAt"),
            Field("type", "Lieu", "select", options=_choices(VISIT_KINDS), api="kind"),
        ),
        C.SCHEDULE_VISIT,
        submit="Programmer",
    ),
    Action(
        "visite",
        "Enregistrer une visite réalisée",
        _mutation("recordVisit", input="RecordVisitInput!"),
        (
            Field("date", "Date de la visite", "date", api="occurredOn"),
            Field("type", "Lieu", "select", options=_choices(VISIT_KINDS), api="kind"),
            Field(
                "rendez_vous",
                "Rendez-vous programmé",
                "select",
                required=False,
                help="Facultatif : le rendez-vous que cette visite honore.",
                api="visitId",
            ),
            THEME_CHECKBOXES,
            _box("menage_present", "Le ménage était présent", "householdPresent"),
            Field("note", "Note de visite", "textarea", required=False, api="note"),
        ),
        C.RECORD_VISIT,
        options=lambda case, zone: {"rendez_vous": _planned(case, zone)},
    ),
    Action(
        "visite_manquee",
        "Enregistrer une visite manquée",
        _mutation("recordMissedVisit", visitId="ID!", reason="String!"),
        (
            Field("rendez_vous", "Rendez-vous programmé", "select", api="visitId"),
            Field("motif", "Motif", "textarea", required=False, api="reason"),
        ),
        C.RECORD_MISSED_VISIT,
        options=lambda case, zone: {"rendez_vous": _planned(case, zone)},
    ),
    Action(
        "contact",
        "Enregistrer un contact avec le ménage",
        _mutation("recordContact", input="RecordContactInput!"),
        (
            Field("date", "Date du contact", "date", api="occurredOn"),
            Field("canal", "Moyen", "select", options=_choices(CHANNELS), api="channel"),
            _box("initiative_menage", "À l'initiative du ménage", "initiatedByHousehold"),
            _box(
                "menage_a_pris_part",
                "Le ménage a pris part au contact",
                "householdTookPart",
                help="Il a décroché, appelé ou répondu. Un courrier envoyé, un message laissé "
                "ou un appel sans réponse est enregistré, mais ne remet pas à zéro le "
                "décompte de non-collaboration.",
            ),
            THEME_CHECKBOXES,
            NOTE_FIELD,
        ),
        C.RECORD_CONTACT,
    ),
    Action(
        "concertation",
        "Enregistrer une concertation",
        _mutation("holdConcertation", input="ConcertationInput!"),
        (
            Field("date", "Date de la concertation", "date", api="heldOn"),
            Field("objet", "Objet", api="subject"),
            Field(
                "participants",
                "Participants",
                "textarea",
                help="Un participant par ligne (par exemple : « CCAS de Villeurbanne »).",
                api="participants",
            ),
            Field("resultat", "Conclusions", "textarea", required=False, api="outcome"),
        ),
        C.HOLD_CONCERTATION,
        variables=lambda values, case: {
            "input": {
                "heldOn": values["date"],
                "subject": values["objet"],
                "participants": [
                    {"label": line.strip()}
                    for line in values["participants"].splitlines()
                    if line.strip()
                ],
                "outcome": values.get("resultat", ""),
            }
        },
    ),
    Action(
        "dette",
        "Enregistrer une dette du ménage",
        _mutation("recordDebt", input="DebtInput!"),
        (
            Field("creancier", "Créancier", api="creditor"),
            Field("montant", "Montant (€)", "money", api="amount"),
            _box("due_au_bailleur", "Dette due au bailleur", "creditorIsLandlord"),
        ),
        C.RECORD_DEBT,
    ),
    Action(
        "plan_apurement",
        "Enregistrer un plan d'apurement",
        _mutation("agreeRepaymentPlan", input="RepaymentPlanInput!"),
        (
            Field("dette", "Dette", "select", api="debtId"),
            Field("mensualite", "Mensualité (€)", "money", api="monthlyAmount"),
            Field("premiere_echeance", "Première échéance", "date", api="firstDueOn"),
            Field("mois", "Nombre d'échéances (mois)", "number", minimum=1, api="months"),
        ),
        C.AGREE_REPAYMENT_PLAN,
        options=lambda case, zone: {"dette": _debts(case)},
    ),
    Action(
        "suspension",
        "Suspendre le décompte des jours sans nouvelles",
        _mutation("suspendAlertClock", input="SuspensionInput!"),
        (
            Field("debut", "Début", "date", api="startsOn"),
            Field("fin", "Fin", "date", api="endsOn"),
            Field("motif", "Motif", "select", options=_choices(SUSPENSION_REASONS), api="reason"),
            Field("precisions", "Précisions", "textarea", required=False, api="details"),
        ),
        C.SUSPEND_ALERT_CLOCK,
        submit="Suspendre",
        intro="Hospitalisation, absence… : ces jours ne comptent pas pour l'alerte.",
    ),
    Action(
        "alerte",
        "Signaler une absence de collaboration",
        _mutation("raiseNonCollaborationAlert"),
        (_confirm("Je confirme alerter la commission de l'absence de collaboration du ménage."),),
        C.RAISE_NON_COLLABORATION_ALERT,
        submit="Alerter la commission",
        intro="Alerte la commission, qui peut décider l'arrêt de la mesure.",
    ),
    Action(
        "bilan",
        "Remettre le bilan de fin de mesure",
        _mutation("submitFinalReport", householdStillHoused="Boolean!", summary="String!"),
        (
            Field(
                "toujours_loge",
                "Le ménage est-il toujours dans son logement ?",
                "select",
                options=YES_NO,
            ),
            Field("synthese", "Synthèse", "textarea", api="summary"),
        ),
        C.SUBMIT_FINAL_REPORT,
        variables=lambda values, case: {
            "householdStillHoused": values["toujours_loge"] == "OUI",
            "summary": values["synthese"],
        },
        submit="Remettre le bilan",
    ),
    # ------------------------------------------------------------ SPSLH
    Action(
        "inscription",
        "Inscrire la demande en commission",
        _mutation("registerRequest", commissionSessionOn="Date!"),
        (Field("seance", SESSION_LABEL, "select", api="commissionSessionOn"),),
        C.REGISTER_REQUEST,
        submit="Inscrire",
        options=lambda case, zone: {"seance": case.get("sessions") or ()},
    ),
    Action(
        "convocation",
        "Inviter le référent à une séance",
        _mutation("issueCommissionInvitation", sessionOn="Date!"),
        (Field("seance", SESSION_LABEL, "date", api="sessionOn"),),
        C.ISSUE_COMMISSION_INVITATION,
        submit="Inviter",
    ),
    Action(
        "notification",
        "Notifier la décision",
        _mutation("notifyDecision"),
        (),
        C.NOTIFY_DECISION,
        submit="Notifier la décision",
        intro="Au ménage et à l'association.",
    ),
    # -------------------------------------------------------- commission
    Action(
        "accord",
        "Accorder la mesure",
        _mutation("grantMeasure", input="GrantMeasureInput!"),
        (
            Field(
                "mesure",
                "Type de mesure",
                "select",
                options=_choices(MEASURE_TYPES),
                api="measureType",
            ),
            Field("duree", "Durée de la mesure (mois)", "number", minimum=1, api="durationMonths"),
            Field(
                "mise_a_l_epreuve",
                "Durée de mise à l'épreuve (mois)",
                "number",
                minimum=0,
                help="La durée de la mesure ne peut lui être inférieure.",
                api="probationMonths",
            ),
            Field("aide", "Aide accordée (€)", "money", api="aidGranted"),
        ),
        C.GRANT_MEASURE,
        submit="Accorder",
        intro="Prérempli avec la mesure, la durée et l'aide proposées par la demande.",
        initial=_as_proposed,
    ),
    Action(
        "ajournement",
        "Ajourner la demande",
        _mutation("adjournRequest", reason="String!"),
        (REASON_FIELD,),
        C.ADJOURN_REQUEST,
        submit="Ajourner",
    ),
    Action(
        "rejet",
        "Rejeter la demande",
        _mutation("rejectRequest", reason="String!"),
        (
            REASON_FIELD,
            _confirm("Je confirme rejeter la demande : ce rejet est définitif."),
        ),
        C.REJECT_REQUEST,
        submit="Rejeter",
    ),
    Action(
        "prolongation",
        "Prolonger la mesure",
        _mutation("extendMeasure", additionalMonths="Int!", reason="String!"),
        (
            Field("mois", "Prolongation (mois)", "number", minimum=1, api="additionalMonths"),
            REASON_FIELD,
        ),
        C.EXTEND_MEASURE,
        submit="Prolonger",
    ),
    Action(
        "poursuite",
        "Poursuivre la mesure malgré le cumul",
        _mutation("settleCombinationConflict", decision="String!"),
        (Field("motif", "Motifs de la décision", "textarea", api="decision"),),
        C.SETTLE_COMBINATION_CONFLICT,
        submit="Poursuivre la mesure",
        intro="Un accompagnement FSL ou du plan de lutte contre la pauvreté chevauche la "
        "mesure, qui ne peut lui être cumulée : arrêtez-la, ou motivez sa poursuite.",
    ),
    Action(
        "arret",
        "Arrêter la mesure",
        _mutation("stopMeasure", reason="StopReason!", details="String!"),
        (
            Field(
                "motif", "Motif de l'arrêt", "select", options=_choices(STOP_REASONS), api="reason"
            ),
            Field("precisions", "Précisions", "textarea", required=False, api="details"),
            _confirm("Je confirme arrêter la mesure : cet arrêt est définitif."),
        ),
        C.STOP_MEASURE,
        submit="Arrêter la mesure",
    ),
    # ---------------------------------------------------------- landlord
    Action(
        "loyer",
        "Déclarer un loyer",
        _mutation("reportRentPayment", input="RentPaymentInput!"),
        (
            Field(
                "mois",
                "Mois",
                "month",
                help="Au format AAAA-MM, par exemple 2026-03.",
                api="month",
            ),
            Field("du", "Montant dû (€)", "money", api="amountDue"),
            Field("paye", "Montant payé (€)", "money", api="amountPaid"),
        ),
        C.REPORT_RENT_PAYMENT,
        submit="Déclarer",
    ),
    # ------------------------------------------ a party signs its own CEOP part
    _own_signature(
        "signature_menage",
        "HOUSEHOLD",
        "En signant, vous acceptez les objectifs et engagements du contrat.",
    ),
    _own_signature(
        "signature_bailleur",
        "LANDLORD",
        "Le contrat comporte des engagements du bailleur : votre signature est requise.",
    ),
    # ------------------------------------------------ commission, at the term
    Action(
        "cloture",
        "Clore la mesure arrivée à son terme",
        _mutation("completeMeasure"),
        (),
        C.COMPLETE_MEASURE,
        submit="Clore la mesure",
        intro="La mesure a atteint son terme et n'est pas encore close.",
    ),
)
BY_NAME: dict[str, Action] = {action.name: action for action in ACTIONS}


# ------------------------------------------------------------------ forms
def _with_options(action: Action, case: Mapping[str, Any], zone: tzinfo) -> tuple[Field, ...]:
    options = action.options(case, zone) if action.options is not None else {}
    hints = action.hints(case) if action.hints is not None else {}
    return tuple(
        replace(
            item,
            options=options.get(item.name, item.options),
            help=" ".join(text for text in (hints.get(item.name), item.help) if text) or None,
        )
        for item in action.fields
    )


def form_of(action: Action, case: Mapping[str, Any], zone: tzinfo, **state: Any) -> ActionForm:
    if "values" not in state and action.initial is not None:
        state["values"] = action.initial(case)
    return ActionForm(
        name=action.name,
        title=action.title,
        fields=_with_options(action, case, zone),
        submit=action.submit,
        intro=action.intro,
        **state,
    )


def offered(action: Action, case: Mapping[str, Any], role: str) -> bool:
    """Whether the page offers ``action``: the API lists its command for this viewer, and
    this face of the command speaks to the viewer's role."""
    if action.offered_by is not None:
        return bool(case.get(action.offered_by))
    return (
        action.command is not None
        and action.command.name in (case.get("availableCommands") or ())
        and (action.audience is None or role in action.audience)
    )


def actions_for(
    case: Mapping[str, Any],
    role: str,
    zone: tzinfo,
    failed: ActionForm | None = None,
    chosen: str | None = None,
) -> list[ActionForm]:
    """The forms the case page offers ``role`` now; ``failed`` (a refused or invalid post)
    takes its action's place, or comes first when the page would not offer it. One form is
    open: ``failed``, else ``chosen`` (``?action={name}``) when offered. Times are shown in
    ``zone`` (``ASPE_TIMEZONE``)."""
    forms = [form_of(action, case, zone) for action in ACTIONS if offered(action, case, role)]
    if failed is not None:
        failed.open = True
        if any(form.name == failed.name for form in forms):
            return [failed if form.name == failed.name else form for form in forms]
        return [failed, *forms]
    for form in forms:
        form.open = form.name == chosen
    return forms


TO_DO: dict[str, str] = {
    "diagnostic": "Enregistrer le diagnostic du ménage",
    "demande": "Déposer la demande au FPEL",
    "inscription": "Inscrire la demande en commission",
    "accord": "Statuer sur la demande",
    "notification": "Notifier la décision",
    "redaction_ceop": "Rédiger le CEOP",
    "signature_ceop": "Recueillir la signature du CEOP",
    "signature_menage": "Signer le CEOP",
    "signature_bailleur": "Signer le CEOP",
    "transmission_ceop": "Transmettre le CEOP signé au SPSLH",
    "visite": "Enregistrer la visite de cette semaine",
    "poursuite": "Trancher le cumul de la mesure avec un autre accompagnement",
    "bilan": "Remettre le bilan de fin de mesure",
    "cloture": "Clore la mesure arrivée à son terme",
}
"""What the « À faire » block says of an offered form that moves the case on, by action."""


def to_do(case: Mapping[str, Any], forms: Sequence[ActionForm]) -> list[tuple[str, str]]:
    """The « À faire » block: ``(action, French task)`` of the offered forms that move the
    case on now, as the API lists them (with who still has to sign the CEOP)."""
    tasks = []
    for form in forms:
        task = TO_DO.get(form.name)
        if task is None:
            continue
        if form.name == "visite" and _week_met(case):
            continue  # this week's visits are done: recording one more is no task
        if form.name == "signature_ceop":
            names = [SIGNATORIES.get(s, s) for s in case.get("ceopSignaturesToRecord") or ()]
            if not names:
                continue
            task = f"{task} : {', '.join(name.lower() for name in names)}"
        tasks.append((form.name, task))
    return tasks


def _week_met(case: Mapping[str, Any]) -> bool:
    """Whether the measure's cadence is met this week (the last week the API counts)."""
    weeks = case.get("weeklyCompliance") or []
    return bool(weeks) and bool(weeks[-1].get("compliant"))


CONFIRMATION_ID = "confirmation"
"""The anchor of the page's confirmation: where a successful action lands, in view."""


CONFIRMATIONS = {"nouveau_menage": "le ménage est enregistré et son dossier est ouvert."}
"""The confirmation of a form outside the case's actions (``aspe.portal.new_case``)."""


def confirmation(done: str | None) -> str | None:
    """The French confirmation after ``?fait={action}``."""
    if done in CONFIRMATIONS:
        return f"C'est enregistré : {CONFIRMATIONS[done]}"
    action = BY_NAME.get(done or "")
    return f"C'est enregistré : {action.title[0].lower()}{action.title[1:]}." if action else None


TEMPLATES.env.globals["action_confirmation"] = confirmation


# ---------------------------------------------------------------- cleaning
def _parse_date(text: str) -> date | None:
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def _money(text: str) -> Decimal | None:
    cleaned = re.sub(r"[\s\u00a0\u202f€]", "", text).replace(",", ".")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount < 0 or amount.as_tuple().exponent < -2:  # type: ignore[operator]
        return None
    return amount.quantize(Decimal("0.01"))


def clean_field(item: Field, raw: Any, zone: ZoneInfo) -> tuple[Any, str | None]:
    """One field's typed value → ``(value for the mutation, French error or None)``."""
    if item.kind == "checkboxes":
        chosen = [value for value in raw or [] if value]
        allowed = {value for value, _ in item.options}
        if any(value not in allowed for value in chosen):
            return [], "Choisissez parmi les cases proposées."
        if item.required and not chosen:
            return [], "Cochez au moins une case."
        return chosen, None
    if item.kind == "checkbox":
        checked = bool(raw)
        if item.required and not checked:
            return False, "Cochez cette case pour confirmer."
        return checked, None
    text = (raw or "").strip() if isinstance(raw, str) else ""
    if not text:
        return None, REQUIRED if item.required else None
    if item.kind == "date":
        day = _parse_date(text)
        return (day.isoformat(), None) if day else (None, "Saisissez une date (JJ/MM/AAAA).")
    if item.kind == "month":
        try:
            month = datetime.strptime(text, "%Y-%m").date()
        except ValueError:
            return None, "Saisissez un mois au format AAAA-MM (par exemple 2026-03)."
        return month.isoformat(), None
    if item.kind == "datetime":
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None, "Saisissez une date et une heure (JJ/MM/AAAA HH:MM)."
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone)
        return moment.isoformat(), None
    if item.kind == "number":
        if not re.fullmatch(r"-?\d{1,6}", text):
            return None, "Saisissez un nombre entier."
        number = int(text)
        if item.minimum is not None and number < item.minimum:
            return None, f"Saisissez un nombre supérieur ou égal à {item.minimum}."
        return number, None
    if item.kind == "money":
        amount = _money(text)
        if amount is None:
            return None, "Saisissez un montant positif en euros (par exemple 1 250,00)."
        return str(amount), None
    if item.kind == "select":
        if text not in {value for value, _ in item.options}:
            return None, "Choisissez une option de la liste."
        return text, None
    return text, None


def clean(
    action: Action, fields: Sequence[Field], raw: Values, zone: ZoneInfo
) -> tuple[Values, dict[str, str]]:
    values: Values = {}
    errors: dict[str, str] = {}
    for item in fields:
        value, error = clean_field(item, raw.get(item.name), zone)
        if error:
            errors[item.name] = error
        elif value is not None:
            values[item.name] = value
    if not errors and action.check is not None:
        errors.update(action.check(values))
    return values, errors


def place_errors(
    fields: Sequence[Field], failure: GraphQLFailure
) -> tuple[dict[str, str], str | None]:
    """The API's errors next to the field they concern (``extensions.field``: the field that
    feeds that input, or the first that feeds a part of it), or at the form's top."""
    errors: dict[str, str] = {}
    general: list[str] = []
    for error in failure.errors:
        target = _field_for(fields, error.field)
        if target is not None and target not in errors:
            errors[target] = error.message
        else:
            general.append(error.message)
    return errors, " ".join(general) or None


def _field_for(fields: Sequence[Field], api_field: str | None) -> str | None:
    if api_field is None:
        return None
    exact = next((item.name for item in fields if item.api == api_field), None)
    inside = (item.name for item in fields if (item.api or "").startswith(f"{api_field}."))
    return exact or next(inside, None)


async def read_form(request: Request, fields: Sequence[Field]) -> Values:
    form = await request.form()
    raw: Values = {}
    for item in fields:
        if item.kind == "checkboxes":
            raw[item.name] = [str(value) for value in form.getlist(item.name)]
        else:
            value = form.get(item.name)
            raw[item.name] = value if isinstance(value, str) else ""
    return raw


# ---------------------------------------------------------------- the POST
async def perform(request: Request, case_id: str, name: str) -> Response:
    """POST ``/dossiers/{case_id}/actions/{name}``: clean, run the mutation, redirect."""
    action = BY_NAME.get(name)
    if not CASE_ID.match(case_id):
        raise case_not_found()
    if action is None:
        raise PageNotFound("Action introuvable", "Cette action n'existe pas.")
    # The form's preconditions: the page it came from, or comes back to, is the read.
    data = await execute(request, ACTIONS_CASE_QUERY, {"id": case_id}, NOT_RECORDED)
    if data["case"] is None:
        raise case_not_found()
    case = with_root_fields(data["case"], data)
    zone = request.app.state.settings.zone
    fields = _with_options(action, case, zone)
    raw = await read_form(request, fields)
    values, errors = clean(action, fields, raw, zone)
    if errors:
        failed = form_of(action, case, zone, values=raw, errors=errors)
        return await _refused(request, case_id, failed)
    variables = {"caseId": case_id, **action.variables_of(values, case)}
    form = await request.form()
    key = form.get("cle")
    if isinstance(key, str) and re.fullmatch(r"[0-9a-f]{32}", key):
        variables["idempotencyKey"] = f"portail-{name}-{key}"
    try:
        await execute(request, action.mutation, variables)
    except GraphQLFailure as failure:
        if failure.code == "INTERNAL_ERROR":
            raise
        placed, general = place_errors(fields, failure)
        failed = form_of(action, case, zone, values=raw, errors=placed, general_error=general)
        return await _refused(request, case_id, failed)
    return redirect(f"/dossiers/{case_id}?fait={name}#{CONFIRMATION_ID}")


async def _refused(request: Request, case_id: str, failed: ActionForm) -> Response:
    """The case page again, with the failed form in place of its blank one (422)."""
    from aspe.portal.case_page import show_case  # it imports this module: import when used

    return await show_case(request, case_id, failed=failed, status_code=422)
