"""`flask buurt neighbourhoods add|list|show|set|buurten|groups|group`: thin shells over
buurt.neighbourhoods.services (helper A). Refusals print the service's Dutch reason and exit 1."""

from __future__ import annotations

import json
from pathlib import Path

import click

from buurt.cli import buurt_cli
from buurt.geo.area_problems import number_text

neighbourhoods_cli = click.Group("neighbourhoods", help="Buurten van de gemeente: toevoegen, tonen, wijzigen.")
buurt_cli.add_command(neighbourhoods_cli)


def _refused(message: str):
    click.echo(message, err=True)
    raise SystemExit(1)


def _hood_or_fail(slug: str):
    from buurt.neighbourhoods import all_neighbourhoods, neighbourhood_by_slug

    hood = neighbourhood_by_slug(slug.strip().lower())
    if hood is None:
        known = ", ".join(h.slug for h in all_neighbourhoods()) or "geen"
        _refused(f"Er is geen buurt '{slug}'. Bestaande buurten: {known}.")
    return hood


def _households(n: int | None) -> str:
    return "onbekend" if n is None else number_text(n)


def _page_url(hood) -> str:
    from buurt.urls import external_url

    return external_url("main.home", hood=hood.slug)


def _current_areas(hood):
    from buurt.areas.files import current_generation

    generation = current_generation(hood)
    return list(generation.areas) if generation is not None else []


def _group_lines(hood) -> list[str]:
    """One line per group: name, slug, households, surface, capacity, invite link yes/no."""
    areas = _current_areas(hood)
    lines = []
    for group in hood.groups:
        mine = [a for a in areas if a.group_id == group.id]
        known = [a.households for a in mine if a.households is not None]
        households = _households(sum(known) if known else None)
        hectare = sum(a.area_m2 or 0 for a in mine) / 10_000
        link = "uitnodigingslink: ja" if group.invite_link else "uitnodigingslink: nog niet"
        state = "" if group.is_active else ", UIT"
        lines.append(
            f"  - {group.name} [{group.slug}]: {households} huishoudens, {hectare:.1f} ha, "
            f"capaciteit {group.capacity}, {link}{state}"
        )
    return lines


@neighbourhoods_cli.command("add")
@click.argument("name")
@click.option(
    "--buurt",
    "buurten",
    multiple=True,
    metavar="CODE_OF_NAAM",
    help="CBS-buurt (code zoals BU05370103 of naam zoals Hoornes-West); mag vaker.",
)
@click.option(
    "--file",
    "path",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="GeoJSON-bestand met de grenzen (WGS84 of RD New); elk object een gebied.",
)
@click.option("--slug", default=None, help="Korte naam in de adresbalk (/slug/); standaard uit de naam.")
@click.option(
    "--groups",
    default="one",
    show_default=True,
    metavar="one|per-buurt|N",
    help="Eén groep, een groep per CBS-buurt (of per gebied uit het bestand), of N groepen met ongeveer "
    "evenveel huishoudens.",
)
@click.option("--capacity", type=int, default=None, help="Capaciteit per groep (standaard 256).")
@click.option("--contact", "contact_email", default=None, help="Contactadres (e-mail) van de buurt.")
@click.option("--routing-only", is_flag=True, help="De groepen worden elders beheerd: alleen meldingen doorsturen.")
@click.option("--signup-url", default=None, help="Eigen aanmeldlink van de buurt (bij --routing-only).")
def add_command(name, buurten, path, slug, groups, capacity, contact_email, routing_only, signup_url):
    """Voeg buurt NAAM toe uit CBS-buurten (--buurt, mag vaker) of uit een grensbestand (--file)."""
    from buurt.neighbourhoods import services

    boundary = None
    source = None
    if path:
        try:
            raw = Path(path).read_bytes() if path != "-" else click.get_binary_stream("stdin").read()
        except OSError as error:
            _refused(f"Kan {path} niet lezen ({error.strerror}).")
        try:
            boundary = json.loads(raw)
        except (ValueError, RecursionError):
            _refused(f"{path} is geen GeoJSON (geen geldige JSON). Exporteer het bestand opnieuw als GeoJSON.")
        source = Path(path).name if path != "-" else "stdin"
    spec = services.NeighbourhoodSpec(
        name=name,
        slug=slug,
        buurten=tuple(buurten),
        boundary=boundary,
        groups=groups,
        capacity=capacity,
        contact_email=contact_email,
        routing_only=routing_only,
        signup_url=signup_url,
        source=source,
    )
    try:
        hood = services.add_neighbourhood(spec)
    except services.NeighbourhoodRefused as refused:
        _refused(f"Niet toegevoegd: {refused.message}")
    groups_made = hood.groups
    click.echo(
        f"Buurt {hood.name} toegevoegd: {len(groups_made)} groep(en), {_households(hood.households)} huishoudens "
        "(CBS 2024)."
    )
    for line in _group_lines(hood):
        click.echo(line)
    click.echo(f"Pagina: {_page_url(hood)}")
    click.echo("Volgende stappen:")
    click.echo(
        f"  flask buurt users create EMAIL --role coordinator --buurt {hood.slug} --link   (coördinator van de buurt)"
    )
    click.echo(
        f"  flask buurt neighbourhoods group {hood.slug} {groups_made[0].slug} "
        "--invite-link https://chat.whatsapp.com/…   (per groep)"
    )


@neighbourhoods_cli.command("list")
def list_command():
    """Alle buurten: korte naam, naam, groepen, leden, huishoudens, eigen aanmelding of alleen doorsturen."""
    from buurt.neighbourhoods import all_neighbourhoods, is_default
    from buurt.neighbourhoods.services import neighbourhood_summary

    hoods = all_neighbourhoods()
    if not hoods:
        click.echo("Er zijn nog geen buurten. Draai eerst `flask buurt init`.")
        return
    click.echo(f"{'slug':<20} {'naam':<24} {'groepen':>7} {'leden':>6} {'huish.':>7}  soort")
    for hood in hoods:
        s = neighbourhood_summary(hood)
        kind = "alleen doorsturen" if hood.routing_only else "eigen aanmelding"
        if is_default(hood):
            kind += " (standaard)"
        click.echo(
            f"{hood.slug:<20} {hood.name[:24]:<24} {s['groups']:>7} {s['members']:>6} "
            f"{_households(s['households']):>7}  {kind}"
        )


@neighbourhoods_cli.command("show")
@click.argument("slug")
def show_command(slug):
    """Eén buurt: instellingen, CBS-buurten en groepen."""
    from buurt.neighbourhoods.services import cbs_catalogue, neighbourhood_summary

    hood = _hood_or_fail(slug)
    s = neighbourhood_summary(hood)
    names = {b.code: b.name for b in cbs_catalogue()}
    click.echo(f"{hood.name} [{hood.slug}], gemeente {hood.municipality}")
    click.echo(f"  pagina: {_page_url(hood)}")
    click.echo(f"  contact: {hood.contact_email or '-'}")
    if hood.routing_only:
        click.echo(f"  alleen doorsturen; aanmelden via: {hood.signup_url or hood.contact_email or '-'}")
    else:
        click.echo("  bewoners melden zich hier aan")
    if hood.buurtcodes:
        click.echo("  CBS-buurten: " + ", ".join(f"{names.get(c, c)} ({c})" for c in hood.buurtcodes))
    else:
        click.echo("  grenzen: uit een eigen bestand")
    click.echo(
        f"  volgorde: {hood.sort_order}; {s['groups']} groep(en), {s['members']} leden, "
        f"{_households(s['households'])} huishoudens"
    )
    for line in _group_lines(hood):
        click.echo(line)


@neighbourhoods_cli.command("set")
@click.argument("slug")
@click.option("--name", default=None, help="Nieuwe naam.")
@click.option("--contact", "contact_email", default=None, help="Contactadres (e-mail); '' haalt het weg.")
@click.option("--signup-url", default=None, help="Eigen aanmeldlink; '' haalt hem weg.")
@click.option(
    "--routing-only/--own-signup",
    "routing_only",
    default=None,
    help="Alleen doorsturen (groepen elders), of bewoners melden zich hier aan.",
)
@click.option("--order", "sort_order", type=int, default=None, help="Plaats in de lijst van buurten.")
def set_command(slug, name, contact_email, signup_url, routing_only, sort_order):
    """Wijzig naam, contactadres, aanmeldlink, soort of volgorde van een buurt."""
    from buurt.neighbourhoods import services

    hood = _hood_or_fail(slug)
    changes = {
        key: value
        for key, value in (
            ("name", name),
            ("contact_email", contact_email),
            ("signup_url", signup_url),
            ("routing_only", routing_only),
            ("sort_order", sort_order),
        )
        if value is not None
    }
    if not changes:
        _refused("Geef aan wat er verandert, bijvoorbeeld --name, --contact, --signup-url, --routing-only of --order.")
    try:
        services.update_neighbourhood(hood, **changes)
    except services.NeighbourhoodRefused as refused:
        _refused(f"Niet gewijzigd: {refused.message}")
    click.echo(f"Buurt {hood.name} [{hood.slug}] bijgewerkt: {', '.join(sorted(changes))}.")


@neighbourhoods_cli.command("buurten")
def buurten_command():
    """De CBS-buurten (2024) van de gemeente: code, naam, wijk, huishoudens en bij welke buurt ze horen."""
    from buurt.neighbourhoods.services import buurt_owners, cbs_catalogue

    owners = buurt_owners()
    click.echo(f"{'code':<11} {'buurt':<38} {'wijk':<26} {'huish.':>7}  buurt op de site")
    for b in cbs_catalogue():
        owner = owners.get(b.code)
        click.echo(
            f"{b.code:<11} {b.name[:38]:<38} {b.wijk[:26]:<26} {_households(b.households):>7}  "
            f"{owner.slug if owner else '-'}"
        )
    click.echo("Bron: CBS / Kadaster, Wijk- en buurtkaart en Kerncijfers 2024 (CC BY 4.0).")


@neighbourhoods_cli.command("groups")
@click.argument("slug")
def groups_command(slug):
    """De groepen van een buurt: huishoudens, capaciteit en of er een uitnodigingslink is."""
    hood = _hood_or_fail(slug)
    click.echo(f"Groepen van {hood.name}:")
    for line in _group_lines(hood):
        click.echo(line)


@neighbourhoods_cli.command("group")
@click.argument("slug")
@click.argument("group")
@click.option("--invite-link", default=None, help="WhatsApp-uitnodigingslink (https://chat.whatsapp.com/…); '' weg.")
@click.option("--capacity", type=int, default=None, help="Capaciteit (leden, 1 tot en met 1024).")
def group_command(slug, group, invite_link, capacity):
    """Zet de WhatsApp-uitnodigingslink en/of capaciteit van GROEP (code of naam) in buurt SLUG."""
    from buurt.neighbourhoods import services

    hood = _hood_or_fail(slug)
    wanted = group.strip().casefold()
    found = next((g for g in hood.groups if wanted in (g.slug.casefold(), g.name.casefold())), None)
    if found is None:
        _refused(f"{hood.name} heeft geen groep '{group}'. Groepen: {', '.join(g.slug for g in hood.groups)}.")
    if invite_link is None and capacity is None:
        _refused("Geef --invite-link en/of --capacity.")
    try:
        services.update_group(found, invite_link=invite_link, capacity=capacity)
    except services.NeighbourhoodRefused as refused:
        _refused(f"Niet gewijzigd: {refused.message}")
    click.echo(f"{found.name} ({hood.name}) bijgewerkt.")
    for line in _group_lines(hood):
        if f"[{found.slug}]" in line:
            click.echo(line)
