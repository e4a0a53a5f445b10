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

from aspe.application.passwords import TypedPassword
from aspe.authorization import C
from aspe.graphql.inputs import password_hash_of, uuid_of
from aspe.graphql.mutations import IdempotencyKey, Registered, changed, once
from aspe.graphql.permissions import classified
from aspe.graphql.reading import viewer_of

ACCOUNT_ID = "de compte"
HOUSEHOLD_ID = "de ménage"


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

    @classified(
        C.ENTRY,
        description="Deactivate an account: it may no longer log in, its sessions end "
        "(administrator; a manager for its association's staff and households).",
    )
    async def deactivate_account(
        self, info: Info, account_id: strawberry.ID, idempotency_key: IdempotencyKey = None
    ) -> Registered:
        return await changed(
            info,
            uuid_of(account_id, ACCOUNT_ID),
            lambda app, account: app.deactivate_account(account, **once(idempotency_key)),
        )

    @classified(C.ENTRY, description="Reactivate a deactivated account (as for deactivating).")
    async def reactivate_account(
        self, info: Info, account_id: strawberry.ID, idempotency_key: IdempotencyKey = None
    ) -> Registered:
        return await changed(
            info,
            uuid_of(account_id, ACCOUNT_ID),
            lambda app, account: app.reactivate_account(account, **once(idempotency_key)),
        )

    @classified(
        C.ENTRY,
        description="Set a new password for a staff member who lost theirs (administrator; "
        "a manager for its association's staff); their sessions end.",
    )
    async def reset_staff_password(
        self,
        info: Info,
        staff_id: strawberry.ID,
        new_password: str,
        idempotency_key: IdempotencyKey = None,
    ) -> Registered:
        return await changed(
            info,
            uuid_of(staff_id, ACCOUNT_ID),
            lambda app, staff: app.reset_staff_password(
                staff, password_hash_of(new_password), **once(idempotency_key)
            ),
        )

    @classified(
        C.ENTRY,
        description="Give a household that has an account a new login e-mail and password "
        "(the manager of the association that registered it); the household is told, at "
        "its previous address too, and its sessions end.",
    )
    async def replace_household_credentials(
        self,
        info: Info,
        household_id: strawberry.ID,
        email: str,
        password: str,
        idempotency_key: IdempotencyKey = None,
    ) -> Registered:
        return await changed(
            info,
            uuid_of(household_id, HOUSEHOLD_ID),
            lambda app, household: app.replace_household_credentials(
                household, email, password_hash_of(password), **once(idempotency_key)
            ),
        )
