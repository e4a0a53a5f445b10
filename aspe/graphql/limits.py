"""Abuse limits checked before a query runs: its cost (the request body's size is checked
before, for every route: ``aspe.web.BodySizeLimit``).

Depth, tokens and aliases are strawberry's own extensions (see ``schema``). The cost bound
counts the objects a query may return: every field costs the number of times it can
appear; a list multiplies its children by its ``first`` argument, or by that of the
connection above it (``cases(first: 50) { edges … }``), or else by ``ASSUMED_LIST_SIZE``; a
``first`` given as a variable counts as the largest page. Fragments count where spread, and
each spread costs one more (a server walks it).

Each fragment is costed once (its cost scales with the lists above it), so a document of
fragments that spread each other twice over costs its true, exponential, price in linear
time. ``DocumentLimits`` runs that count before any validation rule: the depth and alias
rules walk every spread, and would otherwise spend hours on such a document.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
)
from strawberry.extensions import SchemaExtension

from aspe.graphql.errors import INVALID_QUERY, TooExpensive

ASSUMED_LIST_SIZE = 20
MAX_NESTING = 200
"""Fields and spreads nested deeper than this (only through fragments: the parser bounds the
rest) cost more than any bound: no query of ours comes near."""


class DocumentLimits(SchemaExtension):
    """Refuses, before the validation rules walk it, a document that would make them fail or
    spend hours: one that spreads an unknown fragment (strawberry's depth rule raises on it,
    past the error masking) or that costs more than ``max_cost``."""

    def __init__(self, max_cost: int, largest_page: int) -> None:
        self.max_cost = max_cost
        self.largest_page = largest_page

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.pre_execution_errors is None:
            schema = context.schema._schema
            errors = document_errors(schema, document, self.max_cost, self.largest_page)
            if errors:
                context.pre_execution_errors = errors
        yield


def document_errors(
    schema: GraphQLSchema,
    document: DocumentNode,
    max_cost: int,
    largest_page: int,
) -> list[GraphQLError]:
    """Spreads of unknown fragments, then operations costing too much."""
    counter = _Cost(schema, document, largest_page)
    expensive = [
        _too_expensive(operation)
        for operation in document.definitions
        if isinstance(operation, OperationDefinitionNode)
        and counter.of_operation(operation) > max_cost
    ]
    unknowns = [_unknown_fragment(name) for name in sorted(counter.unknown)]
    return unknowns + expensive


def _too_expensive(node: OperationDefinitionNode) -> GraphQLError:
    error = TooExpensive()
    return GraphQLError(error.message, node, extensions={"code": error.code})


def _unknown_fragment(name: str) -> GraphQLError:
    return GraphQLError(f"Unknown fragment '{name}'.", extensions={"code": INVALID_QUERY})


class _Unbounded(Exception):
    pass


class _Cost:
    """Costs of the selections of one document, each at a multiplier of one.

    A selection's cost under lists of sizes ``n`` and ``m`` is ``n × m ×`` that, so a
    fragment's cost is computed once per page size it is spread under. A fragment spread
    within itself (refused by validation) adds nothing more.
    """

    def __init__(self, schema: GraphQLSchema, document: DocumentNode, largest_page: int) -> None:
        self.schema = schema
        self.largest_page = largest_page
        self.fragments = {
            definition.name.value: definition
            for definition in document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }
        self.known: dict[tuple[str, int | None], int] = {}
        self.open: set[str] = set()
        self.unknown: set[str] = set()

    def of_operation(self, operation: OperationDefinitionNode) -> int | float:
        root = self.schema.get_root_type(operation.operation)
        try:
            return self.of(root, operation.selection_set, None, 0)
        except _Unbounded:
            self.open.clear()
            return float("inf")

    def of(
        self,
        parent: GraphQLNamedType | None,
        selections: SelectionSetNode | None,
        page: int | None,
        depth: int,
    ) -> int:
        """The cost of ``selections`` under ``parent``; ``page`` sizes the next list below."""
        if selections is None:
            return 0
        if depth > MAX_NESTING:
            raise _Unbounded()
        total = 0
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                total += self.field(parent, selection, page, depth + 1)
            elif isinstance(selection, FragmentSpreadNode):
                total += 1 + self.spread(selection.name.value, page, depth + 1)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                total += self.of(target, selection.selection_set, page, depth + 1)
        return total

    def field(
        self, parent: GraphQLNamedType | None, node: FieldNode, page: int | None, depth: int
    ) -> int:
        field = getattr(parent, "fields", {}).get(node.name.value)
        if field is None:
            return 1
        size = _page_size(node, self.largest_page)
        times = 1
        if isinstance(get_nullable_type(field.type), GraphQLList):
            times, size = size or page or ASSUMED_LIST_SIZE, None
        child = get_named_type(field.type)
        return times * (1 + self.of(child, node.selection_set, size, depth))

    def spread(self, name: str, page: int | None, depth: int) -> int:
        key = (name, page)
        if key in self.known:
            return self.known[key]
        fragment = self.fragments.get(name)
        if fragment is None:
            self.unknown.add(name)
            return 0
        if name in self.open:
            return 0
        self.open.add(name)
        target = self.schema.get_type(fragment.type_condition.name.value)
        cost = self.of(target, fragment.selection_set, page, depth)
        self.open.discard(name)
        self.known[key] = cost
        return cost


def _page_size(node: FieldNode, largest_page: int) -> int | None:
    """``first`` as written; a variable may hold the largest page the API serves."""
    for argument in node.arguments or ():
        if argument.name.value != "first":
            continue
        if isinstance(argument.value, IntValueNode):
            return max(1, int(argument.value.value))
        if isinstance(argument.value, VariableNode):
            return largest_page
    return None
