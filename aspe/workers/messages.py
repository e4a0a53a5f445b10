"""What a notification is: one message, to one account, for one cause.

The notifier (events) and the clocks (reminders, digests) both make ``Message`` values;
``aspe.workers.delivery.dispatch`` sends each on every channel its recipient has. A message's
``key`` names its cause and recipient (``"<event id>:<account id>"``,
``"reminder:<case id>:<ends on>:<account id>"``…): the same cause never reaches the same
account twice on a channel, however often it is dispatched.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from uuid import UUID


class Channel(Enum):
    EMAIL = "email"
    INBOX = "inbox"


@dataclass(frozen=True)
class Recipient:
    """An account (staff or household) that may be told something."""

    account_id: UUID
    name: str
    email: str | None = None
    email_only: bool = False
    """An address the account had before (told of its replacement): no inbox of its own."""

    @property
    def channels(self) -> tuple[Channel, ...]:
        """Every account has an inbox; e-mail needs an address."""
        if self.email_only:
            return (Channel.EMAIL,) if self.email else ()
        return (Channel.EMAIL, Channel.INBOX) if self.email else (Channel.INBOX,)


@dataclass(frozen=True)
class Message:
    """One notification, in French, holding only what its recipient may see (DESIGN §6)."""

    key: str
    recipient: Recipient
    subject: str
    body: str
    case_id: UUID | None = None

    def delivery_key(self, channel: Channel) -> str:
        """Unique per cause × recipient × channel: the delivery record's key and task id."""
        return f"{self.key}:{channel.value}"
