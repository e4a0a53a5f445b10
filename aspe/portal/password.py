"""« Mon mot de passe »: every account changes its own password, given the current one.

The change ends every session of the account, this one's too (``changePassword``); the
person is logged in again at once with the new password, in a new session (new CSRF
token), and comes back to the form with a confirmation. A wrong current password or a new
one the API refuses comes back (422) with the French message next to its field.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from aspe.portal.gql import GraphQLFailure, execute, execute_anonymously, session_viewer
from aspe.portal.pages import redirect, render
from aspe.portal.session import new_session, replace_session

URL = "/mon-compte/mot-de-passe"
CHANGE = """
mutation PortalChangePassword($current: String!, $new: String!) {
  changePassword(currentPassword: $current, newPassword: $new) { id }
}
"""
LOGIN = """
mutation PortalLogin($email: String!, $password: String!) {
  login(email: $email, password: $password) { token }
}
"""
FIELDS = ("actuel", "nouveau", "confirmation")
FIELD_OF_CODE = {"WRONG_PASSWORD": "actuel", "INVALID_INPUT": "nouveau"}
"""Where the API's refusal is shown: next to the field it is about."""

Errors = dict[str, str]


def register(router: APIRouter) -> None:
    @router.get(URL, include_in_schema=False)
    async def password_form(request: Request, modifie: str = "") -> Response:
        return await _form(request, changed=modifie == "1")

    @router.post(URL, include_in_schema=False)
    async def change_password(request: Request) -> Response:
        form = await request.form()
        current, new, again = (str(form.get(name) or "") for name in FIELDS)
        errors = _missing(current, new, again)
        if errors:
            return await _form(request, errors=errors, status_code=422)
        viewer = await session_viewer(request)
        try:
            await execute(request, CHANGE, {"current": current, "new": new})
        except GraphQLFailure as failure:
            field = FIELD_OF_CODE.get(failure.code)
            if field is None:
                raise
            return await _form(request, errors={field: failure.message}, status_code=422)
        await _log_in_again(request, viewer.email or "", new)
        return redirect(f"{URL}?modifie=1")


def _missing(current: str, new: str, again: str) -> Errors:
    errors: Errors = {}
    if not current:
        errors["actuel"] = "Saisissez votre mot de passe actuel."
    if not new:
        errors["nouveau"] = "Saisissez un nouveau mot de passe."
    elif new != again:
        errors["confirmation"] = "La confirmation ne correspond pas au nouveau mot de passe."
    return errors


async def _log_in_again(request: Request, email: str, password: str) -> None:
    """The change ended this session: a new one, with a token at the new password."""
    data = await execute_anonymously(request, LOGIN, {"email": email, "password": password})
    replace_session(request, new_session(data["login"]["token"]))


async def _form(
    request: Request, *, errors: Errors | None = None, changed: bool = False, status_code: int = 200
) -> Response:
    context = {"errors": errors or {}, "changed": changed, "title": "Mon mot de passe"}
    return await render(request, "mot-de-passe.html", context, status_code=status_code)
