"""Server-rendered SVG charts: well-formed, named and described, values written as text,
bars and points proportional to the figures, empty data said in words."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, timedelta

from aspe.portal.charts import (
    CADENCE_HEIGHT,
    Series,
    bar_chart,
    cadence_chart,
    data_table,
    line_chart,
)

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))


def texts(svg: ET.Element) -> list[str]:
    return [element.text or "" for element in svg.iter(f"{SVG}text")]


def test_a_bar_chart_is_an_image_named_by_its_title_and_described():
    svg = parse(bar_chart("statuts", "Dossiers par statut", [("actifs", 3), ("refusés", 1)]))

    title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "statuts-title statuts-desc"
    assert (title.get("id"), title.text) == ("statuts-title", "Dossiers par statut")
    assert desc.get("id") == "statuts-desc"
    assert desc.text == "actifs : 3; refusés : 1"


def test_bars_are_as_long_as_their_values_and_each_value_is_written():
    svg = parse(bar_chart("b", "Mesures", [("simple", 10), ("renforcée", 5), ("aucune", 0)]))

    widths = [float(rect.get("width")) for rect in svg.iter(f"{SVG}rect")]

    assert widths[0] > 0
    assert widths[1] == widths[0] / 2
    assert widths[2] == 0
    assert {"simple", "renforcée", "aucune", "10", "5", "0"} <= set(texts(svg))


def test_labels_are_escaped():
    svg = parse(bar_chart("b", "Titre <b>", [("a & b <c>", 1.5)], unit="jours"))

    assert "a & b <c>" in texts(svg)
    assert "1,5 jours" in texts(svg)
    assert svg.find(f"{SVG}title").text == "Titre <b>"


def test_an_empty_bar_chart_says_there_is_nothing_yet():
    svg = parse(bar_chart("b", "Mesures", []))

    assert texts(svg) == ["Aucune donnée pour l'instant."]
    assert svg.find(f"{SVG}desc").text == "Aucune donnée pour l'instant."


def test_a_line_chart_has_a_point_and_a_written_value_per_label_for_each_series():
    svg = parse(
        line_chart(
            "l",
            "Mesures en cours",
            ["janv.", "févr.", "mars"],
            [Series("Simple", [2, 4, 0]), Series("Renforcée", [1, 1, 3])],
        )
    )

    lines = svg.findall(f".//{SVG}g[@class='series']")
    assert [line.get("data-series") for line in lines] == ["Simple", "Renforcée"]
    simple = lines[0].find(f"{SVG}polyline").get("points").split()
    heights = [float(point.split(",")[1]) for point in simple]
    baseline = heights[2]  # the value 0 lies on the axis
    assert baseline - heights[1] == 2 * (baseline - heights[0])
    values = [text.text for text in lines[0].iter(f"{SVG}text")]
    assert values == ["2", "4", "0"]
    assert {"janv.", "févr.", "mars", "Simple", "Renforcée"} <= set(texts(svg))


def test_series_differ_by_marker_and_dash_not_by_colour_alone():
    svg = parse(line_chart("l", "T", ["a", "b"], [Series("Un", [1, 2]), Series("Deux", [2, 1])]))

    first, second = svg.findall(f".//{SVG}g[@class='series']")
    assert first.find(f"{SVG}circle") is not None
    assert first.find(f"{SVG}polygon") is None
    assert second.find(f"{SVG}rect") is not None
    assert first.find(f"{SVG}polyline").get("stroke-dasharray") is None
    assert second.find(f"{SVG}polyline").get("stroke-dasharray")
    legends = svg.findall(f".//{SVG}g[@class='legend']")
    assert [legend.find(f"{SVG}text").text for legend in legends] == ["Un", "Deux"]


def test_a_line_chart_of_zeros_or_no_labels_says_there_is_nothing_yet():
    for labels, series in ((["a"], [Series("Un", [0])]), ([], [Series("Un", [])])):
        svg = parse(line_chart("l", "T", labels, series, empty="Rien à montrer."))

        assert texts(svg) == ["Rien à montrer."]


def weeks_from(first_monday: date, count: int, visits: int = 1) -> list[dict[str, object]]:
    """``count`` consecutive weeks of a measure, each with ``visits`` of 1 required."""
    mondays = [first_monday + timedelta(weeks=n) for n in range(count)]
    return [
        {
            "isoWeek": f"{monday.isocalendar().year}-W{monday.isocalendar().week:02d}",
            "monday": monday.isoformat(),
            "visits": visits,
            "requiredVisits": 1,
            "compliant": visits >= 1,
        }
        for monday in mondays
    ]


def test_the_cadence_chart_says_in_words_which_weeks_met_the_cadence():
    weeks = [
        {"isoWeek": "2026-W10", "monday": "2026-03-02", "visits": 1, "requiredVisits": 1,
         "compliant": True},
        {"isoWeek": "2026-W11", "monday": "2026-03-09", "visits": 0, "requiredVisits": 1,
         "compliant": False},
        {"isoWeek": "2026-W12", "monday": "2026-03-16", "visits": 2, "requiredVisits": 1,
         "compliant": True},
    ]  # fmt: skip

    svg = parse(cadence_chart("cadence", weeks))

    groups = svg.findall(f"{SVG}g")
    assert [group.get("data-compliant") for group in groups] == ["true", "false", "true"]
    assert [float(group.find(f"{SVG}rect").get("height")) for group in groups] == [40, 0, 80]
    assert texts(svg).count("conforme") == 2
    assert texts(svg).count("insuffisant") == 1
    assert {"1/1 ✓", "0/1 ✗", "2/1 ✓", "semaine du", "2 mars"} <= set(texts(svg))
    assert svg.find(f"{SVG}desc").text.startswith("2 semaines conformes sur 3.")


def test_weeks_are_named_by_their_monday_never_by_their_iso_number():
    # given the first week of a measure that started on Tuesday 1 December
    weeks = weeks_from(date(2026, 11, 30), 1)

    # when its chart is drawn
    svg = parse(cadence_chart("cadence", weeks))

    # then the week reads « semaine du 30 nov. », and no « W49 » appears
    assert "30 nov." in texts(svg)
    assert not any("W49" in text for text in texts(svg))
    assert "1er déc." in texts(parse(cadence_chart("c", weeks_from(date(2025, 12, 1), 1))))


def test_the_cadence_chart_has_one_height_and_one_letter_size_whatever_the_weeks():
    # given a measure in its first week, and one a year old
    first_week = parse(cadence_chart("cadence", weeks_from(date(2026, 11, 30), 1)))
    a_year = parse(cadence_chart("cadence", weeks_from(date(2025, 12, 1), 52), last=52))

    # then both are drawn at their own size in pixels, as tall as each other, never stretched
    for svg in (first_week, a_year):
        assert svg.get("height") == str(CADENCE_HEIGHT)
        assert svg.get("width") == svg.get("viewBox").split()[2]
        assert "graphique-naturel" in svg.get("class")
    # and their letters are the same size
    sizes = {
        text.get("font-size") for svg in (first_week, a_year) for text in svg.iter(f"{SVG}text")
    }
    assert sizes <= {"12", "14"}


def test_the_cadence_chart_shows_the_last_weeks_only():
    weeks = weeks_from(date(2026, 1, 5), 20)

    svg = parse(cadence_chart("cadence", weeks, last=4))

    assert len(svg.findall(f"{SVG}g")) == 4
    assert "18 mai" in texts(svg)
    assert "27 avr." in texts(svg)
    assert "20 avr." not in texts(svg)


def test_the_cadence_chart_of_a_measure_not_started():
    svg = parse(cadence_chart("cadence", []))

    assert texts(svg) == ["La mesure n'a pas encore commencé."]


def test_the_data_table_has_a_caption_headers_and_row_headers():
    table = parse(
        data_table(
            "Dossiers <par> statut",
            ["Statut", "Dossiers", "Taux"],
            [("actifs", 3, 12.5), ("refusés", 1, None)],
            ident="t",
        )
    )

    assert table.get("id") == "t"
    assert table.find("caption").text == "Dossiers <par> statut"
    assert [th.get("scope") for th in table.find("thead").iter("th")] == ["col"] * 3
    rows = table.find("tbody").findall("tr")
    assert [(row.find("th").get("scope"), row.find("th").text) for row in rows] == [
        ("row", "actifs"),
        ("row", "refusés"),
    ]
    assert [td.text for td in rows[0].findall("td")] == ["3", "12,5"]
    assert [td.text for td in rows[1].findall("td")] == ["1", "—"]
