"""Accounts' lifecycle: signing out, passwords, deactivation, a household's new login.

Each mutation is a thin call into the application, run as the viewer; who may run it on
which account is the domain's to decide (``NOT_AUTHORISED``…). ``logout`` and
``changePassword`` act on the viewer's own account; a password change, a reset, a
replacement, a deactivation and a sign-out end the sessions opened before (their tokens
are refused: ``INVALID_TOKEN``).
"""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from aspe.application import AspeApplication as App
from aspe.application.passwords import TypedPassword
from aspe.authorization import C
from aspe.graphql.command_mutations import (
    IdempotencyKey,
    NewPassword,
    Registered,
    Target,
    changed,
    entry_mutation,
    once,
)
from aspe.graphql.inputs import password_hash_of
from aspe.graphql.permissions import classified
from aspe.graphql.reading import viewer_of

ACCOUNT_ID = "de compte"


@strawberry.type
class AccountMutations:
    @classified(
        C.ACCOUNT,
        description="Sign out: every token of the viewer's account is refused from now on, "
        "on every device.",
    )
    async def logout(self, info: Info, idempotency_key: IdempotencyKey = None) -> Registered:
        return await changed(
            info,
            viewer_of(info).id,
            lambda app, account: app.logout(account, **once(idempotency_key)),
        )

    @classified(
        C.ACCOUNT,
        description="Change the viewer's own password, given the current one; the viewer's "
        "other sessions end (log in again with the new password).",
    )
    async def change_password(
        self,
        info: Info,
        current_password: str,
        new_password: str,
        idempotency_key: IdempotencyKey = None,
    ) -> Registered:
        return await changed(
            info,
            viewer_of(info).id,
            lambda app, account: app.change_password(
                account,
                TypedPassword(current_password),
                password_hash_of(new_password),
                **once(idempotency_key),
            ),
        )

    deactivate_account = entry_mutation(
        App.deactivate_account,
        "Deactivate an account: it may no longer log in, its sessions end (administrator; a "
        "manager for its association's staff and households).",
        account_id=Target(ACCOUNT_ID),
    )
    reactivate_account = entry_mutation(
        App.reactivate_account,
        "Reactivate a deactivated account (as for deactivating).",
        account_id=Target(ACCOUNT_ID),
    )
    reset_staff_password = entry_mutation(
        App.reset_staff_password,
        "Set a new password for a staff member who lost theirs (administrator; a manager for "
        "its association's staff); their sessions end.",
        staff_id=Target(ACCOUNT_ID),
        new_password=NewPassword(),
    )
    replace_household_credentials = entry_mutation(
        App.replace_household_credentials,
        "Give a household that has an account a new login e-mail and password (the manager "
        "of the association that registered it); the household is told, at its previous "
        "address too, and its sessions end.",
        household_id=Target("de ménage"),
        email=str,
        password=NewPassword(),
    )
