"""`flask buurt addresses import FILE` and `flask buurt which ...`."""

import sys
from pathlib import Path

import click

from buurt.cli import buurt_cli


@buurt_cli.group("addresses")
def addresses_cli():
    """Het adresregister (adressen met coördinaten)."""


@addresses_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", default=None, help="Bron-label (standaard: bag-csv of geojson).")
@click.option(
    "--encoding",
    default=None,
    help="Tekstcodering, bijvoorbeeld utf-8 of windows-1252 (standaard: herkend; UTF-8, anders windows-1252).",
)
@click.option(
    "--gemeente", "gemeenten", multiple=True, help="Alleen adressen in deze gemeente (herhaalbaar of met komma's)."
)
@click.option(
    "--woonplaats",
    "woonplaatsen",
    multiple=True,
    help="Alleen adressen in deze woonplaats (herhaalbaar of met komma's).",
)
@click.option(
    "--within-areas",
    is_flag=True,
    help="Alleen adressen binnen de huidige buurten, met 500 m marge.",
)
def import_command(
    path: Path,
    source: str | None,
    encoding: str | None,
    gemeenten: tuple[str, ...],
    woonplaatsen: tuple[str, ...],
    within_areas: bool,
):
    """Laad adressen uit een NLExtract-export (bagadres, bagadres-full, bagadresplus) of een GeoJSON.

    Alles of niets: gaat er iets mis, dan blijft het adresregister zoals het was.
    """
    from buurt.addresses.imports import areas_outline, import_file, sniff_file
    from buurt.exceptions import UserError
    from buurt.geo.register_io import RowFilter

    try:
        sniffed = sniff_file(path, encoding)
        within = areas_outline() if within_areas else None
        row_filter = RowFilter.make(gemeenten, woonplaatsen, within)
        total = 0 if sniffed.is_json else max(sniffed.lines - 1, 0)
        with click.progressbar(length=total, label="Adressen laden", file=sys.stderr) as bar:
            report = import_file(path, sniffed=sniffed, row_filter=row_filter, source=source, progress=bar.update)
    except UserError as exc:
        click.echo(f"Niet geladen: {exc.message}", err=True)
        sys.exit(1)
    click.echo(f"Bestand: {report.file_format}, tekstcodering {report.encoding}.")
    click.echo(
        f"Nieuw: {report.loaded}  bijgewerkt: {report.updated}  ongewijzigd: {report.unchanged}  "
        f"dubbel in bestand: {report.duplicates}  afgewezen: {report.rejected_count}  "
        f"overgeslagen: {sum(report.skipped.values())}"
    )
    for reason, count in sorted(report.skipped.items(), key=lambda kv: -kv[1]):
        click.echo(f"  {count:>6} × overgeslagen: {reason}")
    for reason, count in sorted(report.reasons.items(), key=lambda kv: -kv[1]):
        click.echo(f"  {count:>6} × {reason}")
    for rejected in report.rejected[:10]:
        click.echo(f"  regel {rejected.line_no}: {rejected.reason_nl}")


@buurt_cli.command("which")
@click.argument("address", required=False)
@click.option("--lat", type=float)
@click.option("--lon", type=float)
def which_command(address: str | None, lat: float | None, lon: float | None):
    """Welke groep dekt dit adres of punt? Bijvoorbeeld: which "2221 AB 12" of which --lat 52.21 --lon 4.42."""
    from buurt.api.lookup import lookup_point, lookup_text

    if address and (lat is not None or lon is not None):
        raise click.UsageError("Geef een adres óf --lat en --lon, niet allebei.")
    if address:
        payload, _status = lookup_text(address)
    elif lat is not None and lon is not None:
        payload, _status = lookup_point(lat, lon)
    else:
        raise click.UsageError('Geef een adres ("Voorbeeldlaan 12a" of "2221 AB 12") of --lat en --lon.')
    for key, value in payload.items():
        if key == "candidates":  # status "choose": the addresses at the number, one a line
            click.echo(f"{key} ({len(value)}):")
            for candidate in value:
                click.echo(f"  {candidate['house']:<10} {candidate['address']}")
        elif value is not None and not isinstance(value, dict):
            click.echo(f"{key}: {value}")
        elif isinstance(value, dict):
            click.echo(f"{key}: " + ", ".join(f"{k}={v}" for k, v in value.items() if v is not None))
    if payload.get("status") not in ("found",):
        sys.exit(1)
