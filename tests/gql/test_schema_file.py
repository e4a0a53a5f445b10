"""The checked-in SDL is the code's schema: clients and reviewers read ``schema.graphql``."""

from pathlib import Path

from typer.testing import CliRunner

from aspe.cli import app
from aspe.graphql.schema import export_sdl

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema.graphql"


def test_the_checked_in_schema_is_the_code_schema():
    checked_in = SCHEMA_FILE.read_text(encoding="utf-8")

    assert checked_in == export_sdl(), "schema.graphql is stale: run `aspe graphql export-schema`"


def test_export_schema_writes_the_sdl(tmp_path: Path):
    target = tmp_path / "schema.graphql"

    result = CliRunner().invoke(app, ["graphql", "export-schema", "--output", str(target)])

    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8") == export_sdl()
    assert "type Query" in target.read_text(encoding="utf-8")
