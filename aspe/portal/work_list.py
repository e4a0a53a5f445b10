"""The search form of a work list (the référent's and the manager's homes): its fields are
the URL's (a GET form), turned into the variables of GraphQL's ``cases``, which searches,
filters, sorts and pages. The portal decides nothing: a value the API refuses comes back
as the API's French message next to its field.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

from fastapi import Request

from aspe.domain.values import MeasureType, Status
from aspe.french import labels
from aspe.portal.gql import GraphQLFailure

SORTS = {
    "ouverture": ("OPENED_ON", "Date d'ouverture"),
    "nom": ("HOUSEHOLD_NAME", "Nom du ménage"),
    "statut": ("STATUS", "Statut"),
}
"""The form's sorts: the URL's word → ``CaseSort`` and its label (the first is the default)."""
STATUSES = labels.titles(Status)
MEASURE_TYPES = labels.titles(MeasureType)
FIELDS = ("recherche", "statut", "referent", "mesure", "alerte", "tri")
"""The URL's parameters, in the form's order (``apres``, the page's cursor, besides)."""
API_FIELDS = {"search": "recherche", "referentId": "referent", "after": "apres"}
"""The ``cases`` argument a refusal names → the form's field that carried it."""


@dataclass(frozen=True)
class WorkListSearch:
    """What the viewer asked of its list: the URL's values as typed, and what went wrong."""

    role: str
    values: dict[str, str]
    after: str | None = None
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, request: Request, role: str) -> WorkListSearch:
        params = request.query_params
        values = {name: params.get(name, "").strip() for name in FIELDS}
        return cls(role=role, values=values, after=params.get("apres") or None)

    @property
    def searching(self) -> bool:
        """Whether any field narrows or orders the list (to say so above the results)."""
        return any(self.values[name] for name in FIELDS if name != "tri")

    def variables(self, viewer_id: str) -> dict[str, Any]:
        """The ``cases`` variables; a value the form does not offer (an edited URL) is left
        out, a typed text is the API's to judge. A référent's list holds their own cases."""
        values = self.values
        found: dict[str, Any] = {
            "after": self.after,
            "search": values["recherche"] or None,
            "status": values["statut"] if values["statut"] in STATUSES else None,
            "measureType": values["mesure"] if values["mesure"] in MEASURE_TYPES else None,
            "withOpenAlert": True if values["alerte"] == "oui" else None,
            "sort": SORTS.get(values["tri"], SORTS["ouverture"])[0],
        }
        if self.role == "REFERENT":
            found["me"] = viewer_id
            found["referentId"] = viewer_id
        else:
            found["referentId"] = values["referent"] or None
        return {
            name: value for name, value in found.items() if name not in self.errors_as_arguments()
        }

    def errors_as_arguments(self) -> set[str]:
        return {argument for argument, name in API_FIELDS.items() if name in self.errors}

    def errors_of(self, failure: GraphQLFailure) -> bool:
        """Whether ``failure`` is about a value already left out (it cannot be left out
        again: the refusal is not the form's)."""
        return any(self._field_of(error.field) in self.errors for error in failure.errors)

    @staticmethod
    def _field_of(argument: str | None) -> str:
        return API_FIELDS.get(argument or "", "recherche")

    def refused(self, failure: GraphQLFailure) -> WorkListSearch:
        """The same search, the refused value's field marked with the API's message (the
        list is then read without it)."""
        errors = dict(self.errors)
        for error in failure.errors:
            errors[self._field_of(error.field)] = error.message
        return replace(self, errors=errors, after=None if "apres" in errors else self.after)

    def page_url(self, cursor: str) -> str:
        """This search's next page: the form's values kept, the cursor given."""
        kept = [(name, value) for name, value in self.values.items() if value]
        return "/?" + urlencode([*kept, ("apres", cursor)])
