"""The viewer's inbox through the API: ``notifications`` and ``markNotificationsRead``.

Given notifications delivered to accounts' inboxes (by ``dispatch``, in-process as in the
embedded default), each account reads and marks its own and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID, uuid4

import pytest

from aspe.demo.scenarios import Account
from aspe.settings import Settings
from aspe.workers.app import create_app as create_celery
from aspe.workers.delivery import dispatch
from aspe.workers.messages import Message, Recipient
from tests.gql.conftest import Api

Login = Callable[[Account], Api]

INBOX = """
query Inbox($unreadOnly: Boolean! = false, $first: Int! = 20) {
  notifications(unreadOnly: $unreadOnly, first: $first) {
    unreadCount items { id subject body caseId readAt }
  }
}
"""
MARK_READ = """
mutation Read($ids: [ID!]) {
  markNotificationsRead(ids: $ids) { unreadCount items { id readAt } }
}
"""


@pytest.fixture
def notify(api_settings: Settings) -> Callable[[Account, str], None]:
    """``notify(account, subject)``: a notification delivered to the account's inbox."""
    celery = create_celery(api_settings)

    def deliver(account: Account, subject: str) -> None:
        recipient = Recipient(account.actor.id, account.name, None)
        message = Message(f"test:{uuid4()}", recipient, subject, f"{subject}, en détail.")
        dispatch([message], app=celery)

    return deliver


def inbox_of(api: Api, **variables: Any) -> dict[str, Any]:
    inbox: dict[str, Any] = api.data(INBOX, variables)["notifications"]
    return inbox


def subjects(inbox: dict[str, Any]) -> list[str]:
    return [item["subject"] for item in inbox["items"]]


def test_an_account_reads_its_own_notifications_newest_first(
    world: Any, login: Login, notify: Callable[[Account, str], None]
) -> None:
    notify(world.referent, "Demande enregistrée")
    notify(world.referent, "Mesure accordée")
    notify(world.landlord, "Mesure accordée à votre locataire")

    referent = inbox_of(login(world.referent))
    landlord = inbox_of(login(world.landlord))

    assert subjects(referent) == ["Mesure accordée", "Demande enregistrée"]
    assert referent["unreadCount"] == 2
    assert referent["items"][0]["body"] == "Mesure accordée, en détail."
    assert subjects(landlord) == ["Mesure accordée à votre locataire"]


def test_marking_some_read_leaves_the_others_and_other_accounts_alone(
    world: Any, login: Login, notify: Callable[[Account, str], None]
) -> None:
    notify(world.referent, "Premier")
    notify(world.referent, "Second")
    notify(world.landlord, "Au bailleur")
    referent, landlord = login(world.referent), login(world.landlord)
    first = next(item for item in inbox_of(referent)["items"] if item["subject"] == "Premier")
    landlords = [item["id"] for item in inbox_of(landlord)["items"]]

    marked = referent.data(MARK_READ, {"ids": [first["id"], *landlords]})

    after = marked["markNotificationsRead"]
    assert after["unreadCount"] == 1
    assert {item["id"]: item["readAt"] is not None for item in after["items"]}[first["id"]]
    assert subjects(inbox_of(referent, unreadOnly=True)) == ["Second"]
    assert inbox_of(landlord)["unreadCount"] == 1


def test_marking_without_ids_marks_the_whole_inbox_read(
    world: Any, login: Login, notify: Callable[[Account, str], None]
) -> None:
    notify(world.referent, "Premier")
    notify(world.referent, "Second")
    referent = login(world.referent)

    after = referent.data(MARK_READ)["markNotificationsRead"]

    assert after["unreadCount"] == 0
    assert all(item["readAt"] for item in after["items"])
    assert inbox_of(referent, unreadOnly=True)["items"] == []


def test_an_empty_inbox_is_no_error(world: Any, login: Login) -> None:
    assert inbox_of(login(world.auditor)) == {"unreadCount": 0, "items": []}


def test_the_inbox_needs_a_session(anonymous: Api) -> None:
    assert anonymous.error_code(INBOX) == "UNAUTHENTICATED"
    assert anonymous.error_code(MARK_READ) == "UNAUTHENTICATED"


@pytest.mark.parametrize("first", [0, 101])
def test_a_page_size_outside_the_bounds_is_invalid_input(
    world: Any, login: Login, first: int
) -> None:
    assert login(world.referent).error_code(INBOX, {"first": first}) == "INVALID_INPUT"


def test_an_id_that_is_no_notification_id_is_invalid_input(world: Any, login: Login) -> None:
    code = login(world.referent).error_code(MARK_READ, {"ids": ["pas-un-identifiant"]})

    assert code == "INVALID_INPUT"


def test_the_page_holds_at_most_first_notifications(
    world: Any, login: Login, notify: Callable[[Account, str], None]
) -> None:
    for number in range(3):
        notify(world.referent, f"Avis {number}")

    inbox = inbox_of(login(world.referent), first=2)

    assert subjects(inbox) == ["Avis 2", "Avis 1"]
    assert inbox["unreadCount"] == 3
    assert all(UUID(item["id"]) for item in inbox["items"])
