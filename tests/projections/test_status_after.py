"""What read models take from the domain agrees with the aggregate on every case of the
demo: ``STATUS_AFTER`` (each listed event leaves the case in its status, no other event
changes it) and ``day_heard_from_household`` (the days silence is counted from)."""

from aspe.domain.case import STATUS_AFTER, Case, day_heard_from_household


def test_every_status_change_of_the_demo_is_the_one_status_after_names(demo_app):
    checked = 0
    for notification in demo_app.recorder.select_notifications(start=0, limit=100_000):
        if not notification.topic.endswith("Case.Opened"):
            continue
        case = None
        for event in demo_app.events.get(notification.originator_id):
            before = case.status if case else None
            case = event.mutate(case)
            expected = STATUS_AFTER.get(type(event), before)
            assert case.status is expected, f"{type(event).__name__} left the case {case.status}"
            checked += 1

    assert checked > 500
    assert Case.Opened in STATUS_AFTER


def test_the_last_day_heard_from_the_household_is_the_aggregates_on_every_demo_case(demo_app):
    compared = 0
    for notification in demo_app.recorder.select_notifications(start=0, limit=100_000):
        if not notification.topic.endswith("Case.Opened"):
            continue
        events = list(demo_app.events.get(notification.originator_id))
        days = [day for day in map(day_heard_from_household, events) if day is not None]
        case = demo_app.get_case(notification.originator_id)

        assert max(days, default=None) == case.last_contact_on
        compared += bool(days)

    assert compared > 10
