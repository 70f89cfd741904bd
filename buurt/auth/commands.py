"""`flask buurt users ...`: the first accounts, and keeping accounts tidy."""

from __future__ import annotations

import functools

import click
from flask import current_app

from buurt.auth import services
from buurt.cli import buurt_cli
from buurt.models import Role

users_cli = click.Group("users", help="Accounts van beheerders, coördinatoren, wijkagenten en admins.")
buurt_cli.add_command(users_cli)


def _fail(message: str) -> None:
    raise click.ClickException(message)


def _with_request(command):
    """Run in a request context, so Dutch messages (Flask-Babel) and URLs can be built from the CLI."""

    @functools.wraps(command)
    def wrapped(*args, **kwargs):
        with current_app.test_request_context():
            return command(*args, **kwargs)

    return wrapped


def _scope(role: str, buurt_slug: str | None, gemeente: bool):
    """The neighbourhood a new account belongs to (None: none, or the whole gemeente for a coordinator).

    A coordinator is one neighbourhood's (--buurt) or the gemeente's (--gemeente). Without either:
    with one neighbourhood on the site, that one (never wider than asked); with more, the command
    asks which, so nobody becomes gemeente-wide by accident.
    """
    from buurt.neighbourhoods import all_neighbourhoods, neighbourhood_by_slug

    if buurt_slug and gemeente:
        _fail("Kies --buurt SLUG (coördinator van één buurt) of --gemeente (van de hele gemeente), niet allebei.")
    if gemeente and role != Role.COORDINATOR:
        _fail("--gemeente is er alleen voor coördinatoren; wijkagenten en admins zien de hele gemeente al.")
    hood = None
    if buurt_slug:
        if role not in (Role.COORDINATOR, Role.BEHEERDER):
            _fail("--buurt is er voor een coördinator (van die buurt) of een beheerder (groepen van die buurt).")
        hood = neighbourhood_by_slug(buurt_slug.strip().lower())
        if hood is None:
            known = ", ".join(h.slug for h in all_neighbourhoods()) or "geen"
            _fail(f"Er is geen buurt '{buurt_slug}'. Bestaande buurten: {known}.")
    if role == Role.COORDINATOR and hood is None and not gemeente:
        hoods = all_neighbourhoods()
        if len(hoods) > 1:
            _fail(
                "Van welke buurt wordt dit een coördinator? Geef --buurt SLUG (bijvoorbeeld --buurt "
                f"{hoods[-1].slug}) of --gemeente voor een coördinator van alle buurten. Buurten: "
                f"{', '.join(h.slug for h in hoods)}."
            )
        hood = hoods[0] if hoods else None
    return hood


def _groups_in(hood, names: tuple[str, ...]):
    """Groups by slug or name, within ``hood`` when given; without it a name two neighbourhoods
    share ("BuurtAlarm Centrum") is refused with the question which neighbourhood is meant."""
    from buurt.extensions import db
    from buurt.models import Group

    candidates = list(hood.groups) if hood is not None else list(db.session.scalars(db.select(Group)))
    found = []
    for name in names:
        wanted = name.strip().casefold()
        matches = [g for g in candidates if wanted in (g.slug.casefold(), g.name.casefold())]
        if not matches:
            where = f" in {hood.name}" if hood is not None else ""
            _fail(f"Groep '{name}' bestaat niet{where}. Bestaande groepen: {', '.join(g.slug for g in candidates)}.")
        if len({g.neighbourhood_id for g in matches}) > 1:
            hoods = ", ".join(sorted(g.neighbourhood.slug for g in matches))
            _fail(f"Groep '{name}' bestaat in meer buurten ({hoods}); geef de buurt met --buurt SLUG.")
        found.append(matches[0])
    return found


@users_cli.command("create")
@click.argument("email")
@click.option(
    "--role", "role", required=True, type=click.Choice([r.value for r in Role]), help="Rol van het nieuwe account."
)
@click.option("--group", "group_names", multiple=True, help="Groep (naam of slug) voor een beheerder; mag vaker.")
@click.option(
    "--buurt",
    "buurt_slug",
    default=None,
    metavar="SLUG",
    help="Buurt (korte naam): een coördinator van alleen deze buurt, of de buurt van de groepen van een beheerder.",
)
@click.option("--gemeente", is_flag=True, help="Een coördinator van alle buurten van de gemeente.")
@click.option("--name", default="", help="Naam zoals collega's die zien.")
@click.option(
    "--link",
    "reset_link",
    is_flag=True,
    help="Geen wachtwoord vragen maar een link printen waarmee de gebruiker er zelf een kiest.",
)
@_with_request
def create_command(
    email: str,
    role: str,
    group_names: tuple[str, ...],
    buurt_slug: str | None,
    gemeente: bool,
    name: str,
    reset_link: bool,
):
    """Maak een account; vraagt een wachtwoord, of print met --link een link om er zelf een te kiezen."""
    role = Role(role)
    hood = _scope(role, buurt_slug, gemeente)
    groups = _groups_in(hood if role == Role.BEHEERDER else None, group_names)
    if groups and role != Role.BEHEERDER:
        _fail("Alleen een beheerder hoort bij groepen (--group); coördinatoren zien de groepen van hun buurt al.")
    password = None
    if not reset_link:
        password = click.prompt("Wachtwoord", hide_input=True, confirmation_prompt="Nog een keer")
        try:
            services.check_password_strength(password)
        except services.AccountError as error:
            _fail(error.message)
    scope_id = hood.id if role == Role.COORDINATOR and hood is not None else None
    try:
        user = services.create_user(email, name, role, password, groups, neighbourhood_id=scope_id)
    except services.AccountError as error:
        _fail(error.message)
    where = "".join(f", {g.name}" for g in groups)
    click.echo(f"Account {user.email} aangemaakt ({user.role.value}{where}); {_scope_text(user)}.")
    if reset_link:
        click.echo("Stuur deze link naar de gebruiker; hiermee kiest hij of zij een wachtwoord (werkt één keer):")
        click.echo(services.reset_url(user))


def _scope_text(user) -> str:
    """What the account sees: its neighbourhood, its groups' neighbourhoods, or the whole gemeente."""
    from buurt.extensions import db
    from buurt.models import Neighbourhood

    gemeente = current_app.config["GEMEENTE_NAME"]
    if user.role == Role.COORDINATOR:
        if user.neighbourhood_id is None:
            return f"coördinator van heel {gemeente}"
        hood = db.session.get(Neighbourhood, user.neighbourhood_id)
        return f"coördinator van {hood.name if hood else '?'}"
    if user.role == Role.BEHEERDER:
        hoods = sorted({g.neighbourhood.name for g in user.groups})
        return f"beheerder in {', '.join(hoods)}" if hoods else "beheerder zonder groepen"
    return f"ziet heel {gemeente}"


@users_cli.command("list")
def list_command():
    """Alle accounts met rol, bereik (buurt of gemeente), groepen en status."""
    users = services.list_users()
    if not users:
        click.echo("Er zijn nog geen accounts. Maak er een met `flask buurt users create`.")
        return
    for user in users:
        state = "actief" if user.active else "UIT"
        groups = ", ".join(f"{g.name} ({g.neighbourhood.slug})" for g in user.groups) or "-"
        last = user.last_login_at.strftime("%Y-%m-%d %H:%M") if user.last_login_at else "nooit"
        click.echo(
            f"{user.email:<40} {user.role.value:<12} {state:<7} laatst: {last:<16} bereik: {_scope_text(user)}; "
            f"groepen: {groups}"
        )


def _user_or_fail(email: str):
    user = services.user_by_email(email)
    if user is None:
        _fail(f"Geen account met e-mailadres {email}.")
    return user


@users_cli.command("disable")
@click.argument("email")
def disable_command(email: str):
    """Switch an account off: it can no longer log in and its sessions end."""
    user = _user_or_fail(email)
    services.set_active(user, False)
    click.echo(f"Account {user.email} staat uit.")


@users_cli.command("enable")
@click.argument("email")
def enable_command(email: str):
    """Switch an account back on."""
    user = _user_or_fail(email)
    services.set_active(user, True)
    click.echo(f"Account {user.email} staat weer aan.")


@users_cli.command("reset-link")
@click.argument("email")
def reset_link_command(email: str):
    """Print a one-time link with which the user chooses a new password."""
    user = _user_or_fail(email)
    click.echo(services.reset_url(user))
