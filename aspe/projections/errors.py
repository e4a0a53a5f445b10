"""Errors of the read side, with stable codes like the domain's (``extensions.code``)."""

from __future__ import annotations

from collections.abc import Sequence

from aspe.domain.errors import DomainError


class ProjectionTimeout(DomainError):
    """A reader waited for its own write to reach a read model, and it did not in time.

    The write is stored; only the view lags. Retrying the read shortly will see it.
    """

    code = "PROJECTION_TIMEOUT"
    default_message = (
        "Votre modification est enregistrée mais n'apparaît pas encore ; réessayez dans un instant."
    )

    def __init__(self, name: str, position: int, timeout: float) -> None:
        super().__init__()
        self.name, self.position, self.timeout = name, position, timeout

    def __str__(self) -> str:
        return (
            f"{self.message} (projection {self.name} has not reached position "
            f"{self.position} within {self.timeout:g} s)"
        )


class UnknownProjection(DomainError):
    code = "UNKNOWN_PROJECTION"
    default_message = "Vue inconnue."

    def __init__(self, name: str, known: Sequence[str]) -> None:
        super().__init__(f"Vue inconnue : {name}. Vues : {', '.join(known)}.")


READ_SIDE_ERRORS: tuple[type[DomainError], ...] = (ProjectionTimeout, UnknownProjection)
