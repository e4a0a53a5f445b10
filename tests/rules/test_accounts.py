"""Accounts: one login e-mail per account, staff and households alike."""

from uuid import uuid4

from aspe.domain.actors import Role
from aspe.scenarios import ADMIN


def unique_email() -> str:
    return f"ana.{uuid4().hex[:8]}@aspe.test"


def test_two_staff_accounts_cannot_share_an_email(world, refused):
    email = unique_email()
    with world.acting(ADMIN):
        first = world.app.register_staff(world.association.id, Role.REFERENT, "Ana", email, "h")

    with world.acting(ADMIN), refused.expect("EMAIL_ALREADY_USED"):
        world.app.register_staff(
            world.association.id, Role.REFERENT, "Ana", f" {email.upper()}", "h"
        )
    assert world.app.account_for_email(email.title()) == (first.id, Role.REFERENT)


def test_a_household_account_cannot_take_a_staff_email(world, refused):
    household_id = world.new_household()

    with world.acting(world.referent), refused.expect("EMAIL_ALREADY_USED"):
        world.app.open_household_account(household_id, world.referent.email, "h")


def test_a_household_account_logs_in_with_its_own_email(world):
    household_id = world.new_household()

    with world.acting(world.referent):
        world.app.open_household_account(household_id, email := unique_email(), "h")

    assert world.app.account_for_email(email) == (household_id, Role.HOUSEHOLD)
    assert world.app.account_for_email("personne@exemple.fr") is None


def test_an_invalid_email_is_refused(world, refused):
    with world.acting(ADMIN), refused.expect("INVALID_INPUT"):
        world.app.register_staff(world.association.id, Role.REFERENT, "Ana", "ana@localhost", "h")
