"""The base of every read model: a projection of the eventsourcing library that batches.

A read model subclass names its audience and question, declares its ``tables`` and
registers one handler per event type it cares about with ``@handles``. Every other event
is ignored but still tracked: the batch's tracking record covers it. The library's
``process_event`` (one event, one transaction) works as the library's runner expects;
``process_batch`` is what our runner calls to apply thousands of events per transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar, NotRequired, TypedDict, TypeVar, cast, overload
from uuid import UUID

from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from aspe.domain.audited import AuditedAggregate
from aspe.domain.case import STATUS_AFTER, Case
from aspe.domain.household import Household
from aspe.domain.rules import DEFAULT_RULES, RuleParameters
from aspe.domain.values import Commitment, ConsentScope, Finding, Objective, Step, Theme
from aspe.projections.tables import Row, Table
from aspe.projections.view import Changes, Rows, TableView

Handler = Callable[[Any, Any, Changes], None]
F = TypeVar("F", bound=Callable[..., None])


def handles(*event_types: type) -> Callable[[F], F]:
    """Register the decorated method as the handler of these event types."""

    def register(method: F) -> F:
        cast(Any, method).__handles__ = event_types  # read back by __init_subclass__
        return method

    return register


class ReadModel(Projection[TableView]):
    """One read model: its tables, and how each event changes their rows."""

    tables: ClassVar[tuple[Table[Any], ...]] = ()
    handlers: ClassVar[dict[type, Handler]] = {}
    uses_rules: ClassVar[bool] = False
    """Rows depend on the rule parameters: a change of settings rebuilds the read model."""
    retried_by_its_runner: ClassVar[bool] = False
    """Its batches fail for outside reasons that pass (the notifier's Redis) and its runner
    tries them again: a failure is raised to it instead of stopping the read model."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.handlers = {
            event_type: method
            for klass in reversed(cls.__mro__)
            for method in vars(klass).values()
            for event_type in getattr(method, "__handles__", ())
        }

    def __init__(self, view: TableView, rules: RuleParameters = DEFAULT_RULES) -> None:
        super().__init__(view)
        self.rules = rules

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """The library's contract: apply one event and record its tracking, atomically."""
        self.process_batch([domain_event], tracking)

    def process_batch(self, events: Iterable[Any], tracking: Tracking) -> None:
        """Apply ``events`` and record ``tracking`` (the batch's last position) atomically."""
        changes = self.view.begin()
        self.apply(events, changes)
        self.view.commit(changes, tracking)

    def apply(self, events: Iterable[Any], changes: Changes) -> None:
        handlers = self.handlers
        for event in events:
            if isinstance(event, Household.Erased):
                self.view.forget_cached_rows()
            handler = handlers.get(type(event))
            if handler is not None:
                handler(self, event, changes)


class HouseholdCases(TypedDict):
    """The cases opened for a household (``remember_case``): a correction of its details
    reaches every row that copies them (``cases_of``)."""

    case_ids: list[str]


def remember_case(households: Rows[Any], event: Case.Opened) -> None:
    """Note the case in its household's row, if the read model keeps that household."""
    household = households.get(str(event.household_id))
    if household is not None:
        case_ids = [*(household.get("case_ids") or []), str(event.originator_id)]
        households.put({**household, "case_ids": case_ids})


def correct_household(
    households: Rows[Any], event: Household.DetailsCorrected, **columns: Any
) -> list[str]:
    """Apply a correction to the household's row; the ids of its cases, to correct theirs."""
    household = households.update(str(event.originator_id), **columns)
    return [] if household is None else list(household.get("case_ids") or [])


class HouseholdNameRow(HouseholdCases):
    household_id: str
    name: str | None


HOUSEHOLD_NAMES = Table("households", HouseholdNameRow, key=("household_id",))


class NamesHouseholds(ReadModel):
    """A read model that names each case's household in its rows: it keeps every
    household's name in ``HOUSEHOLD_NAMES``, which its ``tables`` list, and the cases opened
    for it; a corrected name reaches the ``household_name`` of the case's row in its
    ``named_cases`` table. Its ``case_opened`` makes its own rows of an opened case."""

    named_cases: ClassVar[Table[Any]]
    """The table whose case rows carry the household's name (``household_name``)."""

    @handles(Household.Registered)
    def household_registered(self, event: Household.Registered, changes: Changes) -> None:
        changes.households.put(
            {"household_id": str(event.originator_id), "name": event.name, "case_ids": []}
        )

    @handles(Case.Opened)
    def opened(self, event: Case.Opened, changes: Changes) -> None:
        remember_case(changes.households, event)
        self.case_opened(event, changes)

    def case_opened(self, event: Case.Opened, changes: Changes) -> None:
        """The read model's own rows of the case ``event`` opens."""
        raise NotImplementedError

    @handles(Household.DetailsCorrected)
    def household_corrected(self, event: Household.DetailsCorrected, changes: Changes) -> None:
        for case_id in correct_household(changes.households, event, name=event.name):
            changes.of(self.named_cases).update(case_id, household_name=event.name)

    @staticmethod
    def household_name(changes: Changes, household_id: object) -> str | None:
        household = changes.households.get(str(household_id))
        return None if household is None else household["name"]


class MeasuresReadModel(ReadModel):
    """A read model of the measures that have started: each case waits in its ``pending``
    table, with what its measure's row will need, until the first signed CEOP starts the
    measure and moves it to ``measures``; a rejected request never gets there."""

    @handles(Case.RequestRejected)
    def rejected(self, event: Case.RequestRejected, changes: Changes) -> None:
        changes.pending.delete(str(event.originator_id))

    @handles(Case.CeopSigned)
    def started(self, event: Case.CeopSigned, changes: Changes) -> None:
        """The first signed CEOP starts the measure; an amendment's signature changes nothing."""
        case_id = str(event.originator_id)
        pending = changes.pending.get(case_id)
        if pending is not None:
            changes.measures.put({**pending, **self.columns_at_start(pending, event)})
            changes.pending.delete(case_id)

    def columns_at_start(self, pending: Any, event: Case.CeopSigned) -> Row:
        """The measure's row besides the pending row's columns, as ``event`` starts it."""
        raise NotImplementedError


# ------------------------------------------------------------------- row changes
def update_case(rows: Rows[Any], event: AuditedAggregate.Event, **values: Any) -> None:
    """Give the row of the event's case in ``rows`` these ``values``, and the status the
    event leaves the case at if it moves the case along (``STATUS_AFTER``); nothing if
    ``rows`` holds no row of the case."""
    status = STATUS_AFTER.get(type(event))
    if status is not None:
        values["status"] = status.name
    rows.update(str(event.originator_id), **values)


def touch_case(rows: Rows[Any], event: AuditedAggregate.Event, **values: Any) -> None:
    """``update_case``, and the time of this last event in the row's ``updated_at``."""
    update_case(rows, event, updated_at=event.timestamp.isoformat(), **values)


def assign_referent(event: Case.ReferentAssigned, *tables: Rows[Any]) -> None:
    """The case's new referent, in each of ``tables`` that holds a row of the case."""
    for rows in tables:
        rows.update(str(event.originator_id), referent_id=str(event.referent_id))


ConsentEvent = Case.ConsentRecorded | Case.ConsentWithdrawn


def record_landlord_consent(rows: Rows[Any], column: str, event: ConsentEvent) -> None:
    """Whether the household lets its landlord read the detail of its measure
    (``ConsentScope.LANDLORD_DETAIL``), in ``column`` of the case's row in ``rows``; a
    consent of another scope changes nothing."""
    if event.scope is ConsentScope.LANDLORD_DETAIL:
        given = isinstance(event, Case.ConsentRecorded)
        rows.update(str(event.originator_id), **{column: given})


def hand_over(rows: Rows[Any], event: Case.ReferentAssigned) -> None:
    """The case's new referent, in a row that keeps ``former_referents`` (each with the
    last day they read the case) and ``updated_at``: the previous referent reads it until
    the day the handover gave; the new one, if it was a former one, is not any more."""
    case = rows.get(str(event.originator_id))
    if case is None:
        return
    former: Mapping[str, str | None] = case["former_referents"]
    after = {**former, str(event.previous_referent_id): text(event.previous_access_until)}
    after.pop(str(event.referent_id), None)
    touch_case(rows, event, referent_id=str(event.referent_id), former_referents=after)


# ------------------------------------------------------------ row value conversions
@overload
def text(value: UUID | date | datetime) -> str: ...
@overload
def text(value: UUID | date | datetime | None) -> str | None: ...
def text(value: UUID | date | datetime | None) -> str | None:
    """UUIDs and dates as the text rows hold (ISO dates sort as dates)."""
    if value is None:
        return None
    return value.isoformat() if isinstance(value, date | datetime) else str(value)


@overload
def cents(amount: Decimal) -> int: ...
@overload
def cents(amount: Decimal | None) -> int | None: ...
def cents(amount: Decimal | None) -> int | None:
    """Amounts as integer cents: exact, and summable in SQL."""
    return None if amount is None else int((amount * 100).to_integral_value())


def names(members: Sequence[Any]) -> list[str]:
    """Enum members as their names, for JSON columns."""
    return [member.name for member in members]


class FindingItem(TypedDict):
    theme: str
    difficulty: str


class ObjectiveItem(TypedDict):
    id: str
    theme: str
    label: str
    action: str | None
    progress: NotRequired[str]  # a CEOP's objectives carry their progress, a proposal's not
    progress_note: NotRequired[str | None]


class StepItem(TypedDict):
    label: str
    due_on: str | None
    theme: str | None


class CommitmentItem(TypedDict):
    party: str
    text: str
    theme: str | None


def findings(items: Sequence[Finding]) -> list[FindingItem]:
    """Diagnostic findings as JSON rows; the caller passes only those its audience may see."""
    return [{"theme": item.theme.name, "difficulty": item.difficulty} for item in items]


def objectives(items: Sequence[Objective]) -> list[ObjectiveItem]:
    """Objectives as JSON rows; the caller passes only those its audience may see."""
    return [
        {"id": item.id, "theme": item.theme.name, "label": item.label, "action": item.action}
        for item in items
    ]


def _theme(theme: Theme | None) -> str | None:
    return None if theme is None else theme.name


def steps(items: Sequence[Step]) -> list[StepItem]:
    """CEOP steps as JSON rows, each with its theme (``authorization`` filters HEALTH ones);
    the caller passes only those its audience may see."""
    return [
        {"label": item.label, "due_on": text(item.due_on), "theme": _theme(item.theme)}
        for item in items
    ]


def commitments(items: Sequence[Commitment]) -> list[CommitmentItem]:
    """CEOP commitments as JSON rows, each with its theme; the caller passes only those its
    audience may see."""
    return [
        {"party": item.party.name, "text": item.text, "theme": _theme(item.theme)} for item in items
    ]


def not_health(items: Sequence[Any]) -> list[Any]:
    """The items (steps, commitments) of a theme other than HEALTH, for a read model whose
    audience does not see HEALTH items (DESIGN §6)."""
    return [item for item in items if item.theme is not Theme.HEALTH]
