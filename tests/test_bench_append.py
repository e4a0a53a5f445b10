"""The append benchmark's measure (bench/append.py): interleaved blocks, quick mode, a tiny run."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import pytest

from tests.conftest import load_bench


@pytest.fixture(scope="module")
def append() -> ModuleType:
    return load_bench("append")


def test_the_kinds_take_turns_and_each_merges_its_blocks(append: ModuleType) -> None:
    # given three kinds that log when each of their blocks runs
    order: list[tuple[str, int]] = []

    def kind(label: str) -> Callable[[int, int], object]:
        def block(start: int, count: int) -> object:
            order.append((label, start))
            return append.Measure(label, [0.001] * count, 0.001 * count)

        return block

    kinds = {label: kind(label) for label in ("a", "b", "c")}
    # when three rounds of four operations run
    measures = append.interleave(kinds, 3, 4)
    # then every round runs one block of each kind, the first kind rotating
    assert [label for label, _ in order] == list("abcbcacab")
    assert [start for label, start in order if label == "a"] == [0, 4, 8]
    # and each kind's figures cover all its blocks
    assert {label: len(m.seconds) for label, m in measures.items()} == {"a": 12, "b": 12, "c": 12}
    assert measures["a"].rate == pytest.approx(1000)


def test_quick_mode_shrinks_the_cache_below_the_working_set(append: ModuleType) -> None:
    args = append.parse_args(["--quick"])
    assert args.cache_size < args.cases
    assert args.prefill == 100_000
    assert args.block % append.WRITERS == 0


def test_the_default_working_set_exceeds_the_default_cache(append: ModuleType) -> None:
    from aspe.settings import Settings

    args = append.parse_args([])
    assert args.cache_size is None
    assert args.cases > Settings.model_fields["aggregate_cache_size"].default
    assert args.block % append.WRITERS == 0


@pytest.mark.slow
def test_a_tiny_run_on_sqlite_prints_every_table(
    append: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    append.main(
        ["--backends", "sqlite", "--rounds", "2", "--block", "8", "--cases", "12",
         "--cache-size", "6", "--warmup", "8", "--prefill", "500", "--open-loop-seconds", "1"]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert "commands ÷ raw INSERT" in out
    assert "open loop 30/s" in out
    assert "working set 12 cases, aggregate cache 6" in out


def test_the_recorder_flag_chooses_the_postgres_recorder(append: ModuleType) -> None:
    assert append.parse_args([]).recorder == "prepared"
    library = append.parse_args(["--recorder", "library"]).recorder
    assert append.RECORDERS[library].endswith(":ChainedPostgresApplicationRecorder")
