"""`flask buurt geocode-pending`, `flask buurt digest` and `flask buurt purge`: thin shells over the services."""

import click

from buurt.cli import buurt_cli


@buurt_cli.command("geocode-pending")
@click.option("--limit", type=int, default=None, help="Hoogstens zoveel aanmeldingen deze keer.")
def geocode_pending_command(limit):
    """Zoek de adressen op van aanmeldingen die bewaard zijn toen de adreszoeker onbereikbaar was."""
    from flask import current_app

    from buurt.residents.geocode_later import pending_lock
    from buurt.residents.signup import geocode_pending

    # One round at a time on this machine: the web workers' geocode-later threads take the same lock.
    with pending_lock(current_app, wait=True):
        report = geocode_pending(limit)
    click.echo(f"In een groep geplaatst: {report.placed}")
    if report.not_found or report.outside:
        click.echo(
            f"Niet gevonden: {report.not_found}; buiten de gebieden: {report.outside} "
            f"(gemarkeerd voor controle, aanmelding-id's: {', '.join(map(str, report.ids_for_review))})"
        )
    if report.still_unavailable:
        click.echo(f"De adreszoeker is nog niet bereikbaar; {report.still_unavailable} blijven bewaard voor later.")


@buurt_cli.command("digest")
def digest_command():
    """Mail de beheerders per groep hoeveel nieuwe aanmeldingen er zijn (alleen aantallen)."""
    from buurt.mail import mail_enabled
    from buurt.outbox import deliver_due
    from buurt.residents.digest import send_signup_digest

    if not mail_enabled():
        click.echo("Geen MAIL_SERVER ingesteld: er is niets verstuurd.")
        return
    lines = send_signup_digest()
    if not lines:
        click.echo("Geen nieuwe aanmeldingen.")
    for line in lines:
        state = "klaargezet" if line.queued else "NIET klaargezet (geen ontvanger)"
        click.echo(
            f"{line.group_name}: {line.pending} nieuw, {line.waitlist} wachtlijst, {line.needs_review} te controleren"
            f" -> {line.recipients} ontvanger(s), {state}"
        )
    if any(line.queued for line in lines):
        report = deliver_due()  # at once, rather than at the sender's next round
        click.echo(f"Verstuurd: {report.sent}; nog in de wachtrij (wordt opnieuw geprobeerd): {report.retrying}.")


@buurt_cli.command("purge")
@click.option(
    "--apply", is_flag=True, help="Echt verwijderen; zonder deze optie wordt alleen getoond wat weg zou gaan."
)
def purge_command(apply):
    """Bewaartermijn: verwijder aanmeldingen die nooit bevestigd of nooit toegevoegd zijn (RETENTION_DAYS)."""
    from flask import current_app

    from buurt.residents.retention import purge_stale_signups

    report = purge_stale_signups(apply=apply)
    days = current_app.config["RETENTION_DAYS"]
    verb = "Verwijderd" if apply else "Zou verwijderen (proefdraai)"
    click.echo(f"{verb}: {report.total} aanmelding(en) ouder dan {days} dagen.")
    for status, n in sorted(report.by_status.items()):
        click.echo(f"  {status}: {n}")
    if report.ids:
        click.echo(f"  aanmelding-id's: {', '.join(map(str, report.ids))}")
    if not apply and report.total:
        click.echo("Draai opnieuw met --apply om ze echt te verwijderen.")
    if apply:  # used one-time form tokens (buurt.once): no personal data, only needed for a resubmit
        from buurt.once import purge as purge_form_tokens

        click.echo(f"Gebruikte formuliertokens opgeruimd: {purge_form_tokens()}.")
