"""The bar chart: geometry as plain data in Python, drawn by the Jinja macro with every label escaped."""

from __future__ import annotations

from flask import render_template_string

from buurt.incidents.charts import HEIGHT, stacked_bar

MACRO = '{% from "incidents/_charts.html" import bar_chart %}{{ bar_chart(chart) }}'


def draw(app, chart) -> str:
    with app.test_request_context():
        return render_template_string(MACRO, chart=chart)


def test_labels_with_markup_or_quotes_are_escaped(app):
    evil = '<script>alert("x")</script>'
    chart = stacked_bar(
        'Titel "met" <b>',
        "Uitleg & <i>meer</i>",
        ["jan 2026", "feb 2026"],
        [(evil, "#000000", [1, 2]), ("Gebied 'O'", "#ffffff", [0, 3])],
        chart_id="c",
    )
    html = draw(app, chart)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "Gebied &#39;O&#39;" in html
    assert "Titel &#34;met&#34; &lt;b&gt;" in html
    assert "Uitleg &amp; &lt;i&gt;meer&lt;/i&gt;" in html
    assert "<i>" not in html
    assert "<b>" not in html


def test_chart_keeps_its_accessible_text_and_numbers(app):
    chart = stacked_bar(
        "Per maand", "Staafdiagram", ["jan 2026", "feb 2026"], [("Brand", "#b42318", [1, 3])], chart_id="x"
    )
    html = draw(app, chart)
    assert '<svg class="bar-chart"' in html
    assert 'role="img"' in html
    assert 'aria-labelledby="x-t x-d"' in html
    assert '<title id="x-t">Per maand</title>' in html
    assert '<desc id="x-d">Staafdiagram</desc>' in html
    assert "<title>feb 2026: Brand 3</title>" in html
    assert [c.total for c in chart.columns] == [1, 3]
    assert [t.value for t in chart.ticks] == [0, 1, 2, 3, 4]
    tallest = max(chart.segments, key=lambda s: s.height)
    assert tallest.value == 3
    assert tallest.y + tallest.height <= HEIGHT


def test_many_months_label_only_some_columns(app):
    months = [f"m{k}" for k in range(30)]
    chart = stacked_bar("t", "d", months, [("Brand", "#b42318", [1] * 30)], chart_id="y")
    labelled = [c.label for c in chart.columns if c.label is not None]
    assert labelled == months[::3]
    assert draw(app, chart).count('font-size="11" fill="#1b1f23"') == 10
