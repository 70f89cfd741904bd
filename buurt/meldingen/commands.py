"""`flask buurt route`: which groups a melding at a place goes to, from the command line."""

from __future__ import annotations

import click

from buurt.cli import buurt_cli


@buurt_cli.command("route")
@click.argument("address", required=False)
@click.option("--lat", type=float, help="Breedtegraad (WGS84), bijvoorbeeld 52.2118.")
@click.option("--lon", type=float, help="Lengtegraad (WGS84), bijvoorbeeld 4.4235.")
@click.option("--radius", type=click.IntRange(1, 50_000), default=None, help="Straal in meters (standaard 500).")
@click.option("--neighbours/--no-neighbours", default=False, help="Toon ook de buurgroepen om te overwegen.")
def route_command(address, lat, lon, radius, neighbours):
    """Print the target groups for ADDRESS or --lat/--lon, one per line, nearest first."""
    from flask import current_app

    with current_app.test_request_context():  # Dutch messages through Flask-Babel need a request
        _route(address, lat, lon, radius, neighbours)


def _route(address, lat, lon, radius, neighbours):
    from buurt.meldingen.errors import LocationNotFound
    from buurt.meldingen.location import resolve_location
    from buurt.meldingen.routing import format_distance, no_target_message, route

    if address and (lat is not None or lon is not None):
        raise click.UsageError("Geef een adres óf --lat en --lon, niet allebei.")
    if not address and (lat is None or lon is None):
        raise click.UsageError('Geef een adres ("Fictieweg 12, Katwijk") of --lat en --lon.')
    try:
        location = resolve_location(address, lat, lon)
    except LocationNotFound as error:
        raise click.ClickException(error.message) from None
    routing = route(location.lat, location.lon, radius)
    several = len({g.neighbourhood_id for g in (*routing.groups, routing.nearest) if g is not None}) > 1

    def name(group) -> str:  # group names repeat across neighbourhoods: then the neighbourhood too
        return f"{group.group_name} ({group.neighbourhood_name})" if several else group.group_name

    for group in routing.targets:
        click.echo(f"{name(group)}\t{format_distance(group.distance_m)}")
    if not routing.targets:
        click.echo(no_target_message(routing))
    if neighbours:
        for group in routing.neighbours:
            click.echo(f"(buurgroep) {name(group)}\t{format_distance(group.distance_m)}", err=True)
