"""The GraphQL layers benchmark's measure (bench/graphql_layers.py): interleaved series, a
profile grouped by where the code lives, a built-in's time counted with its callers."""

from __future__ import annotations

import json
from types import ModuleType

import pytest

from tests.conftest import load_bench


@pytest.fixture(scope="module")
def layers() -> ModuleType:
    return load_bench("graphql_layers")


def test_the_series_run_in_blocks_interleaved_round_after_round(layers: ModuleType) -> None:
    # given two series that note each call
    calls: list[str] = []
    series = {"graphql": lambda: calls.append("g"), "plain": lambda: calls.append("p")}
    # when measured in two rounds of two calls (after one warm-up call each)
    medians = layers.measure(series, rounds=2, per_round=2)
    # then each round ran a block of each series in turn, and each has its median
    assert "".join(calls) == "g" + "p" + "gg" + "pp" + "gg" + "pp"
    assert set(medians) == {"graphql", "plain"}


def test_code_is_grouped_by_the_package_it_lives_in(layers: ModuleType) -> None:
    site = "/x/.venv/lib/python3.11/site-packages"
    assert layers.group_of(f"{site}/graphql/execution/execute.py") == "graphql-core"
    assert layers.group_of(f"{site}/strawberry/types/field.py") == "strawberry"
    assert layers.group_of("/x/aspe/graphql/permissions.py") == "our authorization"
    assert layers.group_of("/x/aspe/graphql/types.py") == "our schema (rest of aspe/graphql)"
    assert layers.group_of("/usr/lib/python3.11/enum.py") == "the rest"


def test_a_builtins_time_counts_where_its_callers_live(layers: ModuleType) -> None:
    # given work done mostly inside the json package's C encoder, called from json/encoder.py
    document = {"rows": [{"n": number, "s": str(number)} for number in range(20_000)]}
    # when profiled
    by_group = layers.profiled(lambda: json.dumps(document), requests=3)
    # then the built-in's time is the reads' group (json's), not "the rest"
    assert by_group["reads (read models, sqlite3, json)"] > by_group.get("the rest", 0.0)
