"""`flask buurt addresses import FILE` and `flask buurt which ...`."""

import json
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
def import_command(path: Path, source: str | None):
    """Laad adressen uit een NLExtract bagadres-CSV (;) of een GeoJSON met adrespunten."""
    from buurt.addresses.imports import import_records
    from buurt.geo.register_io import read_bagadres_csv, read_geojson_points

    is_geojson = path.suffix.lower() in (".geojson", ".json")
    total = _count_rows(path, is_geojson)
    if is_geojson:
        items = read_geojson_points(json.loads(path.read_text(encoding="utf-8")))
    else:
        handle = path.open(encoding="utf-8-sig", newline="")
        items = read_bagadres_csv(handle)
    with click.progressbar(length=total, label="Adressen laden", file=sys.stderr) as bar:
        report = import_records(items, source=source or ("geojson" if is_geojson else "bag-csv"), progress=bar.update)
    if not is_geojson:
        handle.close()
    click.echo(
        f"Nieuw: {report.loaded}  bijgewerkt: {report.updated}  ongewijzigd: {report.unchanged}  "
        f"dubbel in bestand: {report.duplicates}  afgewezen: {len(report.rejected)}"
    )
    for reason, count in sorted(report.reasons.items(), key=lambda kv: -kv[1]):
        click.echo(f"  {count:>6} × {reason}")
    for rejected in report.rejected[:10]:
        click.echo(f"  regel {rejected.line_no}: {rejected.reason_nl}")


def _count_rows(path: Path, is_geojson: bool) -> int:
    if is_geojson:
        return 0
    with path.open("rb") as f:
        return max(sum(1 for _ in f) - 1, 0)


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
        if value is not None and not isinstance(value, dict):
            click.echo(f"{key}: {value}")
        elif isinstance(value, dict):
            click.echo(f"{key}: " + ", ".join(f"{k}={v}" for k, v in value.items() if v is not None))
    if payload.get("status") not in ("found",):
        sys.exit(1)
