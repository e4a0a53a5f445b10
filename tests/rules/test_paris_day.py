"""What day it is, for every rule, is the day in Paris (``ASPE_TIMEZONE``), not in UTC.

The store keeps UTC instants; around midnight the two days differ by one, an hour or two
a night, every night.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from aspe.domain.errors import InvalidInput
from aspe.domain.values import Status, Theme, VisitKind


def record_visit(world, case_id, held_on: date) -> None:
    with world.acting(world.referent):
        world.app.record_visit(case_id, held_on, VisitKind.HOME, [Theme.HOUSING])


@pytest.mark.parametrize(
    ("now_utc", "paris_day"),
    [
        # winter, UTC+1: 23:30 UTC on 31 January is 00:30 on 1 February in Paris
        (datetime(2027, 1, 31, 23, 30, tzinfo=UTC), date(2027, 2, 1)),
        # the night summer time ends (25 October 2026), still UTC+2 at 00:30
        (datetime(2026, 10, 24, 22, 30, tzinfo=UTC), date(2026, 10, 25)),
        # the night summer time begins (29 March 2026), still UTC+1 at 00:30
        (datetime(2026, 3, 28, 23, 30, tzinfo=UTC), date(2026, 3, 29)),
    ],
)
def test_just_after_midnight_in_paris_a_visit_held_that_day_is_not_in_the_future(
    world, story, now_utc: datetime, paris_day: date
):
    # given an active measure, just after midnight in Paris (still the day before in UTC)
    case_id = story().walk_to(Status.ACTIVE)
    world.clock.now = now_utc

    # when the referent records the visit held that Paris day
    record_visit(world, case_id, paris_day)

    # then it is recorded
    assert world.event_names(case_id).count("VisitRecorded") == 1


def test_the_next_paris_day_is_still_in_the_future(world, story):
    # given an active measure at 00:30 on 1 February in Paris
    case_id = story().walk_to(Status.ACTIVE)
    world.clock.now = datetime(2027, 1, 31, 23, 30, tzinfo=UTC)

    # when a visit is dated 2 February, then it is refused
    with pytest.raises(InvalidInput, match="futur"):
        record_visit(world, case_id, date(2027, 2, 2))


def test_just_before_midnight_in_paris_it_is_still_the_paris_day(world, story):
    # given an active measure at 23:30 on 1 July in Paris (21:30 UTC, summer time)
    case_id = story().walk_to(Status.ACTIVE)
    world.clock.now = datetime(2026, 7, 1, 21, 30, tzinfo=UTC)

    # when a visit is dated 2 July, then it is refused: it is not 2 July yet in Paris
    with pytest.raises(InvalidInput, match="futur"):
        record_visit(world, case_id, date(2026, 7, 2))
