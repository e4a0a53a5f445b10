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


class ReadModelFailed(DomainError):
    """A reader waited for its own write to reach a read model that has stopped on an
    event it could not apply: waiting longer would not help.

    The write is stored; the read model resumes once the cause is fixed and its runner
    restarted (``aspe projections status`` shows where and why it stopped).
    """

    code = "READ_MODEL_FAILED"
    default_message = (
        "Votre modification est enregistrée, mais l'affichage est momentanément arrêté "
        "sur une erreur ; l'équipe technique en est avertie."
    )

    def __init__(self, name: str, position: int, error: str) -> None:
        super().__init__()
        self.name, self.position, self.error = name, position, error

    def __str__(self) -> str:
        return (
            f"{self.message} (projection {self.name} stopped at position {self.position}: "
            f"{self.error})"
        )


class UnknownProjection(DomainError):
    code = "UNKNOWN_PROJECTION"
    default_message = "Vue inconnue."

    def __init__(self, name: str, known: Sequence[str]) -> None:
        super().__init__(f"Vue inconnue : {name}. Vues : {', '.join(known)}.")


READ_SIDE_ERRORS: tuple[type[DomainError], ...] = (
    ProjectionTimeout,
    ReadModelFailed,
    UnknownProjection,
)
