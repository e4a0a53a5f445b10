"""The runner: tracking of ignored events, read-your-writes, rebuilds, several runners."""

from __future__ import annotations

import threading

import pytest

from aspe.bootstrap import build_projector
from aspe.domain.values import Status
from aspe.projections import READ_MODELS
from aspe.projections import view as view_module
from aspe.projections.errors import ProjectionTimeout
from aspe.projections.runner import BackgroundFollower


def test_events_a_read_model_ignores_still_move_its_position(world, story, projector):
    story().walk_to(Status.DIAGNOSTIC)  # nothing the rent ledger handles
    head = world.app.head()

    projector.catch_up()

    assert projector.model("rent_ledger").view.max_tracking_id("aspe") == head
    projector.wait("rent_ledger", head, timeout=0.1)


def test_a_reader_waits_for_its_own_write_to_reach_the_read_model(world, projector):
    household_id = world.new_household()
    follower = BackgroundFollower(projector).start()
    try:
        with world.acting(world.referent):
            opened = world.app.open_case(household_id, world.referent.actor.id)

        projector.wait("association_caseload", opened.position)

        view = projector.model("association_caseload").view
        assert view.get("cases", str(opened.id))["status"] == "DIAGNOSTIC"
    finally:
        follower.stop()


def test_a_read_model_that_does_not_catch_up_in_time_says_so(world, story, projector):
    position = world.app.head() + 1_000

    with pytest.raises(ProjectionTimeout) as timed_out:
        projector.wait("association_caseload", position, timeout=0.2)

    assert timed_out.value.code == "PROJECTION_TIMEOUT"
    assert "réessayez" in timed_out.value.message
    assert f"position {position}" in str(timed_out.value)


def test_two_full_rebuilds_of_the_demo_give_identical_read_models(demo_projector):
    first = dumps(demo_projector)
    demo_projector.rebuild()
    second = dumps(demo_projector)

    assert first == second
    empty = [name for name, tables in first.items() if not any(tables.values())]
    assert empty == []


def test_an_interrupted_rebuild_resumes_where_it_stopped(demo_projector, demo_settings, demo_app):
    app, expected = demo_app, dumps(demo_projector)
    small = demo_settings.model_copy(update={"projection_rebuild_batch_size": 50})
    projector = build_projector(small, app=app)
    stop, starts = threading.Event(), []

    def progress(done: int, total: int):
        starts.append(done)
        return lambda count: stop.set()  # stop after the first batch

    finished = projector.rebuild(progress=progress, stop=stop)
    interrupted_at = projector.model("audit_trail").view.position
    resumed = projector.rebuild(progress=progress)

    assert (finished, resumed) == (False, True)
    assert 0 < interrupted_at < app.head()
    assert starts == [0, interrupted_at]
    assert dumps(projector) == expected
    assert not any(line.rebuilding or line.lag for line in projector.status())
    projector.close()


def test_a_read_model_whose_tables_changed_shape_is_rebuilt(app, story, projector):
    story().walk_to(Status.SUBMITTED)
    projector.catch_up()
    view = projector.model("association_caseload").view
    before = view.dump()
    with view.transaction(commit=True) as cursor:
        view._put_meta(cursor, "schema", "an older shape")

    projector.prepare()
    assert view.position is None
    projector.catch_up()

    assert view.dump() == before


def test_two_runners_of_the_same_read_model_never_write_a_batch_twice(
    demo_projector, demo_settings, demo_app
):
    app, expected = demo_app, demo_projector.model("audit_trail").view.dump()
    demo_projector.model("audit_trail").view.reset()
    small = demo_settings.model_copy(update={"projection_batch_size": 25})
    runners = [build_projector(small, names=["audit_trail"], app=app) for _ in range(2)]
    for runner in runners:
        runner.prepare()
    errors: list[BaseException] = []

    def run(runner) -> None:
        try:
            runner.catch_up()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(runner,)) for runner in runners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    runners[0].catch_up()

    assert errors == []
    assert runners[0].model("audit_trail").view.dump() == expected
    for runner in runners:
        runner.close()


def dumps(projector):
    return {name: model.view.dump() for name, model in projector.read_models.items()}


def test_every_read_model_is_registered_under_a_unique_name():
    names = [cls.name for cls in READ_MODELS]

    assert len(names) == len(set(names)) == 13


def test_a_read_model_built_under_other_rules_is_rebuilt_under_the_new_ones(settings, app, story):
    story().walk_to(Status.ACTIVE)
    before = build_projector(settings, names=["visit_compliance"], app=app)
    before.prepare()
    before.catch_up()
    before.close()
    changed = settings.model_copy(update={"reinforced_visits_per_week": 4})

    after = build_projector(changed, names=["visit_compliance"], app=app)
    stale = after.model("visit_compliance").view.is_stale
    after.prepare()

    assert stale
    assert after.model("visit_compliance").view.position is None
    after.close()


def test_rules_do_not_stale_a_read_model_that_does_not_use_them(settings, app, story):
    story().walk_to(Status.ACTIVE)
    build_projector(settings, names=["audit_trail"], app=app).prepare()
    changed = settings.model_copy(update={"reinforced_visits_per_week": 4})

    after = build_projector(changed, names=["audit_trail"], app=app)

    assert not after.model("audit_trail").view.is_stale
    after.close()


@pytest.mark.parametrize("rows_for_set_based_upsert", [1, 10**9])
def test_set_based_and_row_by_row_upserts_write_the_same_rows(
    demo_projector, monkeypatch, rows_for_set_based_upsert
):
    expected = dumps(demo_projector)
    monkeypatch.setattr(view_module, "SET_BASED_UPSERT_ROWS", rows_for_set_based_upsert)

    demo_projector.rebuild()

    assert dumps(demo_projector) == expected


def test_a_rebuild_that_outgrows_its_cache_writes_the_same_rows(demo_projector, monkeypatch):
    expected = dumps(demo_projector)
    monkeypatch.setattr(view_module, "MAX_CACHED_ROWS", 10)

    demo_projector.rebuild()

    assert dumps(demo_projector) == expected
