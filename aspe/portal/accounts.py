"""« Comptes »: a manager manages its association's staff accounts, the administrator every
organisation's.

``/comptes`` lists the accounts the API lists for the viewer (``accounts``), each with its
state, and offers a form to register a new one (``registerStaff``) with the organisations
and roles the API says the viewer may give (``managedOrganisations``). ``/comptes/{id}``
shows one account with its two operations: deactivate or reactivate it, and set a new
password; deactivating and resetting end the person's sessions, so each asks for a
confirmation first. Who may do what to which account is the domain's to decide: a refusal
comes back in French next to its field, nothing stored. Anyone who manages no account gets
the French « Accès refusé » page.

Each operation redirects (303) to the page it was asked from, at the account, with its
confirmation in view.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from aspe.domain.values import Diploma
from aspe.french import labels
from aspe.portal.gql import GraphQLFailure, execute
from aspe.portal.pages import ROLES, Forbidden, PageNotFound, redirect, render

URL = "/comptes"
PAGE_QUERY = """
query PortalAccounts {
  accounts { id name email role active qualifiedReferent organisationId organisationName }
  managedOrganisations { id name kind assignableRoles }
}
"""
REGISTER = """
mutation PortalRegisterStaff($input: StaffInput!) { registerStaff(input: $input) { id } }
"""
DEACTIVATE = "mutation PortalDeactivate($id: ID!) { deactivateAccount(accountId: $id) { id } }"
REACTIVATE = "mutation PortalReactivate($id: ID!) { reactivateAccount(accountId: $id) { id } }"
RESET = """
mutation PortalReset($id: ID!, $password: String!) {
  resetStaffPassword(staffId: $id, newPassword: $password) { id }
}
"""
NOT_MANAGING = (
    "La gestion des comptes est réservée aux responsables d'association, pour leur "
    "association, et à l'administration de la plateforme."
)
DONE = {
    "cree": "Le compte a été créé. Communiquez son mot de passe provisoire à la personne.",
    "desactive": "Le compte a été désactivé : la personne ne peut plus se connecter.",
    "reactive": "Le compte a été réactivé : la personne peut de nouveau se connecter.",
    "mot-de-passe": "Le mot de passe a été remplacé ; les sessions de la personne sont fermées.",
}
DIPLOMAS = labels.titles(Diploma)
NEW_FIELDS = ("nom", "email", "role", "organisation", "diplome", "mot_de_passe")
API_FIELDS = {
    "input.fullName": "nom",
    "input.email": "email",
    "email": "email",
    "input.role": "role",
    "input.organisationId": "organisation",
    "input.password": "mot_de_passe",
    "newPassword": "mot_de_passe",
}
"""Where the API's refusal is shown: the form field its ``extensions.field`` names."""
CONFIRM = "confirmation"
CONFIRM_MESSAGE = "Cochez la case pour confirmer."

Errors = dict[str, str]


def register(router: APIRouter) -> None:
    @router.get(URL, include_in_schema=False)
    async def accounts_page(request: Request, fait: str = "") -> Response:
        return await _list(request, notice=DONE.get(fait))

    @router.post(URL, include_in_schema=False)
    async def register_staff(request: Request) -> Response:
        form = await request.form()
        values = {name: str(form.get(name) or "").strip() for name in NEW_FIELDS}
        errors = _missing(values)
        if not errors:
            try:
                data = await execute(request, REGISTER, {"input": _staff_input(values)})
            except GraphQLFailure as failure:
                errors = {_field_of(failure, "nom"): failure.message}
            else:
                return redirect(f"{URL}/{data['registerStaff']['id']}?fait=cree#confirmation")
        return await _list(request, values=values, errors=errors, status_code=422)

    @router.get(URL + "/{account_id}", include_in_schema=False)
    async def account_page(request: Request, account_id: str, fait: str = "") -> Response:
        return await _account(request, account_id, notice=DONE.get(fait))

    @router.post(URL + "/{account_id}/{operation}", include_in_schema=False)
    async def account_operation(request: Request, account_id: str, operation: str) -> Response:
        form = await request.form()
        operations = {
            "desactiver": (DEACTIVATE, "desactive", True),
            "reactiver": (REACTIVATE, "reactive", False),
            "mot-de-passe": (RESET, "mot-de-passe", True),
        }
        if operation not in operations:
            raise PageNotFound()
        mutation, done, needs_confirmation = operations[operation]
        variables: dict[str, Any] = {"id": account_id}
        errors: Errors = {}
        if needs_confirmation and form.get(CONFIRM) != "oui":
            errors[CONFIRM] = CONFIRM_MESSAGE
        if operation == "mot-de-passe":
            variables["password"] = str(form.get("mot_de_passe") or "")
            if not variables["password"]:
                errors["mot_de_passe"] = "Saisissez le nouveau mot de passe."
        if not errors:
            try:
                await execute(request, mutation, variables)
            except GraphQLFailure as failure:
                errors = {_field_of(failure, CONFIRM): failure.message}
            else:
                return redirect(f"{URL}/{account_id}?fait={done}#confirmation")
        return await _account(
            request, account_id, errors=errors, operation=operation, status_code=422
        )


def _missing(values: Mapping[str, str]) -> Errors:
    required = {
        "nom": "Saisissez le nom de la personne.",
        "email": "Saisissez son adresse électronique.",
        "role": "Choisissez son rôle.",
        "organisation": "Choisissez son organisation.",
        "mot_de_passe": "Saisissez un mot de passe provisoire.",
    }
    return {name: message for name, message in required.items() if not values.get(name)}


def _staff_input(values: Mapping[str, str]) -> dict[str, str]:
    return {
        "fullName": values["nom"],
        "email": values["email"],
        "role": values["role"],
        "organisationId": values["organisation"],
        "diploma": values.get("diplome") or Diploma.NONE.name,
        "password": values["mot_de_passe"],
    }


def _field_of(failure: GraphQLFailure, default: str) -> str:
    field = failure.errors[0].field if failure.errors else None
    return API_FIELDS.get(field or "", default)


async def _page_data(request: Request) -> dict[str, Any]:
    data = await execute(request, PAGE_QUERY)
    if not data["managedOrganisations"]:
        raise Forbidden(NOT_MANAGING)
    return data


async def _list(
    request: Request,
    *,
    notice: str | None = None,
    values: Mapping[str, str] | None = None,
    errors: Errors | None = None,
    status_code: int = 200,
) -> Response:
    data = await _page_data(request)
    organisations = data["managedOrganisations"]
    roles = sorted(
        {role for organisation in organisations for role in organisation["assignableRoles"]}
    )
    context = {
        "title": "Comptes",
        "accounts": data["accounts"],
        "organisations": organisations,
        "several_organisations": len(organisations) > 1,
        "organisation_options": [(found["id"], found["name"]) for found in organisations],
        "role_options": [(role, ROLES.get(role, role)) for role in roles],
        "diploma_options": list(DIPLOMAS.items()),
        "roles": ROLES,
        "values": values or {},
        "errors": errors or {},
        "notice": notice,
    }
    return await render(request, "comptes.html", context, status_code=status_code)


async def _account(
    request: Request,
    account_id: str,
    *,
    notice: str | None = None,
    errors: Errors | None = None,
    operation: str | None = None,
    status_code: int = 200,
) -> Response:
    data = await _page_data(request)
    account = next((found for found in data["accounts"] if found["id"] == account_id), None)
    if account is None:
        raise PageNotFound("Compte introuvable", "Ce compte n'existe pas ou vous ne le gérez pas.")
    context = {
        "title": f"Compte de {account['name']}",
        "account": account,
        "roles": ROLES,
        "errors": errors or {},
        "operation": operation,
        "notice": notice,
    }
    return await render(request, "compte.html", context, status_code=status_code)
