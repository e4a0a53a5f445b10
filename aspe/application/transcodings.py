"""How the domain's value types are written to and read from the event store.

One transcoding per enum and per value dataclass, so a stored event decodes to exactly
the values it was built with (an enum, not its string; a tuple, not a list).
"""

from __future__ import annotations

import dataclasses
import typing
from datetime import date
from enum import Enum
from typing import Any

from eventsourcing.persistence import JSONTranscoder, Transcoding


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class EnumAsValue(Transcoding):
    def __init__(self, enum_class: type[Enum]) -> None:
        self.type = enum_class
        self.name = enum_class.__qualname__

    def encode(self, obj: Enum) -> Any:
        return obj.value

    def decode(self, data: Any) -> Any:
        return self.type(data)


class DataclassAsDict(Transcoding):
    """Fields by name; sequences declared as tuples come back as tuples."""

    def __init__(self, value_class: type) -> None:
        self.type = value_class
        self.name = value_class.__qualname__
        hints = typing.get_type_hints(value_class)
        self._tuple_fields = {
            field.name
            for field in dataclasses.fields(value_class)
            if typing.get_origin(hints[field.name]) is tuple
        }

    def encode(self, obj: Any) -> dict[str, Any]:
        return {field.name: getattr(obj, field.name) for field in dataclasses.fields(obj)}

    def decode(self, data: dict[str, Any]) -> Any:
        values = {
            name: tuple(value) if name in self._tuple_fields else value
            for name, value in data.items()
        }
        return self.type(**values)


def register_value_types(transcoder: JSONTranscoder, value_types: typing.Iterable[type]) -> None:
    transcoder.register(DateAsISO())
    for value_type in value_types:
        if issubclass(value_type, Enum):
            transcoder.register(EnumAsValue(value_type))
        elif dataclasses.is_dataclass(value_type):
            transcoder.register(DataclassAsDict(value_type))
        else:
            raise TypeError(f"No transcoding for {value_type!r}")
