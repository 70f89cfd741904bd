"""`flask buurt geocode-pending`, `flask buurt digest` and `flask buurt purge`: thin shells over the services
(the purge's rules live in buurt.retention).

Each may run from a timer on every host (docs/deploy.md): a job runs under its lock
(buurt.background.job_lock, one holder across every host on the database). When another process
or host holds it, `geocode-pending` and the `--if-due` runs print one line and exit 0; so do the
`--if-due` runs when the job already ran in its period (the purge: today after PURGE_HOUR; the
digest: today).
"""

import click

from buurt.cli import buurt_cli

BUSY = "al bezig op een andere machine/proces"


def _skip(job: str, why: str) -> None:
    click.echo(f"{job}: overgeslagen, {why}.")


@buurt_cli.command("geocode-pending")
@click.option("--limit", type=int, default=None, help="Hoogstens zoveel aanmeldingen deze keer.")
@click.option("--wait", is_flag=True, help="Wachten als een ander proces of een andere machine al bezig is.")
def geocode_pending_command(limit, wait):
    """Zoek de adressen op van aanmeldingen die bewaard zijn toen de adreszoeker onbereikbaar was."""
    from flask import current_app

    from buurt.residents.geocode_later import pending_lock
    from buurt.residents.signup import geocode_pending

    # One round at a time on every host: the web workers' geocode-later threads take the same lock.
    with pending_lock(current_app, wait=wait) as got_it:
        if not got_it:
            _skip("geocode-pending", BUSY)
            return
        report = geocode_pending(limit)
    click.echo(f"In een groep geplaatst: {report.placed}")
    if report.not_found or report.outside or report.choice_needed or report.elsewhere:
        click.echo(
            f"Niet gevonden: {report.not_found}; buiten de gebieden: {report.outside}; "
            f"in een buurt met een eigen aanmelding: {report.elsewhere}; "
            f"huisnummer met meer adressen (toevoeging kiezen): {report.choice_needed} "
            f"(gemarkeerd voor controle, aanmelding-id's: {', '.join(map(str, report.ids_for_review))})"
        )
    if report.still_unavailable:
        click.echo(f"De adreszoeker is nog niet bereikbaar; {report.still_unavailable} blijven bewaard voor later.")


@buurt_cli.command("digest")
@click.option(
    "--if-due",
    is_flag=True,
    help="Alleen als de samenvatting vandaag nog niet verstuurd is en niemand anders er nu mee bezig is (timers).",
)
def digest_command(if_due):
    """Mail de beheerders per groep hoeveel nieuwe aanmeldingen er zijn (alleen aantallen)."""
    from flask import current_app

    from buurt.mail import mail_enabled
    from buurt.models import utcnow
    from buurt.outbox import deliver_due
    from buurt.residents.digest import digest_due, digest_lock, last_digest, send_signup_digest

    if not mail_enabled():
        click.echo("Geen MAIL_SERVER ingesteld: er is niets verstuurd.")
        return
    # Without --if-due a second run waits for the first and sends what came in since.
    with digest_lock(current_app, wait=not if_due) as got_it:
        if not got_it:
            _skip("digest", BUSY)
            return
        if if_due and not digest_due(utcnow(), last_digest()):
            _skip("digest", "vandaag al verstuurd")
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
@click.option(
    "--if-due",
    is_flag=True,
    help="Met --apply: alleen als de opschoning vandaag nog niet gedaan is (vanaf PURGE_HOUR) en niemand anders"
    " er nu mee bezig is (timers).",
)
def purge_command(apply, if_due):
    """Bewaartermijnen: verwijder of anonimiseer wat langer bewaard is dan mag (elke regel uit buurt.retention)."""
    from flask import current_app

    from buurt.models import utcnow
    from buurt.retention import RULES, run_purge
    from buurt.retention.schedule import last_purge, purge_due, purge_lock

    if if_due and not apply:
        raise click.UsageError("--if-due hoort bij --apply (een proefdraai mag altijd).")
    # One purge at a time on every host: the web workers' purge threads take the same lock.
    with purge_lock(current_app, wait=not if_due) as got_it:
        if not got_it:
            _skip("purge", BUSY)
            return
        if if_due and not purge_due(utcnow(), int(current_app.config.get("PURGE_HOUR", 4)), last_purge()):
            _skip("purge", "vandaag al gedaan of nog niet aan de beurt (PURGE_HOUR)")
            return
        report = run_purge(apply=apply)
    verb = "Verwijderd of geanonimiseerd" if apply else "Zou verwijderen of anonimiseren (proefdraai)"
    click.echo(f"{verb}: {report.total} in totaal.")
    for rule in RULES:
        days = rule.days()
        period = f"{days:g} dagen" + (f" ({rule.config_key})" if rule.config_key else "")
        click.echo(f"  {rule.key}: {report.counts[rule.key]}  [na {period}]")
    if not apply and report.total:
        click.echo("Draai opnieuw met --apply om dit echt te doen.")
