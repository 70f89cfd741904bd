"""docs/privacy.md (the verwerkingsregister, AVG art. 30) is generated and cannot drift."""

from __future__ import annotations

import re
from pathlib import Path

from buurt.main.privacy_register import default_config, register_markdown
from buurt.retention import RULES

DOC = Path(__file__).resolve().parents[2] / "docs" / "privacy.md"


def test_docs_privacy_md_is_the_generated_register(runner):
    result = runner.invoke(args=["buurt", "privacy-register", "--defaults"])
    assert result.exit_code == 0, result.output
    assert DOC.read_text(encoding="utf-8") == result.output, (
        "docs/privacy.md is out of date: run `flask buurt privacy-register --defaults --output docs/privacy.md`"
    )


def test_the_register_has_every_category_rule_and_section(app):
    text = register_markdown(default_config())
    for heading in ("## Verwerkingsregister", "## Ontvangers", "## Bewaarregels", "## Datalek"):
        assert heading in text
    assert "72 uur" in text
    assert "inzage" in text
    for rule in RULES:
        assert f"| `{rule.key}` |" in text
    for title in ("Uw aanmelding", "Incidentmeldingen", "Logboek", "Opgezochte adressen", "Cookie"):
        assert f"| {title} |" in text
    header = "| Verwerking | Welke gegevens | Doel | Grondslag | Wie ziet het | Hoe lang | Waar opgeslagen |"
    assert header in text


def test_the_register_follows_the_config(app, runner, tmp_path):
    app.config["RETENTION_AUDIT_DAYS"] = 999
    out = tmp_path / "register.md"
    result = runner.invoke(args=["buurt", "privacy-register", "--output", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "| `audit` | `RETENTION_AUDIT_DAYS` | 999 dagen |" in text
    assert "999 dagen" not in DOC.read_text(encoding="utf-8")


def test_every_table_row_has_the_columns_of_its_header(app):
    """Cell texts are one line with their pipes escaped, so no row breaks its table."""
    columns = None
    for line in register_markdown(default_config()).splitlines():
        if not line.startswith("|"):
            columns = None
            continue
        assert line.endswith("|")
        count = len(re.findall(r"(?<!\\)\|", line))
        columns = columns or count
        assert count == columns, line
