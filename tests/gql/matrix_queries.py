"""Queries of the authorization matrix, generated from the introspected schema.

Every field reachable from ``Query`` is reached by a path of fields. Paths that end inside a
``Case`` are grouped by what follows the case (their *tail*): one document asks for that tail
through every way into a case (``case(id)`` for cases of the world, ``cases``,
``commissionAgenda``, ``landlordTenancies``, ``alerts``). ``case(id)`` and every path through
no case are written four ways (``Variant``); the lists of cases plainly, since the way a field
is written does not depend on the way into its case and every document is validated whole
(four ways of five lists would double the matrix's time). Items of a list are told apart by
the case they belong to: ``id`` is asked next to the tail.

``read`` walks a response the way the document was written and returns, per case, the values
the tail's last field took.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

INTROSPECTION = """
query Introspection {
  __schema {
    queryType { name }
    mutationType { name }
    types { name kind fields { name args { name type { ...Ref } } type { ...Ref } } }
  }
}
fragment Ref on __Type {
  kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } }
}
"""

CASE = "Case"
PER_CASE_ROOTS = {"case": "id", "auditTrail": "caseId", "caseAccesses": "caseId"}
"""Root fields asked once per case of the world, with the case's id as this argument."""
WHOLE_TREE_ROOTS = frozenset({"caseAsOf"})
"""Root fields reached by whole-case documents only (each call replays the case's events)."""
ROOT_ARGUMENTS = {"cases": "(first: 100)"}


class Variant(Enum):
    PLAIN = "plain"
    ALIAS = "every field under an alias"
    FRAGMENT = "the innermost selection a named fragment"
    INLINE = "every selection an inline fragment on its type"


@dataclass(frozen=True)
class Field:
    owner: str
    name: str
    type_name: str
    is_object: bool
    is_list: bool
    required_arguments: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.owner}.{self.name}"


Path = tuple[Field, ...]


@dataclass(frozen=True)
class SchemaMap:
    """The object types of an introspected schema and their fields."""

    query: str
    mutation: str | None
    types: Mapping[str, Mapping[str, Field]]

    @classmethod
    def introspected(cls, schema: Mapping[str, Any]) -> SchemaMap:
        types = {
            kind["name"]: {f["name"]: _field(kind["name"], f) for f in kind["fields"] or ()}
            for kind in schema["types"]
            if kind["kind"] == "OBJECT" and not kind["name"].startswith("__")
        }
        mutation = schema["mutationType"]["name"] if schema["mutationType"] else None
        return cls(schema["queryType"]["name"], mutation, types)

    def paths(self, type_name: str, above: tuple[str, ...] = ()) -> Iterator[Path]:
        """Every path of fields from ``type_name`` down, each type at most once per path."""
        for one in self.types[type_name].values():
            yield (one,)
            if one.is_object and one.type_name not in (*above, type_name):
                for rest in self.paths(one.type_name, (*above, type_name)):
                    yield (one, *rest)

    def reachable_fields(self, type_name: str) -> set[str]:
        return {path[-1].key for path in self.paths(type_name)}


def _field(owner: str, spec: Mapping[str, Any]) -> Field:
    name, kind, is_list = _unwrapped(spec["type"])
    required = tuple(a["name"] for a in spec["args"] if a["type"]["kind"] == "NON_NULL")
    return Field(owner, spec["name"], name, kind == "OBJECT", is_list, required)


def _unwrapped(ref: Mapping[str, Any]) -> tuple[str, str, bool]:
    is_list = False
    while ref["kind"] in ("NON_NULL", "LIST"):
        is_list = is_list or ref["kind"] == "LIST"
        ref = ref["ofType"]
    return ref["name"], ref["kind"], is_list


# ------------------------------------------------------------------ documents
@dataclass(frozen=True)
class Entry:
    """One root selection of a document: a path written one way, for one case or for all."""

    alias: str
    path: Path
    variant: Variant
    case_id: str | None = None


@dataclass
class Document:
    text: str
    entries: list[Entry]
    fields: set[str]


def grouped_paths(schema: SchemaMap) -> dict[Path, list[Path]]:
    """Paths from ``Query`` (not through ``WHOLE_TREE_ROOTS``), grouped by what follows
    their last case: the document of a group reaches that tail through every way in."""
    groups: dict[Path, list[Path]] = defaultdict(list)
    for path in schema.paths(schema.query):
        if path[0].name in WHOLE_TREE_ROOTS:
            continue
        last_case = max((i for i, f in enumerate(path) if f.type_name == CASE), default=None)
        tail = path if last_case is None else path[last_case + 1 :]
        groups[tail].append(path)
    return groups


def document(
    paths: Sequence[Path], case_ids: Sequence[str], varied_case_ids: Sequence[str]
) -> Document:
    """One document for ``paths``. ``case(id)`` is asked plainly of every case of
    ``case_ids``, and the three other ways of those of ``varied_case_ids``; the lists of
    cases are asked plainly; a path through no case is asked the four ways."""
    entries = [
        Entry(_alias(path, variant, case_id), path, variant, case_id)
        for path in paths
        for variant in _variants(path)
        for case_id in _instances(path, variant, case_ids, varied_case_ids)
    ]
    fragments: dict[str, str] = {}
    roots = [_root(entry, fragments) for entry in entries]
    text = "query Matrix {\n  " + "\n  ".join(roots) + "\n}\n" + "\n".join(fragments.values())
    return Document(text, entries, {f.key for path in paths for f in path})


def _variants(path: Path) -> Sequence[Variant]:
    through_a_list = path[0].name not in PER_CASE_ROOTS and any(f.type_name == CASE for f in path)
    return [Variant.PLAIN] if through_a_list else list(Variant)


def _instances(
    path: Path, variant: Variant, case_ids: Sequence[str], varied: Sequence[str]
) -> Sequence[str | None]:
    if path[0].name not in PER_CASE_ROOTS:
        return [None]
    return case_ids if variant is Variant.PLAIN else varied


def _alias(path: Path, variant: Variant, case_id: str | None) -> str:
    through = "_".join(f.name for f in path if f.type_name == CASE or f is path[0])
    suffix = "" if case_id is None else "_" + case_id.replace("-", "")
    return f"{through}_{variant.name.lower()}{suffix}"


def _root(entry: Entry, fragments: dict[str, str]) -> str:
    root = entry.path[0]
    if root.name in PER_CASE_ROOTS:
        arguments = f'({PER_CASE_ROOTS[root.name]}: "{entry.case_id}")'
    else:
        arguments = ROOT_ARGUMENTS.get(root.name, "")
    head = f"{entry.alias}: {root.name}{arguments}"
    if not root.is_object:
        return head
    inside = _selection(root.type_name, entry.path[1:], entry.variant, fragments)
    return f"{head} {{ {inside} }}"


def _selection(type_name: str, steps: Path, variant: Variant, fragments: dict[str, str]) -> str:
    """The content of the selection set of an object of ``type_name``."""
    if not steps:
        key = response_key_of_typename(variant)
        inner = "__typename" if key == "__typename" else f"{key}: __typename"
    else:
        inner = _field_text(steps, variant, fragments)
    innermost = not steps or (len(steps) == 1 and not steps[0].is_object)
    if variant is Variant.INLINE:
        inner = f"... on {type_name} {{ {inner} }}"
    elif variant is Variant.FRAGMENT and innermost:
        name = f"Innermost{type_name}"
        fragments[name] = f"fragment {name} on {type_name} {{ {inner} }}"
        inner = f"...{name}"
    return f"{_attribution(type_name)} {inner}".strip()


def _field_text(steps: Path, variant: Variant, fragments: dict[str, str]) -> str:
    step = steps[0]
    key = response_key(step, variant)
    head = step.name if key == step.name else f"{key}: {step.name}"
    if not step.is_object:
        return head
    return f"{head} {{ {_selection(step.type_name, steps[1:], variant, fragments)} }}"


def _attribution(type_name: str) -> str:
    """What tells the items of a list apart: the case they belong to."""
    return {CASE: "id", "OpenAlert": "case { id }"}.get(type_name, "")


def response_key(step: Field, variant: Variant) -> str:
    return f"{step.name}_aliased" if variant is Variant.ALIAS else step.name


def response_key_of_typename(variant: Variant) -> str:
    return "typename_aliased" if variant is Variant.ALIAS else "__typename"


# ------------------------------------------------------------------- reading
@dataclass
class Reading:
    """What one root selection returned: the cases it showed, and the values per case."""

    entry: Entry
    present: set[str | None] = field(default_factory=set)
    values: dict[str | None, list[Any]] = field(default_factory=lambda: defaultdict(list))


def read(data: Mapping[str, Any], entry: Entry) -> Reading:
    reading = Reading(entry)
    value = data.get(entry.alias)
    root = entry.path[0]
    if entry.case_id is not None and shows([value]):
        reading.present.add(entry.case_id)
    if len(entry.path) == 1 and not root.is_object:
        reading.values[entry.case_id].append(value)
    else:
        _walk(value, root.type_name, entry.path[1:], entry.variant, entry.case_id, reading)
    return reading


def _walk(
    value: Any, type_name: str, steps: Path, variant: Variant, case_id: str | None, out: Reading
) -> None:
    if value is None:
        return
    if isinstance(value, list):
        for item in value:
            _walk(item, type_name, steps, variant, case_id, out)
        return
    case_id = _case_of(value, type_name, case_id)
    if type_name == CASE:
        out.present.add(case_id)
    if not steps:
        out.values[case_id].append(value.get(response_key_of_typename(variant)))
        return
    step, child = steps[0], value.get(response_key(steps[0], variant))
    if len(steps) == 1 and not step.is_object:
        out.values[case_id].append(child)
    else:
        _walk(child, step.type_name, steps[1:], variant, case_id, out)


def _case_of(value: Mapping[str, Any], type_name: str, case_id: str | None) -> str | None:
    if type_name == CASE and value.get("id"):
        return str(value["id"])
    if type_name == "OpenAlert" and isinstance(value.get("case"), Mapping):
        return str(value["case"]["id"])
    return case_id


def whole_selection(schema: SchemaMap, type_name: str, above: tuple[str, ...] = ()) -> str:
    """Every field under ``type_name``, once (a whole case in one selection)."""
    parts = []
    for one in schema.types[type_name].values():
        if not one.is_object:
            parts.append(one.name)
        elif one.type_name not in (*above, type_name):
            inside = whole_selection(schema, one.type_name, (*above, type_name))
            parts.append(f"{one.name} {{ {inside} }}")
    return " ".join(parts)


def shows(values: Sequence[Any]) -> bool:
    """Whether any value holds something: hidden fields are ``null`` (lists ``[]``)."""
    return any(value is not None and value != [] for value in values)
