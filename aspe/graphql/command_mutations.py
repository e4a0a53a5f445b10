"""How a command of the application becomes a mutation: made here, declared in one entry.

Most mutations only pass their arguments on to one application command, run as the viewer:
``case_mutation`` for a command on a case (it returns the case after it),
``entry_mutation`` for one on an organisation's staff, a household or an account named by
its first argument, ``registration_mutation`` for one that registers something (both
return the id). Each takes the command, the mutation's description and its arguments in
order: a type (passed on as the client gave it; an input object with ``to_domain`` stands
for the several arguments that gives), or an ``Argument`` saying how the value reaches
the command. Every such mutation ends with the optional ``idempotencyKey``. The command
is called by its name on the application when the mutation runs, as ``app.command(…)``
would be.

strawberry reads a resolver's arguments from its signature: the resolvers made here carry
one built from those arguments, so the schema is what hand-written resolvers would give.
Values are converted to the domain's inside the command, as the viewer, after the case
was found visible: a malformed value on a case the viewer cannot see is ``NOT_FOUND``.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from inspect import Parameter, Signature
from typing import Annotated, Any
from uuid import UUID

import strawberry
from strawberry.types import Info

from aspe.application import AspeApplication
from aspe.application.commands import Created
from aspe.authorization import C
from aspe.graphql.inputs import password_hash_of, uuid_of
from aspe.graphql.permissions import classified
from aspe.graphql.reading import run_case_command, run_command
from aspe.graphql.types import Case

IdempotencyKey = Annotated[
    str | None,
    strawberry.argument(description="Resent with the same values, the command runs once."),
]


def once(key: str | None) -> dict[str, Any]:
    """``idempotency_key=`` for the application's ``@command``, when the client sent one."""
    return {} if key is None else {"idempotency_key": key}


@strawberry.type(description="What an organisation or account command registered or changed.")
class Registered:
    id: strawberry.ID = classified(C.ENTRY)


async def registered(info: Info, command: Callable[[AspeApplication], Created]) -> Registered:
    created: Created = await run_command(info, command)
    return Registered(id=strawberry.ID(str(created.id)))


async def changed(
    info: Info, aggregate_id: UUID, command: Callable[[AspeApplication, UUID], int]
) -> Registered:
    await run_command(info, lambda app: command(app, aggregate_id))
    return Registered(id=strawberry.ID(str(aggregate_id)))


# ------------------------------------------------------------------- arguments
class Argument:
    """An argument passed on to the command as the client gave it."""

    def __init__(self, annotation: Any, default: Any = Parameter.empty) -> None:
        self.annotation = annotation
        self.default = default

    def to_domain(self, name: str, value: Any) -> tuple[Any, ...]:
        """What the command receives for ``value``, the argument ``name``: its arguments."""
        return (value,)


class Id(Argument):
    """An id: the command receives its UUID; a malformed one is refused on this argument."""

    def __init__(self, what: str) -> None:
        super().__init__(strawberry.ID)
        self.what = what

    def to_domain(self, name: str, value: Any) -> tuple[Any, ...]:
        return (uuid_of(value, self.what, name),)


class Target(Argument):
    """The id of what an ``entry_mutation`` changes (an account…), which it returns."""

    def __init__(self, what: str) -> None:
        super().__init__(strawberry.ID)
        self.what = what


class NewPassword(Argument):
    """A password to set: the command receives its hash (argon2: slow, so in the command)."""

    def __init__(self) -> None:
        super().__init__(str)

    def to_domain(self, name: str, value: Any) -> tuple[Any, ...]:
        return (password_hash_of(value),)


class Items(Argument):
    """A list of value inputs (``FindingInput``…): the command receives their values."""

    def __init__(self, item: type) -> None:
        super().__init__(list[item])  # type: ignore[valid-type]

    def to_domain(self, name: str, value: Any) -> tuple[Any, ...]:
        return ([item.to_domain() for item in value],)


class CommandInput(Argument):
    """A command's input object: it stands for the arguments its ``to_domain()`` gives."""

    def to_domain(self, name: str, value: Any) -> tuple[Any, ...]:
        return tuple(value.to_domain())


Arguments = dict[str, Argument]


def arguments_of(declared: dict[str, Any]) -> Arguments:
    return {name: _argument(spec) for name, spec in declared.items()}


def _argument(spec: Any) -> Argument:
    if isinstance(spec, Argument):
        return spec
    if hasattr(spec, "to_domain"):
        return CommandInput(spec)
    return Argument(spec)


def domain_values(arguments: Arguments, values: dict[str, Any]) -> list[Any]:
    """The command's arguments, in order, for the values the client gave."""
    return [
        part
        for name, argument in arguments.items()
        for part in argument.to_domain(name, values.get(name, argument.default))
    ]


# ------------------------------------------------------------------- mutations
def mutation(
    command: Callable[..., Any],
    resolve: Callable[..., Coroutine[Any, Any, Any]],
    description: str,
    arguments: Arguments,
    returns: Any,
) -> Any:
    """``resolve`` as the mutation of ``command``: ``arguments`` in order, then
    ``idempotencyKey``; it answers ``returns``."""
    parameters = [
        Parameter("info", Parameter.KEYWORD_ONLY, annotation=Info),
        *(
            Parameter(
                name, Parameter.KEYWORD_ONLY, annotation=spec.annotation, default=spec.default
            )
            for name, spec in arguments.items()
        ),
        Parameter(
            "idempotency_key", Parameter.KEYWORD_ONLY, annotation=IdempotencyKey, default=None
        ),
    ]
    resolve.__signature__ = Signature(parameters, return_annotation=returns)  # type: ignore[attr-defined]
    resolve.__name__ = resolve.__qualname__ = command.__name__  # in stack traces
    return classified(C.ENTRY, description=description)(resolve)


def case_mutation(command: Callable[..., int | Created], description: str, **declared: Any) -> Any:
    """The mutation of ``command`` on a case: ``caseId``, then ``declared``; it returns the
    case as it stands after the command (``NOT_FOUND`` for a case the viewer cannot see)."""
    arguments, name = arguments_of(declared), command.__name__

    async def resolve(
        info: Info, case_id: strawberry.ID, idempotency_key: str | None = None, **values: Any
    ) -> Case:
        return await run_case_command(
            info,
            case_id,
            lambda app, case: getattr(app, name)(
                case, *domain_values(arguments, values), **once(idempotency_key)
            ),
        )

    case_id = {"case_id": Argument(strawberry.ID)}
    return mutation(command, resolve, description, {**case_id, **arguments}, Case)


def entry_mutation(command: Callable[..., int], description: str, **declared: Any) -> Any:
    """The mutation of ``command`` on the staff member, household or account whose id is
    the first of ``declared`` (a ``Target``); it returns that id."""
    arguments, name = arguments_of(declared), command.__name__
    (target_name, target), *rest = arguments.items()
    if not isinstance(target, Target):
        raise TypeError(f"{name}: the first argument names the command's target (a Target)")
    after_target = dict(rest)

    async def resolve(info: Info, idempotency_key: str | None = None, **values: Any) -> Registered:
        return await changed(
            info,
            uuid_of(values[target_name], target.what),
            lambda app, aggregate: getattr(app, name)(
                aggregate, *domain_values(after_target, values), **once(idempotency_key)
            ),
        )

    return mutation(command, resolve, description, arguments, Registered)


def registration_mutation(
    command: Callable[..., Created], description: str, **declared: Any
) -> Any:
    """The mutation of ``command``, which registers an organisation, a staff member or a
    household from ``declared``; it returns the id registered."""
    arguments, name = arguments_of(declared), command.__name__

    async def resolve(info: Info, idempotency_key: str | None = None, **values: Any) -> Registered:
        return await registered(
            info,
            lambda app: getattr(app, name)(
                *domain_values(arguments, values), **once(idempotency_key)
            ),
        )

    return mutation(command, resolve, description, arguments, Registered)
