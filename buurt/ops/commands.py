"""`flask buurt backup` and `flask buurt restore`: thin shells over buurt.ops.backup (docs/backup.md)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app

from buurt.background import instance_lock
from buurt.cli import buurt_cli
from buurt.extensions import db
from buurt.models import utcnow
from buurt.ops import backup, restore


@buurt_cli.command("backup")
@click.option(
    "--output", type=click.Path(file_okay=False, path_type=Path),
    help="Map voor het archief (standaard BACKUP_DIR, of instance/backups).",
)  # fmt: skip
@click.option("--if-due", is_flag=True, help="Voor een timer: sla over als er de laatste 20 uur al een backup is.")
def backup_command(output: Path | None, if_due: bool):
    """Maak een backup van de database en de foto's in één archief."""
    app = current_app._get_current_object()
    if if_due and not backup.backup_due(utcnow(), backup.last_backup()):
        click.echo("Overgeslagen: er is de laatste 20 uur al een backup gemaakt.")
        return
    passphrase = _passphrase(app.config.get("BACKUP_PASSPHRASE_FILE"))
    with instance_lock(app, backup.LOCK, wait=not if_due) as got_it:
        if not got_it:
            click.echo("Overgeslagen: een ander proces maakt nu een backup.")
            return
        if if_due and not backup.backup_due(utcnow(), backup.last_backup()):
            click.echo("Overgeslagen: er is de laatste 20 uur al een backup gemaakt.")
            return
        db.session.remove()
        try:
            result = backup.make_backup(app, output, passphrase=passphrase)
        except backup.BackupError as error:
            raise click.ClickException(error.message) from None
        backup.record_backup(result)
    click.echo(
        f"Backup gemaakt: {result.path} ({_size(result.size)}, {result.rows} rijen, {result.photos} foto's, "
        f"{result.seconds:.1f} s)."
    )
    if result.photos_missing:
        click.echo(f"{result.photos_missing} foto's zijn tijdens de backup gewist (bewaartermijn of verwijderd).")


@buurt_cli.command("restore")
@click.argument("archive", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Ook als deze site al gegevens heeft: alles wordt vervangen.")
@click.option(
    "--passphrase-file", type=click.Path(dir_okay=False, path_type=Path),
    help="Bestand met het wachtwoord van een versleuteld archief (standaard BACKUP_PASSPHRASE_FILE).",
)  # fmt: skip
def restore_command(archive: Path, force: bool, passphrase_file: Path | None):
    """Zet een backup terug (stop eerst de site: systemctl stop buurt)."""
    app = current_app._get_current_object()
    click.echo("Stop de site (op elke machine) voordat u een backup terugzet; start haar pas als dit klaar is.")
    passphrase = _passphrase(passphrase_file or app.config.get("BACKUP_PASSPHRASE_FILE"))
    try:
        result = restore.restore_backup(app, archive, force=force, passphrase=passphrase)
    except restore.HalfRestored as error:
        click.secho(error.message, err=True, fg="red", bold=True)
        raise SystemExit(2) from None
    except backup.BackupError as error:
        raise click.ClickException(error.message) from None
    click.echo(
        f"Teruggezet en gecontroleerd: {result.tables} tabellen met {result.rows} rijen en {result.photos} "
        "foto's komen overeen met de backup."
    )
    if result.photos_removed:
        click.echo(f"{result.photos_removed} foto's die niet in de backup zaten zijn verwijderd.")
    if result.backup_revision != result.code_revision:
        click.echo(
            "De backup komt van een andere versie van de database dan deze code verwacht: voer nu "
            "`flask --app app buurt init` uit (dat werkt de database bij) en start dan pas de site."
        )
    else:
        click.echo("U kunt de site weer starten.")


def _size(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size / 1000:.0f} kB"


def _passphrase(path) -> str | None:
    try:
        return backup.read_passphrase(path)
    except backup.BackupError as error:
        raise click.ClickException(error.message) from None
