"""Accessible SVG charts rendered on the server: pure functions from figures to markup.

Every chart is an ``<svg role="img">`` named by its ``<title>`` and summarised by its
``<desc>``; every bar and point carries its value as text, and series are told apart by
their marker's shape, their line's dash and a legend in words, never by colour alone. Each
chart has a table alternative (``data_table``) for those who prefer figures to shapes.

The functions return ``Markup`` (safe for Jinja2): every text they receive is escaped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from aspe import french

PALETTE = ("#1d4e89", "#a23b00", "#2e6b30", "#6a2c70")
"""Dark colours, each above 4.5:1 against white; shapes and dashes repeat the difference."""
MARKERS = ("circle", "square", "triangle", "diamond")
DASHES = ("", "6 4", "2 3", "8 3 2 3")
TEXT = "#1a1a1a"
GRID = "#767676"
FONT = 'font-family="system-ui, sans-serif"'


@dataclass(frozen=True)
class Series:
    """One line of a ``line_chart``: its name (shown in the legend) and one value a label."""

    name: str
    values: Sequence[float]


def _coordinate(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _svg(
    ident: str,
    title: str,
    description: str,
    width: int,
    height: int,
    body: str,
    *,
    natural: bool = False,
) -> Markup:
    """The chart's markup: stretched to its container's width, or at its ``natural`` size
    in pixels (its letters then never grow with the page, nor shrink with a narrow one)."""
    ident = escape(ident)
    size = (
        f'width="{width}" height="{height}" class="graphique graphique-naturel"'
        if natural
        else 'width="100%" class="graphique"'
    )
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" {size} '
        f'viewBox="0 0 {width} {height}" preserveAspectRatio="xMinYMin meet" '
        f'aria-labelledby="{ident}-title {ident}-desc" {FONT}>'
        f'<title id="{ident}-title">{escape(title)}</title>'
        f'<desc id="{ident}-desc">{escape(description)}</desc>'
        f"{body}</svg>"
    )


def _empty(ident: str, title: str, width: int, message: str) -> Markup:
    body = (
        f'<text x="{width // 2}" y="34" text-anchor="middle" font-size="15" fill="{TEXT}">'
        f"{escape(message)}</text>"
    )
    return _svg(ident, title, message, width, 60, body)


# ------------------------------------------------------------------------------ bars
CHARACTER_WIDTH = 8.2
"""A generous width of one 14 px character of a system sans-serif, in pixels: labels are
measured with it so that none is ever cut."""
MIN_PLOT = 320


def _label_width(labels: Iterable[str]) -> int:
    """Room for the longest label at the left of the bars, and a margin."""
    return round(max((len(label) for label in labels), default=0) * CHARACTER_WIDTH) + 16


def bar_chart(
    ident: str,
    title: str,
    bars: Sequence[tuple[str, float]],
    *,
    unit: str = "",
    width: int = 640,
    empty: str = "Aucune donnée pour l'instant.",
) -> Markup:
    """Horizontal bars, one per ``(label, value)``: the label on the left, the bar's length
    proportional to its value (the largest spans the plot), the value written after it.

    ``ident`` makes the ids of the title and description unique in the page."""
    if not bars:
        return _empty(ident, title, width, empty)
    label_width, value_width, row, top = _label_width(label for label, _ in bars), 70, 30, 8
    width = max(width, label_width + value_width + MIN_PLOT)
    plot = width - label_width - value_width
    largest = max((value for _, value in bars), default=0) or 1
    suffix = f" {unit}" if unit else ""
    parts = []
    for index, (label, value) in enumerate(bars):
        y = top + index * row
        length = max(value, 0) / largest * plot
        parts.append(
            f'<g class="bar"><text x="{label_width - 8}" y="{y + 19}" text-anchor="end" '
            f'font-size="14" fill="{TEXT}">{escape(label)}</text>'
            f'<rect x="{label_width}" y="{y + 4}" width="{_coordinate(length)}" height="20" '
            f'fill="{PALETTE[0]}"><title>{escape(label)} : {french.number(value)}{escape(suffix)}'
            f"</title></rect>"
            f'<text x="{_coordinate(label_width + length + 6)}" y="{y + 19}" font-size="14" '
            f'fill="{TEXT}" class="value">{french.number(value)}{escape(suffix)}</text></g>'
        )
    axis = (
        f'<line x1="{label_width}" y1="{top}" x2="{label_width}" '
        f'y2="{top + len(bars) * row}" stroke="{GRID}" stroke-width="1"/>'
    )
    summary = "; ".join(f"{label} : {french.number(value)}{suffix}" for label, value in bars)
    height = top * 2 + len(bars) * row
    return _svg(ident, title, summary, width, height, axis + "".join(parts))


# ----------------------------------------------------------------------------- lines
def _marker(shape: str, x: float, y: float, colour: str) -> str:
    cx, cy = _coordinate(x), _coordinate(y)
    if shape == "circle":
        return f'<circle cx="{cx}" cy="{cy}" r="4.5" fill="{colour}"/>'
    if shape == "square":
        return (
            f'<rect x="{_coordinate(x - 4)}" y="{_coordinate(y - 4)}" width="8" height="8" '
            f'fill="{colour}"/>'
        )
    if shape == "triangle":
        points = f"{_coordinate(x)},{_coordinate(y - 5)} {_coordinate(x - 5)},"
        points += f"{_coordinate(y + 4)} {_coordinate(x + 5)},{_coordinate(y + 4)}"
        return f'<polygon points="{points}" fill="{colour}"/>'
    points = f"{_coordinate(x)},{_coordinate(y - 5)} {_coordinate(x + 5)},{_coordinate(y)} "
    points += f"{_coordinate(x)},{_coordinate(y + 5)} {_coordinate(x - 5)},{_coordinate(y)}"
    return f'<polygon points="{points}" fill="{colour}"/>'


def line_chart(
    ident: str,
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    unit: str = "",
    width: int = 720,
    empty: str = "Aucune donnée pour l'instant.",
    in_progress: bool = False,
) -> Markup:
    """Values over time: one line per series (at most four), a point per label (months,
    say), each point's value written above it, a legend naming each line with its marker
    and dash. The vertical scale starts at zero.

    ``in_progress``: the last label is a period still running (this month): its points are
    hollow, reached by a faint dotted segment, and its label says « (en cours) », so that
    what it counts so far never reads as a fall."""
    series = list(series)[: len(MARKERS)]
    if not labels or not series or all(not any(line.values) for line in series):
        return _empty(ident, title, width, empty)
    left, right, top, legend = 40, 20, 24 + 22 * len(series), 22
    height = top + 220 + 52
    plot_width, plot_height = width - left - right, 220
    largest = max(max(line.values, default=0) for line in series) or 1
    step = plot_width / max(len(labels) - 1, 1)

    def x_of(index: int) -> float:
        return left + index * step if len(labels) > 1 else left + plot_width / 2

    def y_of(value: float) -> float:
        return top + plot_height - max(value, 0) / largest * plot_height

    parts = [
        f'<line x1="{left}" y1="{top + plot_height}" x2="{width - right}" '
        f'y2="{top + plot_height}" stroke="{GRID}" stroke-width="1"/>',
        f'<text x="{left - 6}" y="{top + plot_height + 4}" text-anchor="end" font-size="12" '
        f'fill="{TEXT}">0</text>',
    ]
    running = len(labels) - 1 if in_progress and len(labels) > 1 else None
    for index, label in enumerate(labels):
        parts.append(
            f'<text x="{_coordinate(x_of(index))}" y="{top + plot_height + 20}" '
            f'text-anchor="middle" font-size="12" fill="{TEXT}">{escape(label)}</text>'
        )
    if running is not None:
        parts.append(
            f'<text x="{width - 2}" y="{top + plot_height + 34}" '
            f'text-anchor="end" font-size="11" fill="{TEXT}" class="en-cours">(en cours)</text>'
        )
    suffix = f" {unit}" if unit else ""
    for number, line in enumerate(series):
        colour, shape, dash = PALETTE[number], MARKERS[number], DASHES[number]
        points = [(x_of(i), y_of(value)) for i, value in enumerate(line.values[: len(labels)])]
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        settled = points if running is None else points[:running]
        path = " ".join(f"{_coordinate(x)},{_coordinate(y)}" for x, y in settled)
        group = [
            f'<g class="series" data-series="{escape(line.name)}">'
            f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"{dashed}/>'
        ]
        if running is not None and len(points) > running:
            (x1, y1), (x2, y2) = points[running - 1], points[running]
            group.append(
                f'<line class="en-cours" x1="{_coordinate(x1)}" y1="{_coordinate(y1)}" '
                f'x2="{_coordinate(x2)}" y2="{_coordinate(y2)}" stroke="{GRID}" '
                f'stroke-width="1.5" stroke-dasharray="1 4"/>'
            )
        for index, ((x, y), value) in enumerate(zip(points, line.values, strict=False)):
            if index == running:
                group.append(
                    f'<circle class="en-cours" cx="{_coordinate(x)}" cy="{_coordinate(y)}" '
                    f'r="4.5" fill="#ffffff" stroke="{colour}" stroke-width="2"/>'
                )
            else:
                group.append(_marker(shape, x, y, colour))
            offset = -9 - 12 * number  # lines that meet keep their values apart
            group.append(
                f'<text x="{_coordinate(x)}" y="{_coordinate(y + offset)}" text-anchor="middle" '
                f'font-size="11" fill="{colour}" class="value">{french.number(value)}</text>'
            )
        parts.append("".join(group) + "</g>")
        key_y = 14 + number * legend
        parts.append(
            f'<g class="legend"><line x1="{left}" y1="{key_y}" x2="{left + 30}" y2="{key_y}" '
            f'stroke="{colour}" stroke-width="2"{dashed}/>'
            f"{_marker(shape, left + 15, key_y, colour)}"
            f'<text x="{left + 38}" y="{key_y + 4}" font-size="13" fill="{TEXT}">'
            f"{escape(line.name)}</text></g>"
        )
    summary = ("La dernière période est en cours. " if running is not None else "") + " ; ".join(
        f"{line.name} : "
        + ", ".join(
            f"{label} {french.number(value)}{suffix}"
            for label, value in zip(labels, line.values, strict=False)
        )
        for line in series
    )
    return _svg(ident, title, summary, width, height, "".join(parts))


# --------------------------------------------------------------------------- cadence
CADENCE_COLUMN, CADENCE_GAP, CADENCE_TOP, CADENCE_PLOT = 76, 10, 8, 80
CADENCE_HEIGHT = CADENCE_TOP + CADENCE_PLOT + 80
"""The cadence chart's height in pixels, whatever the number of weeks: it is drawn at its
own size (never stretched to the page's width), a wider one scrolls sideways."""


def cadence_chart(
    ident: str,
    weeks: Sequence[Mapping[str, object]],
    *,
    title: str = "Visites par semaine et cadence requise",
    last: int = 12,
) -> Markup:
    """The small chart of a case page: the last ``last`` weeks of the measure (GraphQL
    ``weeklyCompliance`` items: ``isoWeek``, ``monday``, ``visits``, ``requiredVisits``,
    ``compliant``), a column per week as high as its visits, a dashed mark at the required
    count, and under each column the count, « conforme » (✓) or « insuffisant » (✗) in
    words, and « semaine du 1er déc. »."""
    shown = [week for week in weeks if week.get("isoWeek") is not None][-last:]
    if not shown:
        return _empty(ident, title, 360, "La mesure n'a pas encore commencé.")
    top, plot, column, gap = CADENCE_TOP, CADENCE_PLOT, CADENCE_COLUMN, CADENCE_GAP
    width = len(shown) * (column + gap) + gap
    largest = max(max(_int(w.get("visits")), _int(w.get("requiredVisits"))) for w in shown) or 1
    parts = []
    compliant_weeks = 0
    for index, week in enumerate(shown):
        visits, required = _int(week.get("visits")), _int(week.get("requiredVisits"))
        compliant = bool(week.get("compliant"))
        compliant_weeks += compliant
        x = gap + index * (column + gap)
        bar = visits / largest * plot
        mark_y = top + plot - required / largest * plot
        verdict = "conforme" if compliant else "insuffisant"
        monday = _week_start(week)
        middle = x + column / 2
        parts.append(
            f'<g class="week" data-compliant="{str(compliant).lower()}">'
            f"<title>Semaine du {escape(monday)} : {french.count(visits, 'visite')} sur "
            f"{required} requise{'s' if required >= 2 else ''}, {verdict}</title>"
            f'<rect x="{x}" y="{_coordinate(top + plot - bar)}" width="{column}" '
            f'height="{_coordinate(bar)}" fill="{PALETTE[0] if compliant else PALETTE[1]}"/>'
            f'<line x1="{x - 3}" y1="{_coordinate(mark_y)}" x2="{x + column + 3}" '
            f'y2="{_coordinate(mark_y)}" stroke="{TEXT}" stroke-width="2" stroke-dasharray="4 2"/>'
            f'<text x="{middle}" y="{top + plot + 18}" text-anchor="middle" '
            f'font-size="14" fill="{TEXT}">{visits}/{required} {"✓" if compliant else "✗"}</text>'
            f'<text x="{middle}" y="{top + plot + 36}" text-anchor="middle" '
            f'font-size="12" fill="{TEXT}">{verdict}</text>'
            f'<text x="{middle}" y="{top + plot + 54}" text-anchor="middle" '
            f'font-size="12" fill="{TEXT}">semaine du</text>'
            f'<text x="{middle}" y="{top + plot + 70}" text-anchor="middle" '
            f'font-size="12" fill="{TEXT}">{escape(monday)}</text></g>'
        )
    summary = (
        f"{french.count(compliant_weeks, 'semaine')} conforme{'s' if compliant_weeks >= 2 else ''}"
        f" sur {len(shown)}. "
        + " ; ".join(
            f"semaine du {_week_start(w)} : {_int(w.get('visits'))}/{_int(w.get('requiredVisits'))}"
            for w in shown
        )
    )
    return _svg(ident, title, summary, width, CADENCE_HEIGHT, "".join(parts), natural=True)


def _week_start(week: Mapping[str, object]) -> str:
    """« 1er déc. » for the week's Monday; its ISO name when the Monday is not given."""
    monday = week.get("monday")
    if isinstance(monday, str) and monday:
        return french.short_day(monday)
    return str(week.get("isoWeek"))


def _int(value: object) -> int:
    return value if isinstance(value, int) else 0


# ----------------------------------------------------------------------------- table
def data_table(
    caption: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    ident: str | None = None,
) -> Markup:
    """The figures of a chart as an HTML table: a caption, column headers, the first cell of
    each row its header (``scope="row"``); numbers written the French way."""
    head = "".join(f'<th scope="col">{escape(header)}</th>' for header in headers)
    body = []
    for row in rows:
        cells = [_cell(value) for value in row]
        first, rest = (cells[0], cells[1:]) if cells else ("", [])
        body.append(
            f'<tr><th scope="row">{first}</th>' + "".join(f"<td>{cell}</td>" for cell in rest)
        )
        body[-1] += "</tr>"
    id_attribute = f' id="{escape(ident)}"' if ident else ""
    return Markup(
        f'<table class="donnees"{id_attribute}><caption>{escape(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def _cell(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, int | float):
        return french.number(value)
    return str(escape(str(value)))
