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


@users_cli.command("create")
@click.argument("email")
@click.option(
    "--role", "role", required=True, type=click.Choice([r.value for r in Role]), help="Rol van het nieuwe account."
)
@click.option("--group", "group_names", multiple=True, help="Groep (naam of slug) voor een beheerder; mag vaker.")
@click.option("--name", default="", help="Naam zoals collega's die zien.")
@click.option(
    "--link",
    "reset_link",
    is_flag=True,
    help="Geen wachtwoord vragen maar een link printen waarmee de gebruiker er zelf een kiest.",
)
@_with_request
def create_command(email: str, role: str, group_names: tuple[str, ...], name: str, reset_link: bool):
    """Create an account; asks for a password, or prints a reset link with --link."""
    try:
        groups = services.find_groups(group_names)
    except services.AccountError as error:
        _fail(error.message)
    if groups and role != Role.BEHEERDER:
        _fail("Alleen een beheerder hoort bij groepen (--group); coördinatoren zien alle groepen al.")
    password = None
    if not reset_link:
        password = click.prompt("Wachtwoord", hide_input=True, confirmation_prompt="Nog een keer")
        try:
            services.check_password_strength(password)
        except services.AccountError as error:
            _fail(error.message)
    try:
        user = services.create_user(email, name, Role(role), password, groups)
    except services.AccountError as error:
        _fail(error.message)
    where = "".join(f", {g.name}" for g in groups)
    click.echo(f"Account {user.email} aangemaakt ({user.role.value}{where}).")
    if reset_link:
        click.echo("Stuur deze link naar de gebruiker; hiermee kiest hij of zij een wachtwoord (werkt één keer):")
        click.echo(services.reset_url(user))


@users_cli.command("list")
def list_command():
    """List every account with role, groups and state."""
    users = services.list_users()
    if not users:
        click.echo("Er zijn nog geen accounts. Maak er een met `flask buurt users create`.")
        return
    for user in users:
        state = "actief" if user.active else "UIT"
        groups = ", ".join(g.name for g in user.groups) or "-"
        last = user.last_login_at.strftime("%Y-%m-%d %H:%M") if user.last_login_at else "nooit"
        click.echo(f"{user.email:<40} {user.role.value:<12} {state:<7} laatst: {last:<16} groepen: {groups}")


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
