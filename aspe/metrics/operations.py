"""GraphQL operation latency by operation name, for ``/graphql`` and the portal's pages
alike (both run on the one schema this extension is part of)."""

from __future__ import annotations

import time
from collections.abc import Iterator

from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from aspe import metrics


class OperationMetrics(SchemaExtension):
    """Times each operation, labelled with its name (or ``anonymous``) and type."""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        context = self.execution_context
        metrics.graphql_operation(
            context.operation_name, _kind(context), time.perf_counter() - started
        )


def _kind(context: ExecutionContext) -> str:
    """``query``, ``mutation``, ``subscription``; ``unknown`` for a document that did not
    parse or named no operation it holds (strawberry raises ``RuntimeError`` then)."""
    try:
        return context.operation_type.value
    except RuntimeError:
        return "unknown"
