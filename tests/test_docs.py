"""The README stays true: its first screen has the two commands, and it lists every code."""

from pathlib import Path

from aspe.domain.errors import ALL_ERRORS, DomainError
from aspe.graphql.errors import API_ERRORS
from aspe.projections.errors import READ_SIDE_ERRORS

README = Path(__file__).resolve().parent.parent / "README.md"


def test_the_readme_starts_with_the_two_commands():
    first_screen = "\n".join(README.read_text(encoding="utf-8").splitlines()[:10])

    assert "make run" in first_screen
    assert "make test" in first_screen


def test_the_readme_documents_every_domain_error_code():
    text = README.read_text(encoding="utf-8")

    missing = [
        error.code
        for error in (*ALL_ERRORS, *READ_SIDE_ERRORS, *API_ERRORS)
        if f"`{error.code}`" not in text
    ]

    assert missing == []


def test_the_list_of_domain_errors_holds_every_one_the_domain_declares():
    def declared(error: type[DomainError]) -> set[type[DomainError]]:
        return {error}.union(*(declared(sub) for sub in error.__subclasses__()))

    assert declared(DomainError) - {*ALL_ERRORS, *READ_SIDE_ERRORS} == set()
