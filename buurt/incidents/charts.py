"""Server-rendered SVG bar charts: accessible (<title>, <desc>, role="img"), no JavaScript, escaped labels."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

PALETTE = ("#0b6e4f", "#1d4ed8", "#d97706", "#6941c6", "#b42318", "#0e7490", "#4d7c0f", "#be185d")

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 36, 8, 10, 34


def _nice_max(value: int) -> int:
    """Top of the y axis: four equal, round steps (1, 2, 5, 10, 20, 25, 50, ...) that reach the value."""
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000):
        if value <= step * 4:
            return step * 4
    return -(-value // 4) * 4


def stacked_bar_svg(
    title: str,
    desc: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, str, Sequence[int]]],
    *,
    chart_id: str,
) -> Markup:
    """A stacked bar per x category (e.g. month); series are (label, colour, values). Returns SVG markup."""
    n = max(len(categories), 1)
    totals = [sum(s[2][k] for s in series) for k in range(len(categories))]
    top = _nice_max(max(totals, default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / n
    bar = min(slot * 0.7, 60)
    parts = [
        f'<svg class="bar-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">{escape(desc)}</desc>',
    ]
    for tick in range(5):
        value = round(top * tick / 4)
        y = TOP + plot_h - plot_h * tick / 4
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d0d7de" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="#57606a">{value}</text>'
        )
    every = max(1, -(-n // 12))
    for k, label in enumerate(categories):
        x = LEFT + slot * k + (slot - bar) / 2
        y = TOP + plot_h
        for name, colour, values in series:
            v = values[k]
            if not v:
                continue
            h = plot_h * v / top
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{escape(colour)}">'
                f"<title>{escape(label)}: {escape(name)} {v}</title></rect>"
            )
        if k % every == 0:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" font-size="11" '
                f'fill="#1b1f23">{escape(label)}</text>'
            )
        if totals[k]:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle" font-size="10" '
                f'fill="#1b1f23">{totals[k]}</text>'
            )
    parts.append("</svg>")
    legend = "".join(
        f'<li><span class="swatch" style="background:{escape(colour)}" aria-hidden="true"></span>{escape(name)}</li>'
        for name, colour, _values in series
    )
    return Markup("".join(parts) + f'<ul class="chart-legend">{legend}</ul>')  # noqa: S704 - every value escaped
