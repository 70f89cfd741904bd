"""`flask buurt geocode-pending`, `flask buurt digest` and `flask buurt purge`: thin shells over the services
(the purge's rules live in buurt.retention)."""

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
    if report.not_found or report.outside or report.choice_needed:
        click.echo(
            f"Niet gevonden: {report.not_found}; buiten de gebieden: {report.outside}; "
            f"huisnummer met meer adressen (toevoeging kiezen): {report.choice_needed} "
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
    """Bewaartermijnen: verwijder of anonimiseer wat langer bewaard is dan mag (elke regel uit buurt.retention)."""
    from flask import current_app

    from buurt.retention import RULES, run_purge
    from buurt.retention.schedule import purge_lock

    # One purge at a time on this machine: the web workers' purge threads take the same lock.
    with purge_lock(current_app, wait=True):
        report = run_purge(apply=apply)
    verb = "Verwijderd of geanonimiseerd" if apply else "Zou verwijderen of anonimiseren (proefdraai)"
    click.echo(f"{verb}: {report.total} in totaal.")
    for rule in RULES:
        days = rule.days()
        period = f"{days:g} dagen" + (f" ({rule.config_key})" if rule.config_key else "")
        click.echo(f"  {rule.key}: {report.counts[rule.key]}  [na {period}]")
    if not apply and report.total:
        click.echo("Draai opnieuw met --apply om dit echt te doen.")
