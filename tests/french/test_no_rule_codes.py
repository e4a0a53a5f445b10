"""No rule code (« (R5) », « R7 ») in anything a person reads.

The rules' numbers are the specification's and the code's vocabulary; a social worker, a
landlord or a household reads words. Every string of the code that people read (the
portal's pages and forms, the French labels, the e-mails and notifications, the domain's
refusals) is scanned, docstrings and comments aside, and so is every template.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import aspe

PACKAGE = Path(aspe.__file__).resolve().parent
READ_BY_PEOPLE = ("portal", "french", "workers", "domain", "application", "demo")
"""The packages whose strings reach people: pages, labels, messages, refusals, demo cases."""
RULE_CODE = re.compile(r"\bR(?:[1-9]|1[0-2])\b")


def strings_of(path: Path) -> Iterator[tuple[int, str]]:
    """The string constants of a module, docstrings aside: a string standing alone as a
    statement documents what is around it (a module, a class, a function, an attribute)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    documenting = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    for node in ast.walk(tree):
        is_text = isinstance(node, ast.Constant) and isinstance(node.value, str)
        if is_text and id(node) not in documenting:
            yield node.lineno, node.value


def test_no_string_people_read_names_a_rule_by_its_code():
    found = [
        f"{path.relative_to(PACKAGE)}:{line}: {text!r}"
        for package in READ_BY_PEOPLE
        for path in sorted((PACKAGE / package).rglob("*.py"))
        for line, text in strings_of(path)
        if RULE_CODE.search(text)
    ]
    assert found == []


def test_no_template_names_a_rule_by_its_code():
    found = [
        f"{path.name}:{number}: {line.strip()}"
        for path in sorted((PACKAGE / "portal" / "templates").rglob("*.html"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if RULE_CODE.search(re.sub(r"\{#.*?#\}", "", line))
    ]
    assert found == []
