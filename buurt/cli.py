"""`flask buurt ...` commands: thin shells over the services.

Feature packages add their own commands to `buurt_cli` in their `commands.py`; `init_app` imports
each of them (a missing module fails loudly).
"""

import secrets
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

buurt_cli = AppGroup("buurt", help="BuurtWhatsApp Rijnsoever: beheer vanaf de commandoregel.")


def ensure_instance_config(instance_path: str) -> bool:
    """Write instance/config.py with a random SECRET_KEY if it does not exist; True if written."""
    path = Path(instance_path) / "config.py"
    if path.exists():
        return False
    from buurt.private_files import private_dir, write_private

    private_dir(path.parent)
    write_private(  # 0600 from the start: the key is never readable by others, not for a moment
        path,
        (
            "# Instance configuration of this deployment; not in git. See buurt/config.py for every setting.\n"
            f"SECRET_KEY = {secrets.token_urlsafe(48)!r}\n"
            "# MAIL_SERVER = 'smtp.example.org'\n"
            "# SQLALCHEMY_DATABASE_URI = 'postgresql+psycopg://buurt@127.0.0.1/buurt'\n"
        ).encode(),
    )
    return True


@buurt_cli.command("init")
def init_command():
    """Install or upgrade: config, migrations, permissions, Rijnsoever if empty; then check readiness."""
    import flask_migrate
    from sqlalchemy.exc import SQLAlchemyError

    from buurt import photostore, private_files
    from buurt.areas.services import seed_default_neighbourhood
    from buurt.ops import health

    try:
        if ensure_instance_config(current_app.instance_path):
            click.echo(f"Nieuwe geheime sleutel geschreven naar {current_app.instance_path}/config.py")
    except OSError as error:  # a read-only instance folder: the checks below say what else fails
        click.echo(f"{current_app.instance_path}/config.py schrijven is mislukt ({type(error).__name__}).", err=True)
    try:
        flask_migrate.upgrade()
        hood = seed_default_neighbourhood()
    except SQLAlchemyError as error:  # the class only: a driver's text may quote the connection string
        click.echo(f"De database bijwerken is mislukt ({type(error).__name__}).", err=True)
        hood = None
    else:
        if hood is not None:
            click.echo(f"Buurt {hood.name} aangemaakt met {len(hood.groups)} groepen.")
        else:
            click.echo("Database is bijgewerkt; bestaande gegevens zijn behouden.")
    try:
        # the instance folder, database and photos hold residents' data: the site's user only
        private_files.tighten(
            current_app.instance_path,
            current_app.config["SQLALCHEMY_DATABASE_URI"],
            photo_folder=photostore.local_folder(current_app),
        )
    except (OSError, ValueError) as error:
        click.echo(f"Rechten aanscherpen is mislukt ({type(error).__name__}).", err=True)
    report = health.probe(current_app, health.REQUIRED)
    echo_report(report)
    if not report.ready:
        click.echo(
            "NIET KLAAR: de site kan zo geen bezoekers bedienen. Los de FOUT hierboven op en voer "
            "`flask --app app buurt init` opnieuw uit (zie docs/upgrade.md).",
            err=True,
        )
        raise SystemExit(1)
    click.echo("Klaar: de site kan bezoekers bedienen.")


#: how `flask buurt init` names each readiness check
CHECK_LABELS = {
    "database": "database (lezen en schrijven)",
    "migrations": "migraties",
    "photo_store": "foto-opslag",
    "instance": "instance-map",
    "ratelimit": "teller van de rate limits",
    "mail": "mailserver",
    "geocoder_pdok": "geocoder PDOK",
    "geocoder_nominatim": "geocoder Nominatim",
}


def echo_report(report) -> None:
    """The readiness checks, one Dutch line each."""
    click.echo("Controle:")
    for name, result in report.checks.items():
        mark = "ok  " if result["ok"] else ("FOUT" if result["required"] else "let op")
        label = CHECK_LABELS.get(name, name)
        click.echo(f"  [{mark}] {label}: {result['detail']} ({result['ms']:.0f} ms)")


@buurt_cli.command("ready")
def ready_command():
    """Readiness as JSON, as /health/ready answers it (for scripts); exit code 1 when not ready."""
    import json

    from buurt.ops import health

    report = health.probe(current_app)
    click.echo(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
    raise SystemExit(0 if report.ready else 1)


def init_app(app) -> None:
    """Add `flask buurt ...` with every feature's commands."""
    # Imported for their side effect: each module adds its commands to buurt_cli.
    import buurt.addresses.commands
    import buurt.areas.commands
    import buurt.auth.commands
    import buurt.demo
    import buurt.incidents.commands
    import buurt.main.commands
    import buurt.meldingen.commands
    import buurt.neighbourhoods.commands
    import buurt.ops.commands
    import buurt.outbox_commands
    import buurt.residents.commands  # noqa: F401 (ruff sees only the last rebinding of `buurt` as unused)

    app.cli.add_command(buurt_cli)
