"""`flask buurt incidents export`: every visible incident with exact coordinates, to standard output (admins)."""

from __future__ import annotations

from datetime import date

import click

from buurt.cli import buurt_cli


@buurt_cli.group("incidents")
def incidents_cli():
    """Incidenten (exacte locaties; alleen voor beheerders van de server)."""


@incidents_cli.command("export")
@click.option("--format", "fmt", type=click.Choice(["geojson", "csv"]), default="geojson", show_default=True)
@click.option("--since", "since", default=None, metavar="JJJJ-MM-DD", help="Alleen incidenten vanaf deze datum.")
def export_command(fmt: str, since: str | None):
    """Schrijf alle zichtbare incidenten (exacte coördinaten) naar standaarduitvoer."""
    from buurt.incidents.exports import export_since

    day = None
    if since:
        try:
            day = date.fromisoformat(since)
        except ValueError as error:
            raise click.BadParameter(
                "Gebruik de vorm JJJJ-MM-DD, bijvoorbeeld 2026-01-31.", param_hint="--since"
            ) from error
    body, count = export_since(day, fmt)
    click.echo(body.lstrip("\ufeff") if fmt == "geojson" else body, nl=False)
    click.echo(f"{count} incidenten geëxporteerd.", err=True)
