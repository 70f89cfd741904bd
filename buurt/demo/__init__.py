"""`flask buurt demo`: a fictional Rijnsoever at realistic scale; `flask buurt demo --clear` removes it.

Everything made here is flagged ``is_demo`` and obviously fictional: streets such as
"Verzonnenlaan", people called "Demo ...", phone numbers from one small block. The data is
deterministic for a given seed, so screenshots and tests are reproducible.

Plain functions for tests and benchmarks:

* :func:`load_demo` clears earlier demo data and loads a fresh set (idempotent);
* :func:`clear_demo` removes exactly the demo records, never real ones;
* :func:`make_demo_incidents` gives rows for ``db.insert(Incident)``, e.g. 10,000 for a benchmark;
* :func:`demo_data_present` tells whether the site holds demo data.

This module is the command; the making is in ``fiction`` (names, texts, counts), ``addresses``
(streets and the register), ``people`` (accounts, residents, tasks), ``incidents`` (incidents and
meldingen), ``loading`` (:func:`load_demo`) and ``clearing`` (:func:`clear_demo`).
"""

from __future__ import annotations

import logging

import click
from sqlalchemy import exists, func, or_, select
from sqlalchemy.exc import SQLAlchemyError

from buurt.cli import buurt_cli
from buurt.demo.clearing import clear_demo
from buurt.demo.fiction import DEMO_PASSWORD, DEMO_PHONE_PREFIX, DEMO_SEED, MAX_SCALE, DemoError
from buurt.demo.incidents import make_demo_incidents
from buurt.demo.loading import DemoReport, load_demo
from buurt.extensions import db
from buurt.models import Address, Incident, Melding, Resident, User

log = logging.getLogger(__name__)

__all__ = [
    "DEMO_PASSWORD",
    "DEMO_PHONE_PREFIX",
    "DEMO_SEED",
    "DemoError",
    "DemoReport",
    "clear_demo",
    "demo_data_present",
    "load_demo",
    "make_demo_incidents",
]


def demo_data_present() -> bool:
    """True when any demo record exists (residents, addresses, accounts, incidents, meldingen); one query.

    The one test for "this site holds demo data": the demo command and the banner on every page use it.
    """
    models = (Resident, Address, User, Incident, Melding)
    return bool(db.session.scalar(select(or_(*(exists().where(m.is_demo.is_(True)) for m in models)))))


# ---------------------------------------------------------------------------------------------
# The command


def _db_reason(error: SQLAlchemyError) -> str:
    """The error's type and the driver error's type: never its message, which can quote key values."""
    orig = getattr(error, "orig", None)
    return type(error).__name__ + (f" ({type(orig).__module__}.{type(orig).__name__})" if orig is not None else "")


_CLEAR_FAILED = (
    "De demogegevens konden niet worden verwijderd (er is niets veranderd): andere gegevens verwijzen er "
    "nog naar. Details staan in het log."
)


@buurt_cli.command("demo")
@click.option("--clear", is_flag=True, help="Verwijder alle demogegevens (en alleen die).")
@click.option("--seed", type=int, default=DEMO_SEED, show_default=True, help="Zelfde seed, zelfde demo.")
@click.option(
    "--scale", type=click.FloatRange(0.01, MAX_SCALE), default=1.0, show_default=True,
    help="Vermenigvuldig alle aantallen (1: ~1.050 bewoners).",
)  # fmt: skip
@click.option(
    "--gemeente", is_flag=True,
    help="Heel Katwijk: ook de andere buurten (uit de CBS-buurten 2024), ~100 groepen, ~10.000 bewoners.",
)  # fmt: skip
@click.option("--yes", is_flag=True, help="Niet vragen, ook niet als er echte aanmeldingen zijn.")
def demo_command(clear: bool, seed: int, scale: float, gemeente: bool, yes: bool):
    """Vul de database met verzonnen demogegevens (Rijnsoever of heel Katwijk op ware grootte), of haal ze weg."""
    if clear:
        try:
            counts = clear_demo()
        except SQLAlchemyError as error:
            log.error("clearing the demo failed: %s", _db_reason(error))
            raise click.ClickException(_CLEAR_FAILED) from None
        kept = _kept_neighbourhoods()
        if not any(counts.values()) and not kept:
            click.echo("Er waren geen demogegevens.")
            return
        click.echo(
            f"Demogegevens verwijderd: {counts['residents']} bewoners, {counts['addresses']} adressen, "
            f"{counts['users']} accounts, {counts['incidents']} incidenten, {counts['meldingen']} meldingen, "
            f"{counts['tasks']} taken, {counts['audit']} auditregels, {counts['neighbourhoods']} buurten. "
            "Echte gegevens zijn niet aangeraakt."
        )
        if kept:
            click.echo(
                f"Bewaard omdat echte gegevens ernaar verwijzen (aanmeldingen, accounts of taken): {', '.join(kept)}. "
                "Verplaats of verwijder die gegevens en voer `flask --app app buurt demo --clear` opnieuw uit."
            )
        return
    real = db.session.scalar(select(func.count(Resident.id)).where(Resident.is_demo.is_(False))) or 0
    if real and not yes:
        click.confirm(
            f"Deze database bevat {real} echte aanmeldingen; de demo komt daartussen (en is met "
            "`flask buurt demo --clear` weer weg te halen). Doorgaan?",
            abort=True,
        )
    had_demo = demo_data_present()
    try:
        report = load_demo(seed, scale=scale, gemeente=gemeente)
    except DemoError as error:
        raise click.ClickException(error.message) from None
    except SQLAlchemyError as error:
        log.error("loading the demo failed: %s", _db_reason(error))
        raise click.ClickException(
            "Het laden van de demo is mislukt; er is niets half achtergebleven. Is de database bijgewerkt "
            "(`flask --app app buurt init`)? Details staan in het log."
        ) from None
    if had_demo:
        click.echo("Bestaande demogegevens zijn eerst verwijderd en daarna opnieuw geladen.")
    if gemeente:
        _echo_gemeente(report)
        return
    click.echo(
        f"Demo geladen in {report.seconds:.1f} s: {report.addresses} adressen, {report.residents} bewoners, "
        f"{report.incidents} incidenten, {report.meldingen} meldingen, {report.tasks} taken."
    )
    for summary in report.groups.values():
        click.echo(_group_line(summary))
    if report.by_status.get("to_geocode"):
        click.echo(f"  Nog te geocoderen (zonder groep): {report.by_status['to_geocode']}")
    click.echo(f"Inloggen kan met wachtwoord {report.password!r} als:")
    for email, what in report.logins:
        click.echo(f"  {email:<42} {what}")
    click.echo(_BANNER)


_BANNER = "De site toont een DEMO-balk zolang er demogegevens zijn. Weghalen: flask --app app buurt demo --clear"


def _group_line(summary) -> str:
    occupied = summary.added + summary.pending
    warning = "  (vol)" if occupied >= summary.capacity else ""
    return (
        f"  {summary.name}: {summary.addresses} adressen; {summary.added} leden, {summary.pending} wachtend, "
        f"{summary.waitlist} op de wachtlijst ({occupied}/{summary.capacity}){warning}; "
        f"{summary.beheerders} beheerder(s)"
    )


def _echo_gemeente(report: DemoReport) -> None:
    """The summary of `demo --gemeente`: per neighbourhood, the full groups, and the main logins."""
    hoods = report.neighbourhoods
    click.echo(
        f"Demo van heel Katwijk geladen in {report.seconds:.1f} s: {len(hoods)} buurten, {len(report.groups)} groepen, "
        f"{report.addresses} adressen, {report.residents} bewoners, {report.incidents} incidenten, "
        f"{report.meldingen} meldingen, {report.tasks} taken."
    )
    width = max(len(h.name) for h in hoods) if hoods else 0
    for hood in hoods:
        notes = []
        if hood.routing_only:
            notes.append("alleen voor meldingen; bewoners melden zich elders aan")
        if hood.note:
            notes.append(hood.note)
        click.echo(
            f"  {hood.name:<{width}}  {hood.groups:>3} groep(en), {hood.households:>5} huishoudens (CBS 2024), "
            f"{hood.addresses:>5} adressen, {hood.residents:>5} bewoners" + (f"  ({'; '.join(notes)})" if notes else "")
        )
    for name, why in report.skipped:
        click.echo(f"  Niet toegevoegd: {name} ({why})")
    full = [s for s in report.groups.values() if s.added + s.pending >= s.capacity]
    if full:
        click.echo(f"Volle groepen ({len(full)}):")
        for summary in full:
            click.echo(_group_line(summary))
    if report.by_status.get("to_geocode"):
        click.echo(f"  Nog te geocoderen (zonder groep): {report.by_status['to_geocode']}")
    click.echo(f"Inloggen kan met wachtwoord {report.password!r} als (onder meer):")
    shown = {email for email, what in report.logins if not what.startswith("beheerder")}
    for hood in hoods:  # one beheerder per neighbourhood
        shown |= {next((e for e, what in report.logins if what.endswith(f" in {hood.name}")), "")}
    for email, what in report.logins:
        if email in shown:
            click.echo(f"  {email:<48} {what}")
    others = len(report.logins) - len(shown & {email for email, _ in report.logins})
    click.echo(f"  (en {others} andere beheerders: demo.<buurt>.<groep>.<n>@example.org, Rijnsoever zonder <buurt>)")
    click.echo(_BANNER)


def _kept_neighbourhoods() -> list[str]:
    from buurt.demo.gemeente import demo_neighbourhood_ids
    from buurt.models import Neighbourhood

    ids = demo_neighbourhood_ids()
    return list(db.session.scalars(select(Neighbourhood.name).where(Neighbourhood.id.in_(ids)))) if ids else []
