"""The README stays true: its first screen has the two commands, it lists every code, and
its links, and those of docs/, lead to files of the repository."""

import re
from pathlib import Path

import pytest

from aspe.domain.errors import ALL_ERRORS, DomainError
from aspe.graphql.errors import API_ERRORS
from aspe.projections.errors import READ_SIDE_ERRORS

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCUMENTS = [README, *sorted((ROOT / "docs").rglob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_link_leads_to_a_file_of_the_repository(document: Path) -> None:
    # Given a document of the project, when its links are followed
    targets = [target.split("#")[0] for target in LINK.findall(document.read_text("utf-8"))]
    outside = [target for target in targets if "://" in target or target.startswith("..")]
    missing = [t for t in targets if t and "://" not in t and not (document.parent / t).exists()]

    # Then none leaves the repository, and each leads to a file or folder that exists
    assert outside == []
    assert missing == []


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
