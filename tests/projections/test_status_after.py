"""``STATUS_AFTER``, the table read models derive a case's status from, agrees with the
aggregate on every case of the demo: each listed event leaves the case in its status, and
no other event changes the status."""

from aspe.domain.case import STATUS_AFTER, Case


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
