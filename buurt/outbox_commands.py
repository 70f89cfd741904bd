"""`flask buurt mail-send`: deliver the outbox from the command line (a timer, or instead of the thread)."""

import time

import click
from flask import current_app

from buurt.cli import buurt_cli


@buurt_cli.command("mail-send")
@click.option("--loop", is_flag=True, help="Blijf draaien en kijk elke MAIL_POLL_SECONDS opnieuw.")
@click.option("--limit", type=int, default=50, show_default=True, help="Hoogstens zoveel berichten per ronde.")
def mail_send_command(loop, limit):
    """Verstuur de e-mail die klaarstaat in de outbox (nieuw, of opnieuw na een fout)."""
    from buurt.extensions import db
    from buurt.mail import mail_enabled
    from buurt.outbox import backlog, deliver_due

    if not mail_enabled():
        click.echo("Geen MAIL_SERVER ingesteld: er is niets verstuurd.")
        return
    while True:
        report = deliver_due(limit=limit)
        counts = backlog()
        db.session.commit()
        if report.attempted or report.skipped or not loop:
            click.echo(
                f"Verstuurd: {report.sent}; later opnieuw: {report.retrying}; opgegeven: {report.gave_up}"
                f" (fouten: {', '.join(sorted(set(report.errors))) or 'geen'}). In de wachtrij: {counts['waiting']}"
                f" (waarvan {counts['retrying']} na een fout); opgegeven in totaal: {counts['given_up']}."
            )
        if not loop:
            return
        if report.attempted < limit:
            time.sleep(current_app.config.get("MAIL_POLL_SECONDS", 30))
