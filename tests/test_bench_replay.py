"""The replay benchmark's measure (bench/replay.py): interleaved ratios, equal GC, quick mode."""

from __future__ import annotations

import gc
from types import ModuleType

import pytest

from tests.conftest import load_bench


@pytest.fixture(scope="module")
def replay() -> ModuleType:
    return load_bench("replay")


def test_each_rebuild_is_compared_to_the_raw_blocks_on_either_side(replay: ModuleType) -> None:
    # given raw, rebuild, raw, rebuild, raw in run order
    raws = [replay.Replay(1000, seconds, 0, 0) for seconds in (1.0, 0.5, 0.25)]
    rebuilds = [replay.Replay(1000, seconds, 0, 0) for seconds in (3.0, 2.0)]
    measures = replay.Measures(raws=raws, rebuilds=rebuilds)
    # when the ratios are taken
    ratios = measures.ratios()
    # then each rebuild's rate is divided by the mean of its two neighbours' rates
    assert ratios == pytest.approx([(1000 / 3) / 1500, (1000 / 2) / 3000])


def test_the_raw_side_runs_under_the_rebuilds_gc_thresholds(replay: ModuleType) -> None:
    # given the runner's context manager, which the raw child uses as is
    before = gc.get_threshold()
    # when inside it
    with replay._fewer_collections():
        inside = gc.get_threshold()
    # then the thresholds are the rebuild's, and restored after
    assert inside != before
    assert gc.get_threshold() == before


def test_quick_mode_sets_a_small_store_and_one_round(replay: ModuleType) -> None:
    # given --quick
    args = replay.parse_args(["--quick"])
    # then the quick sizes replace the defaults
    assert (args.events, args.cases, args.rounds) == (20_000, 200, 1)
    assert args.lag_seconds == 5


def test_the_default_run_interleaves_two_rounds(replay: ModuleType) -> None:
    assert replay.parse_args([]).rounds == 2
