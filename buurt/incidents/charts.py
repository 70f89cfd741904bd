"""Stacked bar charts as plain data: the geometry is computed here, the SVG is drawn by the Jinja macro
``bar_chart`` in templates/incidents/_charts.html (so every label is escaped by the template engine).

The chart is accessible (role="img" with <title> and <desc>); the same numbers stay in a table beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

PALETTE = ("#0b6e4f", "#1d4ed8", "#d97706", "#6941c6", "#b42318", "#0e7490", "#4d7c0f", "#be185d")

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 36, 8, 10, 34
MAX_X_LABELS = 12  # more months than this: label every second (third, ...) one


@dataclass(frozen=True, slots=True)
class Tick:
    """A horizontal grid line at `y` with its value on the axis."""

    y: float
    value: int


@dataclass(frozen=True, slots=True)
class Segment:
    """One coloured part of a bar: `value` of series `name` in column `column`."""

    x: float
    y: float
    width: float
    height: float
    colour: str
    column: str
    name: str
    value: int


@dataclass(frozen=True, slots=True)
class Column:
    """One x category (a month): its centre, its label (or None when skipped) and its total above the bar."""

    centre: float
    label: str | None
    total: int
    total_y: float


@dataclass(frozen=True, slots=True)
class BarChart:
    chart_id: str
    title: str
    desc: str
    width: int
    height: int
    left: int
    right: int
    label_y: int
    ticks: tuple[Tick, ...]
    segments: tuple[Segment, ...]
    columns: tuple[Column, ...]
    legend: tuple[tuple[str, str], ...]  # (name, colour)


def _nice_max(value: int) -> int:
    """Top of the y axis: four equal, round steps (1, 2, 5, 10, 20, 25, 50, ...) that reach the value."""
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000):
        if value <= step * 4:
            return step * 4
    return -(-value // 4) * 4


def stacked_bar(
    title: str,
    desc: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, str, Sequence[int]]],
    *,
    chart_id: str,
) -> BarChart:
    """A stacked bar per x category (e.g. month); series are (label, colour, values). Draw it with bar_chart."""
    n = max(len(categories), 1)
    totals = [sum(s[2][k] for s in series) for k in range(len(categories))]
    top = _nice_max(max(totals, default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / n
    bar = min(slot * 0.7, 60)
    ticks = tuple(Tick(TOP + plot_h - plot_h * tick / 4, round(top * tick / 4)) for tick in range(5))
    every = max(1, -(-n // MAX_X_LABELS))
    segments, columns = [], []
    for k, label in enumerate(categories):
        x = LEFT + slot * k + (slot - bar) / 2
        y = TOP + plot_h
        for name, colour, values in series:
            v = values[k]
            if not v:
                continue
            h = plot_h * v / top
            y -= h
            segments.append(Segment(x, y, bar, h, colour, label, name, v))
        columns.append(Column(x + bar / 2, label if k % every == 0 else None, totals[k], y - 3))
    return BarChart(
        chart_id=chart_id,
        title=title,
        desc=desc,
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right=RIGHT,
        label_y=HEIGHT - BOTTOM + 16,
        ticks=ticks,
        segments=tuple(segments),
        columns=tuple(columns),
        legend=tuple((name, colour) for name, colour, _values in series),
    )
