"""The container files (``Dockerfile``, ``compose.yaml``) stay true to the code: every
process they start runs a real ``aspe`` command, and every ``ASPE_*`` variable they set is
a setting. A renamed command or setting fails here, not in a deployment."""

from __future__ import annotations

import json
import shlex
import tomllib
from pathlib import Path
from typing import Any

import yaml

from tests.aspe_commands import command_problem, setting_problem

ROOT = Path(__file__).resolve().parent.parent
ENTRYPOINT = ["aspe"]


# ------------------------------------------------------------------------------ checks


def compose_problems(document: dict[str, Any]) -> list[str]:
    """What is wrong in a compose document's services that run the application image."""
    problems: list[str] = []
    for name, service in application_services(document).items():
        entrypoint = service.get("entrypoint", ENTRYPOINT)
        if entrypoint != ENTRYPOINT:
            problems.append(f"{name}: entrypoint {entrypoint!r} is not {ENTRYPOINT!r}")
        command = service.get("command", [])
        arguments = shlex.split(command) if isinstance(command, str) else list(command)
        problems += [f"{name}: {p}" for p in [command_problem(arguments)] if p]
        problems += [f"{name}: {p}" for p in map(setting_problem, aspe_variables(service)) if p]
    return problems


def application_services(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The services built from this repository (the others: PostgreSQL, Redis, Mailpit)."""
    return {name: s for name, s in document["services"].items() if "build" in s}


def aspe_variables(service: dict[str, Any]) -> list[str]:
    environment = service.get("environment", {})
    if isinstance(environment, list):  # the "NAME=value" form
        environment = dict(item.split("=", 1) for item in environment)
    return [name for name in environment if name.startswith("ASPE_")]


def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """``(INSTRUCTION, arguments)`` in order, continuation lines joined, comments left out."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for line in text.splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        keyword, _, arguments = (pending + line).strip().partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        pending = ""
    return instructions


def dockerfile_problems(text: str) -> list[str]:
    problems: list[str] = []
    instructions = dockerfile_instructions(text)
    for keyword, arguments in instructions:
        if keyword == "ENV":
            names = [word.split("=", 1)[0] for word in shlex.split(arguments)]
            aspe = [name for name in names if name.startswith("ASPE_")]
            problems += [p for p in map(setting_problem, aspe) if p]
    exec_form = {k: json.loads(a) for k, a in instructions if k in {"ENTRYPOINT", "CMD"}}
    if exec_form.get("ENTRYPOINT") != ENTRYPOINT:
        problems.append(f"ENTRYPOINT is not {ENTRYPOINT!r}")
    problems += [f"CMD: {p}" for p in [command_problem(exec_form.get("CMD", []))] if p]
    users = [arguments for keyword, arguments in instructions if keyword == "USER"]
    if not users or users[-1] in {"root", "0"}:
        problems.append("the image runs as root")
    return problems


# ------------------------------------------------------------------------------ the files


def test_every_application_service_runs_a_real_command_with_real_settings():
    document = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))

    assert compose_problems(document) == []


def test_the_compose_file_runs_the_whole_topology():
    document = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))

    commands = {
        " ".join(service["command"][:2]) for service in application_services(document).values()
    }

    assert commands == {"serve --host", "projections run", "notifier run", "worker", "beat"}
    assert {"postgres", "redis", "mailpit"} <= set(document["services"])


def test_the_applications_mail_goes_to_the_mail_catcher():
    document = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))

    urls = {s["environment"]["ASPE_SMTP_URL"] for s in application_services(document).values()}

    assert urls == {"smtp://mailpit:1025"}


def test_the_image_runs_a_real_command_with_real_settings_as_a_user():
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")

    assert dockerfile_problems(text) == []
    assert ("FROM", "python:3.11-slim") in dockerfile_instructions(text)


def test_the_installed_package_holds_every_file_the_application_reads():
    # The image installs the package (not the source tree): a template, font or script
    # left out of `package-data` is missing there, and only there.
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    declared = pyproject["tool"]["setuptools"]["package-data"]

    shipped = {
        path
        for package, patterns in declared.items()
        for pattern in patterns
        for path in (ROOT / package.replace(".", "/")).glob(pattern)
    }
    data_files = {
        path
        for path in (ROOT / "aspe").rglob("*")
        if path.is_file() and path.suffix not in {".py", ".pyc"}
    }

    assert sorted(map(str, data_files - shipped)) == []


# ------------------------------------------------------------------ the checks catch typos


def test_a_compose_file_with_a_mistyped_command_or_setting_is_caught():
    # Given services with a misspelt sub-command, option and setting
    document = yaml.safe_load(
        """
        services:
          api:
            build: .
            command: ["serv", "--host", "0.0.0.0"]
            environment:
              ASPE_DATABSE_URL: postgresql://postgres/aspe
          runner:
            build: .
            command: projections run --no-notifer
          postgres:
            image: postgres:15
            environment:
              ASPE_NOT_OURS: "ignored: not the application"
        """
    )

    # When they are checked
    problems = compose_problems(document)

    # Then each mistake is named, and only those
    assert problems == [
        "api: aspe: no sub-command 'serv'",
        "api: ASPE_DATABSE_URL: not a setting",
        "runner: aspe projections run: No such option: --no-notifer",
    ]


def test_a_dockerfile_with_a_mistyped_setting_or_command_running_as_root_is_caught():
    # Given an image definition with a misspelt setting and command, and no USER
    text = (
        "FROM python:3.11-slim\n"
        "ENV PYTHONUNBUFFERED=1 \\\n    ASPE_DATA_DIRECTORY=/var/lib/aspe\n"
        'ENTRYPOINT ["aspe"]\n'
        'CMD ["server"]\n'
    )

    # When it is checked
    problems = dockerfile_problems(text)

    # Then each mistake is named
    assert problems == [
        "ASPE_DATA_DIRECTORY: not a setting",
        "CMD: aspe: no sub-command 'server'",
        "the image runs as root",
    ]
