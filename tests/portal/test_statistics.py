"""The statistics page's figures and their CSV, from the GraphQL ``statistics`` query run
in-process as the viewer (the schema, its context and its authorization, as the portal runs
them)."""

from __future__ import annotations

import asyncio
import csv
import io
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import date
from typing import Any

import pytest

from aspe.bootstrap import build_projector
from aspe.demo.scenarios import DEFAULT_PASSWORD, Account
from aspe.domain.values import MeasureType, Status, Theme, VisitKind
from aspe.graphql.context import Context
from aspe.graphql.identity import authenticate
from aspe.graphql.schema import build_schema
from aspe.portal.pages import TEMPLATES
from aspe.portal.statistics import (
    CSV_HEADER,
    STATISTICS_QUERY,
    statistics_csv,
    statistics_page_data,
)
from aspe.settings import Settings

Ask = Callable[..., dict[str, Any]]


@pytest.fixture
def ask(world: Any, settings: Settings) -> Iterator[Ask]:
    """``ask(account[, query])``: the ``data`` of ``STATISTICS_QUERY`` (or of ``query``) run
    as that account."""
    schema = build_schema(settings)
    with closing(build_projector(settings, app=world.app)) as projector:
        projector.prepare()

        def run(account: Account, query: str = STATISTICS_QUERY) -> dict[str, Any]:
            projector.catch_up()
            viewer = authenticate(world.app, account.email, DEFAULT_PASSWORD)
            context = Context(
                application=world.app,
                projector=projector,
                settings=settings,
                viewer=viewer,
                clock=world.clock,
            )
            result = asyncio.run(schema.execute(query, context_value=context))
            assert not result.errors, result.errors
            data: dict[str, Any] = result.data
            return data

        yield run


@pytest.fixture
def a_few_cases(world: Any, story: Any) -> None:
    """Five cases of the world's association, all started on Monday 2026-03-02: a simple
    measure visited every other week, a reinforced one, a stopped one, a refused request
    and a submitted one; seen on Wednesday 2026-03-25 (three weeks over)."""
    visited = story().walk_to(Status.ACTIVE)
    story(measure_type=MeasureType.REINFORCED).walk_to(Status.ACTIVE)
    story().walk_to(Status.STOPPED)
    story().walk_to(Status.REJECTED)
    story().walk_to(Status.SUBMITTED)
    with world.acting(world.referent):
        for day in (date(2026, 3, 3), date(2026, 3, 17)):
            world.clock.set_day(day)
            world.app.record_visit(visited, day, VisitKind.HOME, [Theme.BUDGET])
    world.clock.set_day(date(2026, 3, 25))


def section(page: dict[str, Any], ident: str) -> dict[str, Any]:
    return next(found for found in page["sections"] if found["ident"] == ident)


def table_rows(markup: Any) -> dict[str, list[str]]:
    table = ET.fromstring(str(markup))
    return {
        row.find("th").text: [cell.text for cell in row.findall("td")]
        for row in table.find("tbody").findall("tr")
    }


def csv_rows(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


@pytest.mark.usefixtures("a_few_cases")
def test_a_manager_sees_the_key_figures_of_the_association(world, ask):
    page = statistics_page_data(ask(world.manager))

    key = dict(page["key_figures"])
    assert page["available"] is True
    assert key["Dossiers"] == "5"
    assert key["Délai moyen de la demande à la décision (jours)"] == "0"
    # two measures ran three weeks, the stopped one its first (every week a measure
    # overlaps counts); the simple one met its cadence in two of them
    assert key["Semaines de mesure écoulées"] == "7"
    assert key["Semaines conformes à la cadence"] == "2"
    assert key["Taux de conformité à la cadence (%)"] == "28,6"


@pytest.mark.usefixtures("a_few_cases")
def test_each_section_has_a_chart_and_the_table_of_its_figures(world, ask):
    page = statistics_page_data(ask(world.manager))

    by_status = table_rows(section(page, "par-statut")["table"])
    assert list(by_status)[:2] == ["diagnostic en cours", "demande déposée"]
    assert by_status["mesure en cours"] == ["2"]
    assert by_status["mesure arrêtée"] == ["1"]
    assert by_status["rejetée"] == ["1"]
    assert table_rows(section(page, "par-type")["table"]) == {
        "mesure simple": ["2"],
        "mesure renforcée": ["1"],
    }
    march = table_rows(section(page, "cadence")["table"])["mars 2026"]
    assert march == ["7", "2", "28,6"]
    assert _headers(section(page, "en-cours")["table"]) == ["Mesure simple", "Mesure renforcée"]
    running = table_rows(section(page, "en-cours")["table"])
    assert running["mars 2026"] == ["1", "1"]
    assert len(running) == 12
    for found in page["sections"]:
        svg = ET.fromstring(str(found["chart"]))
        assert svg.get("role") == "img"
        assert svg.find("{http://www.w3.org/2000/svg}title").text == found["title"]


@pytest.mark.usefixtures("a_few_cases")
def test_the_csv_holds_the_same_figures_one_a_line(world, ask):
    result = ask(world.manager)
    page = statistics_page_data(result)

    rows = csv_rows(statistics_csv(result))

    assert tuple(rows[0]) == CSV_HEADER
    assert ["Chiffres clés", "Dossiers", "", "Valeur", "5"] in rows
    assert ["Dossiers par statut", "mesure en cours", "", "Dossiers", "2"] in rows
    assert [
        "Conformité à la cadence des visites, par mois",
        "mars 2026",
        "2026-03",
        "Taux de conformité (%)",
        "28,6",
    ] in rows
    on_the_page = {
        (found["title"], label, header, value)
        for found in page["sections"]
        for label, values in table_rows(found["table"]).items()
        for header, value in zip(_headers(found["table"]), values, strict=True)
    }
    in_the_csv = {
        (title, label, header, value or "—")
        for title, label, _, header, value in rows[1:]
        if title != "Chiffres clés"
    }
    assert on_the_page == in_the_csv


def test_a_referent_gets_no_figures(world, ask):
    result = ask(world.referent)

    assert result == {"statistics": None}
    assert statistics_page_data(result)["available"] is False
    assert csv_rows(statistics_csv(result)) == [list(CSV_HEADER)]


def test_with_no_case_yet_the_figures_are_zeros_and_unknowns(world, ask):
    page = statistics_page_data(ask(world.manager))

    key = dict(page["key_figures"])
    assert key["Dossiers"] == "0"
    assert key["Délai moyen de la demande à la décision (jours)"] == "—"
    assert key["Taux de conformité à la cadence (%)"] == "—"
    chart = ET.fromstring(str(section(page, "activite")["chart"]))
    assert chart.find("{http://www.w3.org/2000/svg}desc").text == "Aucune donnée pour l'instant."


def _headers(markup: Any) -> list[str]:
    table = ET.fromstring(str(markup))
    return [th.text for th in table.find("thead").iter("th")][1:]


@pytest.mark.usefixtures("a_few_cases")
def test_the_page_template_shows_every_section_with_its_chart_and_table(world, ask):
    page = statistics_page_data(ask(world.manager))

    html = TEMPLATES.env.get_template("statistiques.html").render(statistics=page, viewer=None)

    assert "<h1>Statistiques</h1>" in html
    assert 'href="/statistiques.csv"' in html
    assert html.count('role="img"') == len(page["sections"])
    assert html.count("<caption>") == len(page["sections"])
    assert "<dt>Dossiers</dt>" in html
    assert "&lt;" not in html  # the charts and tables are markup, not escaped text


def test_the_page_template_says_when_the_role_has_no_statistics():
    html = TEMPLATES.env.get_template("statistiques.html").render(
        statistics=statistics_page_data({"statistics": None}), viewer=None
    )

    assert "ne sont pas accessibles avec votre rôle" in html
    assert "<svg" not in html


@pytest.mark.usefixtures("a_few_cases")
def test_the_weeks_are_counted_when_asked_for_even_through_a_fragment(world, ask):
    plain = ask(world.manager, "{ statistics { cases } }")
    spread = ask(
        world.manager,
        "{ statistics { ...Weeks } } fragment Weeks on Statistics { months { measuredWeeks } }",
    )

    assert plain == {"statistics": {"cases": 5}}
    assert [month["measuredWeeks"] for month in spread["statistics"]["months"]][-1] == 7


@pytest.mark.usefixtures("a_few_cases")
def test_the_month_still_running_is_marked_in_progress_not_plotted_as_a_fall(world, ask):
    # given figures read on 25 March 2026, March being the last month of the series
    result = ask(world.manager)

    # when the page is built for a reader whose month is March
    page = statistics_page_data(result, current_month="2026-03")

    # then March's rows say « (en cours) » and its points are hollow, set apart
    running = table_rows(section(page, "en-cours")["table"])
    assert "mars 2026 (en cours)" in running
    svg = ET.fromstring(str(section(page, "activite")["chart"]))
    marked = [
        element
        for element in svg.iter()
        if element.get("class") == "en-cours" and element.tag.endswith("circle")
    ]
    assert len(marked) == len(svg.findall("{http://www.w3.org/2000/svg}g[@class='series']"))
    assert "(en cours)" in [text.text for text in svg.iter("{http://www.w3.org/2000/svg}text")]
    # and a month that is over is never marked
    assert "(en cours)" not in str(statistics_page_data(result, current_month="2026-04"))
