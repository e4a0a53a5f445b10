"""The statistics page (SPSLH, commission, association managers) and its CSV export.

Both come from one GraphQL result (``STATISTICS_QUERY``, run as the viewer by the route):
``sections(statistics)`` turns it into tables of figures, each a title, column headers and
rows; the page draws a chart and a table from each section (``statistics_page_data``) and
the CSV writes the same rows, one figure a line (``statistics_csv``). Nothing here reads a
read model: what the viewer may not see is already ``null`` in the result.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from markupsafe import Markup

from aspe import french
from aspe.domain.values import MeasureType, Status, StopReason
from aspe.french import labels
from aspe.portal.charts import Series, bar_chart, data_table, line_chart

STATISTICS_QUERY = """
query PortalStatistics {
  statistics {
    cases
    byStatus { key count }
    byMeasureType { key count }
    byStopReason { key count }
    averageDaysToSubmission
    averageDaysToDecision
    averageDaysToStart
    averageMeasureDays
    stillHoused
    notHoused
    outcomeUnknown
    alertsRaised
    measuredWeeks
    compliantWeeks
    cadenceComplianceRate
    months {
      month opened submitted rejected stopped completed alertsRaised
      measuredWeeks compliantWeeks
      granted { key count }
      running { key count }
    }
  }
}
"""

MEASURE_LABELS = {kind.name: f"mesure {labels.label(kind)}" for kind in MeasureType}
STOP_REASON_LABELS = labels.names(StopReason)
STATUS_LABELS = labels.names(Status)
CSV_HEADER = ("rubrique", "libellé", "mois", "indicateur", "valeur")

Value = int | float | None
Month = Mapping[str, Any]
Figure = str | Callable[[Mapping[str, Any]], Value]
"""A figure of the ``statistics`` object (or of one of its months): the one of that name, or
one computed from the object."""
Kind = Literal["figures", "bars", "lines"]


@dataclass(frozen=True)
class Row:
    label: str
    values: tuple[Value, ...]
    month: str = ""
    """``2026-03`` for a row of a monthly series."""


@dataclass(frozen=True)
class Section:
    """One table of figures: a chart of ``kind`` draws its first ``charted`` columns."""

    ident: str
    title: str
    kind: Kind
    headers: tuple[str, ...]
    """The row labels' header, then one per value column."""
    rows: tuple[Row, ...]
    unit: str = ""
    charted: int | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    in_progress: bool = False
    """Its last row is the month still running."""


# ------------------------------------------------------------------------ figures
def sections(statistics: Mapping[str, Any]) -> list[Section]:
    """The figures of the GraphQL ``statistics`` object, section by section."""
    months = list(statistics.get("months") or [])
    return [
        _key_figures(statistics),
        _counts(
            "par-statut",
            "Dossiers par statut",
            ("Statut", "Dossiers"),
            statistics.get("byStatus"),
            STATUS_LABELS,
        ),
        _counts(
            "par-type",
            "Mesures accordées par type",
            ("Type de mesure", "Mesures"),
            statistics.get("byMeasureType"),
            MEASURE_LABELS,
        ),
        _monthly(
            "en-cours",
            "Mesures en cours en fin de mois, par type",
            months,
            _by_type_columns(months, "running"),
        ),
        _monthly(
            "activite",
            "Demandes et décisions par mois",
            months,
            {
                "Dossiers ouverts": "opened",
                "Demandes transmises": "submitted",
                "Mesures accordées": lambda month: _total(month["granted"]),
                "Demandes refusées": "rejected",
            },
        ),
        _monthly(
            "accordees",
            "Mesures accordées par mois et par type",
            months,
            _by_type_columns(months, "granted"),
        ),
        _monthly(
            "fins",
            "Fins de mesure par mois",
            months,
            {"Mesures terminées": "completed", "Mesures arrêtées": "stopped"},
        ),
        _monthly(
            "cadence",
            "Conformité à la cadence des visites, par mois",
            months,
            {
                "Semaines écoulées": "measuredWeeks",
                "Semaines conformes": "compliantWeeks",
                "Taux de conformité (%)": lambda month: _percent(
                    month["compliantWeeks"], month["measuredWeeks"]
                ),
            },
            charted=2,
            notes=(
                "Une semaine est comptée quand elle est écoulée, dans le mois de son lundi ; "
                "elle est conforme quand les visites faites atteignent la cadence de la mesure.",
            ),
        ),
        _monthly(
            "alertes",
            "Alertes de non-collaboration déclenchées par mois",
            months,
            {"Alertes déclenchées": "alertsRaised"},
        ),
        _figures(
            "issues",
            "Issue des mesures terminées ou arrêtées",
            "bars",
            ("Issue", "Mesures"),
            statistics,
            {
                "ménage toujours logé": "stillHoused",
                "ménage qui n'est plus logé": "notHoused",
                "rapport final attendu": "outcomeUnknown",
            },
            notes=("Selon le rapport final de la référente ou du référent.",),
        ),
        _counts(
            "motifs",
            "Mesures arrêtées par motif",
            ("Motif", "Mesures"),
            statistics.get("byStopReason"),
            STOP_REASON_LABELS,
        ),
    ]


AVERAGE_DAYS = {
    "averageDaysToSubmission": "Délai moyen de l'ouverture à la demande (jours)",
    "averageDaysToDecision": "Délai moyen de la demande à la décision (jours)",
    "averageDaysToStart": "Délai moyen de la décision au début de la mesure (jours)",
    "averageMeasureDays": "Durée moyenne des mesures terminées ou arrêtées (jours)",
}
"""The key figures that are averages of days, by the API's name: shown to a tenth."""


def _key_figures(statistics: Mapping[str, Any]) -> Section:
    def average(key: str) -> Figure:
        return lambda found: _rounded(found[key])

    def rate(found: Mapping[str, Any]) -> Value:
        value = found["cadenceComplianceRate"]
        return None if value is None else _rounded(value * 100)

    return _figures(
        "chiffres-cles",
        "Chiffres clés",
        "figures",
        ("Indicateur", "Valeur"),
        statistics,
        {
            "Dossiers": "cases",
            **{label: average(key) for key, label in AVERAGE_DAYS.items()},
            "Semaines de mesure écoulées": "measuredWeeks",
            "Semaines conformes à la cadence": "compliantWeeks",
            "Taux de conformité à la cadence (%)": rate,
            "Alertes de non-collaboration déclenchées": "alertsRaised",
        },
    )


def _figures(
    ident: str,
    title: str,
    kind: Kind,
    headers: tuple[str, str],
    statistics: Mapping[str, Any],
    figures: Mapping[str, Figure],
    *,
    notes: tuple[str, ...] = (),
) -> Section:
    """A row a figure of ``statistics``, by label."""
    rows = tuple(Row(label, (_figure(statistics, figure),)) for label, figure in figures.items())
    return Section(ident, title, kind, headers, rows, notes=notes)


def _monthly(
    ident: str,
    title: str,
    months: Sequence[Month],
    columns: Mapping[str, Figure],
    *,
    charted: int | None = None,
    notes: tuple[str, ...] = (),
) -> Section:
    """A row a month, a value a column (by header)."""
    return Section(
        ident,
        title,
        "lines",
        ("Mois", *columns),
        tuple(
            Row(
                month_label(month["month"]),
                tuple(_figure(month, figure) for figure in columns.values()),
                month=month["month"],
            )
            for month in months
        ),
        charted=charted,
        notes=notes,
    )


def _counts(
    ident: str,
    title: str,
    headers: tuple[str, str],
    counts: Sequence[Mapping[str, Any]] | None,
    names: Mapping[str, str],
) -> Section:
    """The bar chart of ``counts`` (``{key, count}`` items) by key, in the order of
    ``names`` and each under its name."""
    return Section(
        ident,
        title,
        "bars",
        headers,
        tuple(
            Row(names.get(item["key"], item["key"]), (item["count"],))
            for item in _ordered(counts, list(names))
        ),
    )


def _ordered(
    counts: Sequence[Mapping[str, Any]] | None, order: Sequence[str]
) -> list[Mapping[str, Any]]:
    """``counts`` (``{key, count}`` items, sorted by key by the API) in ``order``: statuses
    along the pathway, the simple measure before the reinforced one; unknown keys last."""
    rank = {key: index for index, key in enumerate(order)}
    return sorted(counts or [], key=lambda item: rank.get(item["key"], len(rank)))


def _figure(found: Mapping[str, Any], figure: Figure) -> Value:
    """The figure the API sent under its name, or computed from what it sent. A name the
    query asked for and the answer lacks is a bug: it raises, rather than show an empty
    cell that would read as "no figure"."""
    if isinstance(figure, str):
        value: Value = found[figure]
        return value
    return figure(found)


def _by_type_columns(months: Sequence[Month], key: str) -> dict[str, Figure]:
    """A column a measure type: the month's count of that type in ``key``."""
    types = (
        [item["key"] for item in _ordered(months[0][key], list(MEASURE_LABELS))]
        if months
        else list(MEASURE_LABELS)
    )

    def count_of(kind: str) -> Figure:
        return lambda month: _count(month[key], kind)

    return {_measure_label(kind).capitalize(): count_of(kind) for kind in types}


def _count(counts: Sequence[Mapping[str, Any]], key: str) -> int:
    return next((item["count"] for item in counts if item["key"] == key), 0)


def _total(counts: Sequence[Mapping[str, Any]]) -> int:
    return sum(item["count"] for item in counts)


def _percent(part: int, whole: int) -> float | None:
    return round(part / whole * 100, 1) if whole else None


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _measure_label(key: str) -> str:
    return MEASURE_LABELS.get(key, key)


def month_label(month: str, *, short: bool = False) -> str:
    """``2026-03`` as ``mars 2026`` (``short``: ``mars``, for a chart's axis)."""
    number = month.partition("-")[2]
    if short and number.isdigit() and 1 <= int(number) <= 12:
        return french.month_abbreviation(int(number))
    return french.month(month)


def _statistics_of(result: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """``result`` is the query's ``data`` (``{"statistics": …}``) or the object itself."""
    if "statistics" in result:
        statistics: Mapping[str, Any] | None = result["statistics"]
        return statistics
    return result or None


# --------------------------------------------------------------------------- page
def statistics_page_data(result: Mapping[str, Any], current_month: str = "") -> dict[str, Any]:
    """What ``statistiques.html`` shows: ``available`` (false when the viewer may not see
    statistics: the query gave ``null``), ``key_figures`` as ``(label, text)`` pairs and
    ``sections``, each with its ``ident``, ``title``, ``chart`` (SVG, or ``None``),
    ``table`` (the same figures as an HTML table) and ``notes``.

    ``current_month`` (``2026-12``, where the people are): that month is still running; its
    charts and tables say so rather than show its first days' figures as a fall."""
    statistics = _statistics_of(result)
    if statistics is None:
        return {"available": False, "key_figures": [], "sections": []}
    found = [_running(section, current_month) for section in sections(statistics)]
    key, charted = found[0], found[1:]
    return {
        "available": True,
        "key_figures": [(row.label, french.number(row.values[0])) for row in key.rows],
        "sections": [
            {
                "ident": section.ident,
                "title": section.title,
                "chart": chart_of(section),
                "table": data_table(
                    section.title,
                    section.headers,
                    [(row.label, *row.values) for row in section.rows],
                    ident=f"table-{section.ident}",
                ),
                "notes": list(section.notes),
            }
            for section in charted
        ],
    }


IN_PROGRESS = " (en cours)"


def _running(section: Section, current_month: str) -> Section:
    """``section`` with the row of ``current_month``, if it is the last, labelled as running."""
    rows = section.rows
    if not (current_month and rows and rows[-1].month == current_month):
        return section
    last = replace(rows[-1], label=rows[-1].label + IN_PROGRESS)
    return replace(section, rows=(*rows[:-1], last), in_progress=True)


def chart_of(section: Section) -> Markup | None:
    ident = f"graphique-{section.ident}"
    if section.kind == "bars":
        bars = [(row.label, float(row.values[0] or 0)) for row in section.rows]
        return bar_chart(ident, section.title, bars, unit=section.unit)
    if section.kind == "lines":
        names = section.headers[1:][: section.charted]
        series = [
            Series(name, [float(row.values[index] or 0) for row in section.rows])
            for index, name in enumerate(names)
        ]
        labels = [month_label(row.month, short=True) for row in section.rows]
        return line_chart(
            ident,
            section.title,
            labels,
            series,
            unit=section.unit,
            in_progress=section.in_progress,
        )
    return None


# ---------------------------------------------------------------------------- csv
def statistics_csv(result: Mapping[str, Any]) -> str:
    """The page's figures, one a line: ``rubrique;libellé;mois;indicateur;valeur``.

    Semicolons and decimal commas, as a French spreadsheet opens them; an unknown value is
    an empty cell. Prefixed with a byte-order mark so that spreadsheets read UTF-8. A viewer
    who may not see statistics gets the header alone."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    statistics = _statistics_of(result)
    for section in [] if statistics is None else sections(statistics):
        for row in section.rows:
            for header, value in zip(section.headers[1:], row.values, strict=True):
                cell = "" if value is None else french.number(value)
                writer.writerow((section.title, row.label, row.month, header, cell))
    return out.getvalue()
