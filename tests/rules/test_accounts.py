"""Accounts: one login e-mail per account, staff and households alike."""

from uuid import uuid4

from aspe.demo.scenarios import ADMIN
from aspe.domain.actors import Role


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


def test_a_replaced_household_login_frees_its_old_address(world, refused):
    household_id = world.new_household()
    old, new = unique_email(), unique_email()
    with world.acting(world.referent):
        world.app.open_household_account(household_id, old, "h")

    with world.acting(world.manager):
        world.app.replace_household_credentials(household_id, new, "h2")

    assert world.app.account_for_email(old) is None
    assert world.app.account_for_email(new) == (household_id, Role.HOUSEHOLD)
    with world.acting(ADMIN):
        staff = world.app.register_staff(world.association.id, Role.REFERENT, "Ana", old, "h")
    assert world.app.account_for_email(old) == (staff.id, Role.REFERENT)


def test_a_household_login_cannot_be_replaced_by_another_accounts_address(world, refused):
    household_id = world.new_household()
    with world.acting(world.referent):
        world.app.open_household_account(household_id, unique_email(), "h")

    with world.acting(world.manager), refused.expect("EMAIL_ALREADY_USED"):
        world.app.replace_household_credentials(household_id, world.referent.email, "h2")


def test_a_household_without_an_account_has_no_login_to_replace(world, refused):
    household_id = world.new_household()

    with world.acting(world.manager), refused.expect("INVALID_INPUT"):
        world.app.replace_household_credentials(household_id, unique_email(), "h")


def test_deactivating_an_account_twice_is_already_done(world, refused):
    with world.acting(world.manager):
        world.app.deactivate_account(world.referent.actor.id)

    with world.acting(world.manager), refused.expect("ALREADY_DONE"):
        world.app.deactivate_account(world.referent.actor.id)


def test_a_manager_registers_staff_of_its_own_association(world):
    # given the manager of an association
    with world.acting(world.manager):
        # when it registers a new referent of its association
        staff = world.app.register_staff(
            world.association.id, Role.REFERENT, "Ana", email := unique_email(), "h"
        )

    # then the referent logs in with that e-mail
    assert world.app.account_for_email(email) == (staff.id, Role.REFERENT)


def test_a_manager_registers_no_one_elsewhere_nor_to_another_role(world, refused):
    # given the manager of an association
    with world.acting(world.manager):
        # when it names another association, then it is refused
        with refused.expect("NOT_AUTHORISED"):
            world.app.register_staff(
                world.other_association.id, Role.REFERENT, "Ana", unique_email(), "h"
            )
        # and when it names a role that is not its association's, it is refused too
        with refused.expect("NOT_AUTHORISED"):
            world.app.register_staff(
                world.association.id, Role.SPSLH_AGENT, "Ana", unique_email(), "h"
            )
        with refused.expect("NOT_AUTHORISED"):
            world.app.register_staff(world.association.id, Role.ADMIN, "Ana", unique_email(), "h")


def test_a_referent_registers_no_staff(world, refused):
    with world.acting(world.referent), refused.expect("NOT_AUTHORISED"):
        world.app.register_staff(world.association.id, Role.REFERENT, "Ana", unique_email(), "h")
