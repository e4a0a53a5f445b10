"""Small named checks shared by the aggregates' commands."""

from __future__ import annotations

from datetime import date

from aspe.domain.actors import Role, current_actor, current_context
from aspe.domain.errors import InvalidInput, NotAuthorised


def require_role(*roles: Role) -> None:
    if current_actor().role not in roles:
        raise NotAuthorised()


def require_not_future(day: date, what: str, *, field: str | None = None) -> None:
    if day > current_context().today():
        raise InvalidInput(f"La date {what} ne peut pas être dans le futur.", field=field)


def require_text(value: str, what: str, *, field: str | None = None) -> str:
    text = value.strip()
    if not text:
        raise InvalidInput(f"Le champ « {what} » est obligatoire.", field=field)
    return text
