"""Every read-model handler is typed by the events it handles, so that mypy checks each
attribute it reads (an event attribute renamed or dropped fails the lint, not a rebuild)."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from types import UnionType
from typing import Any, get_args, get_type_hints

import pytest

from aspe.projections import READ_MODELS


def handled() -> Iterator[tuple[str, Any, type]]:
    for model in READ_MODELS:
        for name, method in inspect.getmembers(model, inspect.isfunction):
            for event_type in getattr(method, "__handles__", ()):
                yield f"{model.__name__}.{name}", method, event_type


@pytest.mark.parametrize(
    ("handler", "method", "event_type"),
    list(handled()),
    ids=[f"{handler}-{event_type.__qualname__}" for handler, _, event_type in handled()],
)
def test_a_handler_names_each_event_it_handles_in_its_signature(handler, method, event_type):
    # given a handler registered for an event type
    # when the type of its event parameter is resolved (aliases such as ClosingEvent included)
    declared = get_type_hints(method)["event"]

    # then it is that event type, or a union of event types holding it (never Any)
    assert event_type in (get_args(declared) if isinstance(declared, UnionType) else (declared,))
