"""`flask buurt areas import|export|check`: thin shells over buurt.areas.imports and buurt.areas.files."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from buurt.areas import files, imports
from buurt.cli import buurt_cli
from buurt.geo.polygons import AreaValidationError

areas_cli = click.Group("areas", help="Gebieden van de groepen: importeren, exporteren, controleren.")
buurt_cli.add_command(areas_cli)


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes() if path != "-" else sys.stdin.buffer.read()
    except OSError as error:
        raise click.ClickException(f"Kan {path} niet lezen ({error.strerror}).") from None


def _neighbourhood(slug: str | None):
    """The neighbourhood of --buurt SLUG, or the default one (Rijnsoever) without it."""
    if slug is None:
        return None  # buurt.areas.files.required_neighbourhood: the default one
    from buurt.neighbourhoods import all_neighbourhoods, neighbourhood_by_slug

    hood = neighbourhood_by_slug(slug.strip().lower())
    if hood is None:
        known = ", ".join(h.slug for h in all_neighbourhoods()) or "geen"
        raise click.ClickException(f"Er is geen buurt '{slug}'. Bestaande buurten: {known}.")
    return hood


_BUURT_HELP = "Buurt (korte naam, zie `flask buurt neighbourhoods list`); standaard de standaardbuurt."


def _confirm(question: str) -> bool:
    """Ja/nee in Dutch (j, ja) or English (y, yes); anything else is no."""
    answer = click.prompt(question, default="n", show_default=False)
    return answer.strip().lower() in ("j", "ja", "y", "yes")


def _echo_problems(error: AreaValidationError) -> None:
    click.echo("Het bestand is niet gebruikt:", err=True)
    for problem in error.problems:
        click.echo(f"  - {problem.message}", err=True)


def _group_choices(values: tuple[str, ...]) -> dict[str, str]:
    """``--group AREAKEY=GROUPSLUG`` options as a mapping; a Dutch usage error when one has no '='."""
    chosen: dict[str, str] = {}
    for value in values:
        key, sep, slug = value.partition("=")
        if not sep or not key.strip() or not slug.strip():
            raise click.BadParameter(
                f"'{value}' is geen GEBIEDSSLEUTEL=GROEPSCODE (bijvoorbeeld BU05370101=rijnsoever-west, "
                f"of BU05370101={imports.NEW_GROUP} voor een nieuwe groep).",
                param_hint="--group",
            )
        chosen[key.strip()] = slug.strip()
    return chosen


def _plan_lines(plan: imports.ImportPlan) -> list[str]:
    """The plan as Dutch text lines (no personal data)."""
    lines = [
        f"Nieuwe indeling voor {plan.neighbourhood_name}: generatie {plan.next_number}, {len(plan.areas)} gebieden."
    ]
    lines.extend(f"  {note}" for note in plan.notes)
    lines.extend(f"  {fix}" for fix in plan.fixes)  # each starts with "Rechtgetrokken:"
    for area in plan.areas:
        lines.append(
            f"  - {area.name} [{area.key}] -> {plan.label(area.group.ref)} ({area.matched_by}), "
            f"{area.area_m2 / 10_000:.1f} ha"
        )
    if plan.skipped:
        n, hood = len(plan.skipped), plan.neighbourhood_name
        lines.append(f"  {n} gebied(en) liggen buiten {hood} en worden overgeslagen:")
        lines.append("    " + ", ".join(f"{s.name} [{s.key}]" for s in plan.skipped))
    for group in plan.dropped:
        lines.append(f"  Groep {plan.label(group.ref)} krijgt geen gebied meer en wordt uitgezet.")
    lines.append(
        f"Bewoners met een adres: {plan.residents_counted}; zonder coördinaten (blijven in hun groep): "
        f"{plan.without_coordinates}."
    )
    if plan.moves:
        lines.append(f"{len(plan.moves)} bewoner(s) gaan naar een andere groep:")
        lines.extend(f"  {a} -> {b}: {n}" for a, b, n in plan.move_counts())
    else:
        lines.append("Geen enkele bewoner verandert van groep.")
    lines.extend(f"Let op: {w}" for w in plan.warnings)
    return lines


@areas_cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--dry-run", is_flag=True, help="Alleen laten zien wat er zou veranderen.")
@click.option("--yes", "-y", is_flag=True, help="Niet om bevestiging vragen.")
@click.option("--note", default="", help="Toelichting bij deze indeling (bijvoorbeeld waarom).")
@click.option("--name-property", default=None, help="Eigenschap met de naam van elk gebied (bijv. buurtnaam).")
@click.option("--key-property", default=None, help="Eigenschap met de vaste code van elk gebied (bijv. buurtcode).")
@click.option(
    "--group",
    "group_choices",
    multiple=True,
    metavar="GEBIED=GROEP",
    help=f"Gebied (sleutel) bij een bestaande groep (code) zetten, of GEBIED={imports.NEW_GROUP}; herhaalbaar.",
)
@click.option("--confirm-moves", is_flag=True, help="Ja, ook als veel bewoners van groep wisselen.")
@click.option("--buurt", "buurt_slug", default=None, metavar="SLUG", help=_BUURT_HELP)
def import_command(
    file: str,
    dry_run: bool,
    yes: bool,
    note: str,
    name_property: str | None,
    key_property: str | None,
    group_choices: tuple[str, ...],
    confirm_moves: bool,
    buurt_slug: str | None,
):
    """Load new areas from a GeoJSON FILE (WGS84 or RD New) as a new boundary generation (the old one is kept)."""
    data = _read(file)
    max_bytes = 50_000_000  # the CLI is trusted; the browser upload keeps AREA_UPLOAD_MAX_BYTES
    source = Path(file).name if file != "-" else "stdin"
    choices = imports.ImportChoices(name_property, key_property, _group_choices(group_choices))
    hood = _neighbourhood(buurt_slug)
    try:
        plan = imports.plan_import(data, neighbourhood=hood, source=source, max_bytes=max_bytes, choices=choices)
    except AreaValidationError as error:
        _echo_problems(error)
        raise SystemExit(1) from None
    for line in _plan_lines(plan):
        click.echo(line)
    if plan.needs_move_confirmation:
        click.echo(f"Let op: {plan.move_problem().message}")
    if dry_run:
        click.echo("Proefdraai: er is niets veranderd.")
        return
    if plan.needs_move_confirmation and not confirm_moves:
        click.echo(
            "Niet opgeslagen: er is niets veranderd. Controleer de verhuizingen hierboven en draai opnieuw "
            "met --confirm-moves als dit de bedoeling is.",
            err=True,
        )
        raise SystemExit(1)
    if not yes and not _confirm("Deze indeling opslaan en bewoners verplaatsen? [j/N]"):
        click.echo("Afgebroken: er is niets veranderd.")
        return
    try:
        result = imports.apply_import(
            data,
            neighbourhood=hood,
            source=source,
            note=note,
            max_bytes=max_bytes,
            choices=choices,
            confirm_moves=confirm_moves,
        )
    except AreaValidationError as error:  # something changed between plan and confirm
        _echo_problems(error)
        raise SystemExit(1) from None
    click.echo(
        f"Generatie {result.number} opgeslagen en in gebruik: {result.moved} bewoner(s) verplaatst, "
        f"{result.tasks} WhatsApp-taak/taken voor beheerders, {result.new_groups} nieuwe groep(en)."
    )


@areas_cli.command("export")
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, allow_dash=True), default="-", help="Bestand (standaard: scherm)."
)
@click.option("--generation", "number", type=int, default=None, help="Een oudere generatie (nummer).")
@click.option("--buurt", "buurt_slug", default=None, metavar="SLUG", help=_BUURT_HELP)
def export_command(output: str, number: int | None, buurt_slug: str | None):
    """Write the current (or an older) generation as GeoJSON that `areas import` reads back."""
    from buurt.extensions import db
    from buurt.models import BoundaryGeneration

    hood = files.required_neighbourhood(_neighbourhood(buurt_slug))
    if number is None:
        collection = files.current_collection(hood)
    else:
        generation = db.session.scalar(db.select(BoundaryGeneration).filter_by(neighbourhood_id=hood.id, number=number))
        if generation is None:
            raise click.ClickException(f"Generatie {number} bestaat niet.")
        collection = files.generation_collection(generation)
    text = json.dumps(collection, ensure_ascii=False, indent=1)
    if output == "-":
        click.echo(text)
    else:
        Path(output).write_text(text + "\n", encoding="utf-8")
        click.echo(f"{len(collection['features'])} gebieden geschreven naar {output}.", err=True)


@areas_cli.command("check")
@click.argument("file", required=False, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--buurt", "buurt_slug", default=None, metavar="SLUG", help=_BUURT_HELP)
def check_command(file: str | None, buurt_slug: str | None):
    """Check a GeoJSON FILE (or, without FILE, the areas in use) for errors, overlaps and gaps."""
    hood = _neighbourhood(buurt_slug)
    if file is None:
        problems = files.check_current(hood)
        if problems:
            for problem in problems:
                click.echo(f"  - {problem.message}")
            raise SystemExit(1)
        click.echo("De huidige gebieden zijn in orde: geen overlap, geen gaten.")
        return
    try:
        plan = imports.plan_import(_read(file), neighbourhood=hood, source=Path(file).name, max_bytes=50_000_000)
    except AreaValidationError as error:
        _echo_problems(error)
        raise SystemExit(1) from None
    for line in _plan_lines(plan):
        click.echo(line)
    click.echo("Het bestand is bruikbaar (er is niets veranderd).")
