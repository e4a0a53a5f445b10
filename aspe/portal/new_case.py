"""« Nouveau ménage »: association staff register a household and open its case.

The form is an ``actions.Action`` rendered by ``actions.html`` (it posts to ``URL``, not to a
case). Its choices come from the API: ``landlords``, and for a manager ``colleagues`` (the
referent of the new case; a referent opens it for themself). ``create(request)`` is the POST:
it cleans the form, runs ``registerHousehold`` then ``openCase`` as the session's viewer and
redirects (303) to the new case's page, its confirmation in view, or shows the home again
with the form, an error summary at its top (focused), its values and its French errors (422).
Other roles are refused (403): the API would refuse them too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from fastapi import Request
from starlette.responses import Response

from aspe.portal.actions import (
    Action,
    ActionForm,
    Field,
    by_api,
    clean,
    place_errors,
    read_form,
)
from aspe.portal.gql import GraphQLFailure, execute
from aspe.portal.pages import CHROME, Forbidden, redirect

URL = "/dossiers/nouveau"
NAME = "nouveau_menage"
STAFF = frozenset({"REFERENT", "ASSOCIATION_MANAGER"})

DIRECTORY_FIELDS = "landlords { id name } colleagues { id name role qualifiedReferent }"
"""What the form's choices need: put these root fields in the home's query."""

DIRECTORY_QUERY = f"query NewHousehold {{ {CHROME} {DIRECTORY_FIELDS} }}"

REGISTER_HOUSEHOLD = """
mutation RegisterHousehold($input: HouseholdInput!, $idempotencyKey: String) {
  registerHousehold(input: $input, idempotencyKey: $idempotencyKey) { id }
}
"""
OPEN_CASE = """
mutation OpenCase($householdId: ID!, $referentId: ID!, $idempotencyKey: String) {
  openCase(householdId: $householdId, referentId: $referentId, idempotencyKey: $idempotencyKey) {
    id
  }
}
"""

HOUSEHOLD_FIELDS = (
    Field("nom", "Nom du ménage", help="Par exemple : Ménage Durand.", api="name"),
    Field("rue", "Adresse (numéro et rue)", api="address.street"),
    Field("code_postal", "Code postal", api="address.postcode"),
    Field("commune", "Commune", api="address.city"),
    Field("contact", "Coordonnées", help="Téléphone ou courriel du ménage.", api="contact"),
    Field("membres", "Nombre de personnes au foyer", "number", minimum=1, api="members"),
    Field("bailleur", "Bailleur", "select", api="landlordId"),
)
REFERENT_FIELD = Field(
    "referent",
    "Référent·e du dossier",
    "select",
    help="Un·e référent·e de l'association, titulaire d'un diplôme de niveau III.",
    api="referentId",
)


ACTION = Action(
    NAME,
    "Nouveau ménage",
    REGISTER_HOUSEHOLD,
    (*HOUSEHOLD_FIELDS, REFERENT_FIELD),
    None,
    submit="Enregistrer le ménage et ouvrir son dossier",
    intro="Le dossier s'ouvre au stade du diagnostic ; vous arrivez ensuite sur sa page.",
)
"""The form; ``create`` runs its two mutations: the household's fields feed
``registerHousehold``'s input, the referent ``openCase``."""


def fields_for(role: str, directory: Mapping[str, Any]) -> tuple[Field, ...]:
    """The form's fields for ``role``, with the choices the API listed: a manager picks the
    referent among the association's qualified referents; a referent opens it for themself."""
    landlords = tuple((item["id"], item["name"]) for item in directory.get("landlords") or ())
    referents = tuple(
        (item["id"], item["name"])
        for item in directory.get("colleagues") or ()
        if item.get("role") == "REFERENT" and item.get("qualifiedReferent")
    )
    chosen = {"bailleur": landlords, "referent": referents}
    return tuple(
        replace(item, options=chosen[item.name]) if item.name in chosen else item
        for item in ACTION.fields
        if item.name != "referent" or role == "ASSOCIATION_MANAGER"
    )


def new_case_form(role: str, directory: Mapping[str, Any], **state: Any) -> ActionForm | None:
    """The blank (or failed) form for the home of ``role``; ``None`` for other roles."""
    if role not in STAFF:
        return None
    return ActionForm(
        name=NAME,
        title=ACTION.title,
        fields=fields_for(role, directory),
        submit=ACTION.submit,
        intro=ACTION.intro,
        url=URL,
        **state,
    )


async def create(request: Request) -> Response:
    """POST ``/dossiers/nouveau``: register the household, open its case, go to its page."""
    directory = await execute(request, DIRECTORY_QUERY)
    me = directory["me"]
    role = str(me["role"])
    if role not in STAFF:
        raise Forbidden("Seule l'équipe d'une association enregistre un nouveau ménage.")
    fields = fields_for(role, directory)
    raw = await read_form(request, fields)
    values, errors = clean(ACTION, fields, raw, request.app.state.settings.zone)
    key = (await request.form()).get("cle")
    key = key if isinstance(key, str) and re.fullmatch(r"[0-9a-f]{32}", key) else None
    state: dict[str, Any] = {"values": raw, **({"idempotency_key": key} if key else {})}
    if errors:
        return await _refused(request, role, directory, errors=errors, **state)
    referent = values.get("referent") if role == "ASSOCIATION_MANAGER" else me["id"]
    try:
        registered = await execute(
            request,
            REGISTER_HOUSEHOLD,
            {"input": by_api(HOUSEHOLD_FIELDS, values), "idempotencyKey": _key("menage", key)},
        )
        household_id = registered["registerHousehold"]["id"]
        opened = await execute(
            request,
            OPEN_CASE,
            {
                "householdId": household_id,
                "referentId": referent,
                "idempotencyKey": _key("dossier", key),
            },
        )
    except GraphQLFailure as failure:
        if failure.code == "INTERNAL_ERROR":
            raise
        placed, general = place_errors(fields, failure)
        return await _refused(
            request, role, directory, errors=placed, general_error=general, **state
        )
    return redirect(f"/dossiers/{opened['openCase']['id']}?fait={NAME}#confirmation")


def _key(what: str, key: str | None) -> str | None:
    """Resent with the same form (same key), each command runs once: a household registered
    before its case was refused is found again, not registered twice."""
    return None if key is None else f"portail-{what}-{key}"


async def _refused(
    request: Request, role: str, directory: Mapping[str, Any], **state: Any
) -> Response:
    """The home again, with the failed form in place of its blank one (422)."""
    from aspe.portal.homes import home  # homes imports this module: import when used

    failed = new_case_form(role, directory, **state)
    return await home(request, failed=failed, status_code=422)
