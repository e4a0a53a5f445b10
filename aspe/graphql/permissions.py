"""Applies ``authorization`` to every field of the schema.

Each field is declared with ``classified(Category.X)``. Before the field resolves, its
category is checked against the viewer's role (and, for a landlord, the household's consent
on the case the value belongs to); a field the viewer may not see resolves to ``null`` (a
list to ``[]``) by design, with no error to tell it apart from an empty value. List results
are then filtered item by item (``authorization.may_see_item``).

Root fields have no case yet: they need an authenticated viewer, except ``ANONYMOUS`` ones.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, cast
from uuid import UUID

import strawberry
from strawberry.extensions import FieldExtension
from strawberry.types import Info
from strawberry.types.base import StrawberryList, StrawberryOptional
from strawberry.types.field import StrawberryField

from aspe.authorization import Category, Viewer, allows, may_see_item
from aspe.domain.actors import Role
from aspe.graphql.errors import Unauthenticated

ANONYMOUS_VIEWER = Viewer(UUID(int=0), Role.SYSTEM)
"""Who calls ``login``: it may see nothing but that."""


@dataclass(frozen=True)
class Seen:
    """The viewer's standing on one case: every object of the case's graph carries it."""

    viewer: Viewer
    consent: bool = False

    def allows(self, category: Category) -> bool:
        return allows(self.viewer.role, category, self.consent)


class Classified(FieldExtension):
    """Resolves the field only for viewers ``authorization`` lets see its category."""

    def __init__(self, category: Category) -> None:
        self.category = category
        self.denied: Any = None

    def apply(self, field: StrawberryField) -> None:
        field_type = field.type
        if isinstance(field_type, StrawberryOptional):
            field_type = field_type.of_type
        self.denied = [] if isinstance(field_type, StrawberryList) else None

    def resolve(self, next_: Callable[..., Any], source: Any, info: Info, **kwargs: Any) -> Any:
        seen = self._seen(source, info)
        if not seen.allows(self.category):
            return self.denied
        return self._filtered(seen, next_(source, info, **kwargs))

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: Info, **kwargs: Any
    ) -> Any:
        seen = self._seen(source, info)
        if not seen.allows(self.category):
            return self.denied
        result = next_(source, info, **kwargs)
        if isinstance(result, Awaitable):
            result = await result
        return self._filtered(seen, result)

    def _seen(self, source: Any, info: Info) -> Seen:
        seen = getattr(source, "seen", None)
        if isinstance(seen, Seen):
            return seen
        viewer = cast(Viewer | None, info.context.viewer)
        if viewer is None:
            if self.category is Category.ANONYMOUS:
                return Seen(ANONYMOUS_VIEWER)
            raise info.context.auth_error or Unauthenticated()
        return Seen(viewer)

    def _filtered(self, seen: Seen, result: Any) -> Any:
        if not isinstance(result, list):
            return result
        return [
            item
            for item in result
            if may_see_item(seen.viewer, self.category, getattr(item, "row", item))
        ]


def classified(category: Category, **options: Any) -> Any:
    """A ``strawberry.field`` of ``category`` (every field of the schema is one)."""
    return strawberry.field(extensions=[Classified(category)], **options)


def category_of(field: StrawberryField) -> Category | None:
    """The field's category, or ``None`` if it was declared without one (a build error)."""
    for extension in field.extensions:
        if isinstance(extension, Classified):
            return extension.category
    return None
