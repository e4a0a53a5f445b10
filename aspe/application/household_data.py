"""The household's details as registered and as corrected since, from its events.

The right of access (GDPR art. 15) covers the history of its details: the values it was
registered with stay in the store after a correction (``Household.DetailsCorrected``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from aspe.application.service import AspeApplication
from aspe.domain.household import Household
from aspe.domain.values import Address


@dataclass(frozen=True)
class DetailsVersion:
    """The household's details from ``at`` (UTC) on; ``corrected`` names what changed
    (empty for the registration)."""

    at: datetime
    address: Address
    name: str
    contact: str
    members: int
    corrected: tuple[str, ...] = ()


DetailsEvent = Household.Registered | Household.DetailsCorrected


def details_history(app: AspeApplication, household_id: UUID) -> list[DetailsVersion]:
    """Every version of the household's details, oldest first (``NotFound`` if none)."""
    app.load(Household, household_id)
    return [
        _version(event)
        for event in app.stored_events(household_id)
        if isinstance(event, DetailsEvent)
    ]


def _version(event: DetailsEvent) -> DetailsVersion:
    corrected = getattr(event, "corrected", ())
    return DetailsVersion(
        at=event.timestamp,
        address=event.address,
        name=event.name,
        contact=event.contact,
        members=event.members,
        corrected=tuple(corrected),
    )
