"""Meldingen use cases: create a melding, mark it forwarded, close it, and mail the beheerders.

Where it happened is buurt.meldingen.location, which groups it goes to buurt.meldingen.routing,
the WhatsApp texts buurt.meldingen.texts, the timeline and the list buurt.meldingen.history, and
the result map buurt.meldingen.maps. These functions own the transaction and raise MeldingError
(buurt.meldingen.errors) with Dutch messages. Police texts are not residents' personal data, but
logs still carry ids and counts only.

The beheerders' mails are queued in the outbox (buurt.outbox) in the same transaction as the
melding or its closing, and sent after the commit: entering or closing a melding never waits on the
mail server, and every group's mail is either sent, waiting, or visibly not sent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import distinct, func, or_, update

from buurt import audit, outbox
from buurt.auth.permissions import melding_scope
from buurt.extensions import db
from buurt.mail import mail_enabled
from buurt.meldingen import texts
from buurt.meldingen.errors import MeldingClosed, MeldingError, MeldingStillOpen, UndoTooLate
from buurt.meldingen.location import Location
from buurt.meldingen.routing import route
from buurt.models import Group, Melding, MeldingCategory, MeldingResult, MeldingTarget, Neighbourhood, User, utcnow
from buurt.once import claim as claim_once
from buurt.once import record as record_once
from buurt.times import format_local, local_to_utc
from buurt.urls import external_url

log = logging.getLogger(__name__)

CATEGORY_LABELS = {
    MeldingCategory.WONINGINBRAAK: _l("Woninginbraak"),
    MeldingCategory.OVERVAL: _l("Overval"),
    MeldingCategory.VERDACHTE_SITUATIE: _l("Verdachte situatie"),
    MeldingCategory.VERMISSING: _l("Vermissing"),
    MeldingCategory.AANRIJDING: _l("Aanrijding met vluchtmisdrijf"),
    MeldingCategory.OTHER: _l("Anders"),
}
#: In the WhatsApp texts: always Dutch, whatever language the beheerder's page is in.
CATEGORY_TEXT = {
    MeldingCategory.WONINGINBRAAK: "Woninginbraak",
    MeldingCategory.OVERVAL: "Overval",
    MeldingCategory.VERDACHTE_SITUATIE: "Verdachte situatie",
    MeldingCategory.VERMISSING: "Vermissing",
    MeldingCategory.AANRIJDING: "Aanrijding met vluchtmisdrijf",
    MeldingCategory.OTHER: "Melding van de politie",
}
RESULT_LABELS = {
    MeldingResult.FOUND: _l("Gevonden"),
    MeldingResult.NOT_FOUND: _l("Niet gevonden"),
    MeldingResult.CANCELLED: _l("Ingetrokken"),
}


# --- creating, forwarding, closing ---------------------------------------------------------------

#: Purposes of the one-time form tokens (buurt.once) of entering and closing a melding.
MELDING_CREATE = "melding.create"
MELDING_CLOSE = "melding.close"


def create_melding(
    *,
    user: User | None,
    received_text: str,
    category: MeldingCategory | str,
    occurred_at: datetime,
    location: Location,
    radius_m: int,
    once: str | None = None,
) -> Melding:
    """Store a melding with its routing (targets and neighbours), log it, and queue the beheerders' mails.

    `once` is the form's one-time token: a second post of the same form raises
    buurt.once.AlreadySubmitted with {"melding_id": ...} of the first, and stores nothing.
    """
    routing = route(location.lat, location.lon, radius_m)
    cleaned = texts.clean_text(received_text)[: texts.MAX_TEXT_LENGTH]
    if not cleaned:
        raise MeldingError(_("Plak de tekst van de melding."))
    claim = claim_once(once, MELDING_CREATE)  # the first write: a resubmit stops here
    melding = Melding(
        received_text=cleaned,
        category=MeldingCategory(category),
        occurred_at=local_to_utc(occurred_at),
        lat=location.lat,
        lon=location.lon,
        location_label=location.label[:200],
        location_street=(location.street or "")[:200] or None,
        location_kind=location.kind,
        radius_m=int(radius_m),
        created_by_id=user.id if user is not None else None,
    )
    for routed, is_neighbour in [(g, False) for g in routing.targets] + [(g, True) for g in routing.neighbours]:
        melding.targets.append(
            MeldingTarget(group_id=routed.group_id, distance_m=round(routed.distance_m, 1), is_neighbour=is_neighbour)
        )
    db.session.add(melding)
    db.session.flush()
    record_once(claim, melding_id=melding.id)
    audit.record(
        "melding.create",
        "melding",
        melding.id,
        targets=len(routing.targets),
        neighbours=len(routing.neighbours),
        category=melding.category.value,
    )
    notify_beheerders(melding)
    db.session.commit()
    log.info("melding %s created: %d target group(s)", melding.id, len(routing.targets))
    return melding


def get_target(melding: Melding, group_id: int) -> MeldingTarget | None:
    return next((t for t in melding.targets if t.group_id == group_id), None)


def mark_forwarded(melding: Melding, target: MeldingTarget, user: User) -> bool:
    """Mark that the text went into the group; False when someone already did (nothing changes).

    A conditional UPDATE (not yet forwarded, melding still open): two beheerders clicking at once mark once.
    """
    closed = _("Deze melding is al afgemeld. Stuur de afmelding door in plaats van de melding.")
    if not melding.is_open:
        raise MeldingClosed(closed)
    if target.forwarded_at is not None:
        return False
    still_open = db.select(Melding.id).where(Melding.id == melding.id, Melding.closed_at.is_(None))
    changed = _set_once(
        target,
        MeldingTarget.forwarded_at.is_(None),
        MeldingTarget.melding_id.in_(still_open),
        forwarded_at=utcnow(),
        forwarded_by_id=user.id,
    )
    if not changed:
        db.session.refresh(melding)
        if not melding.is_open:
            raise MeldingClosed(closed)
        return False
    audit.record("melding.forward", "melding", melding.id, group_id=target.group_id, neighbour=target.is_neighbour)
    db.session.commit()
    return True


def _set_once(row: Melding | MeldingTarget, *conditions, **values) -> bool:
    """One conditional UPDATE of a loaded row; True when this call made the change.

    The row in the session gets the new values too ("fetch"); when someone else was first, the
    transaction is rolled back and the row reloaded, so the caller sees what they did.
    """
    model = type(row)
    result = db.session.execute(
        update(model)
        .where(model.id == row.id, *conditions)
        .values(**values)
        .execution_options(synchronize_session="fetch")
    )
    if result.rowcount == 1:
        return True
    db.session.rollback()
    db.session.refresh(row)
    return False


def close_melding(melding: Melding, user: User, result: MeldingResult | str, note: str | None) -> None:
    """Close (afmelden) with a result and an optional note; the closing texts follow from it.

    A conditional UPDATE: two closes at once (two beheerders, a double click) close once and queue
    the closing mails once; the second gets MeldingClosed.
    """
    if not melding.is_open:
        raise MeldingClosed(_("Deze melding is al afgemeld."))
    closed = _set_once(
        melding,
        Melding.closed_at.is_(None),
        closed_at=utcnow(),
        closed_by_id=user.id,
        result=MeldingResult(result),
        result_note=texts.clean_text(note)[:1000] or None,
    )
    if not closed:
        raise MeldingClosed(_("Deze melding is al afgemeld."))
    audit.record("melding.close", "melding", melding.id, result=melding.result.value)
    notify_beheerders(melding, closing=True)
    db.session.commit()


def mark_close_forwarded(melding: Melding, target: MeldingTarget, user: User) -> bool:
    """Mark that the closing text went into the group; False when someone already did (a conditional UPDATE)."""
    if melding.is_open:
        raise MeldingStillOpen(_("Meld de melding eerst af; daarna kunt u de afmelding doorsturen."))
    if target.close_forwarded_at is not None:
        return False
    if not _set_once(
        target,
        MeldingTarget.close_forwarded_at.is_(None),
        close_forwarded_at=utcnow(),
        close_forwarded_by_id=user.id,
    ):
        return False
    audit.record("melding.close_forward", "melding", melding.id, group_id=target.group_id)
    db.session.commit()
    return True


def undo_window() -> timedelta:
    """How long a "Doorgestuurd" (of the melding or of its closing) can be taken back."""
    return timedelta(minutes=float(current_app.config["MELDING_UNDO_MINUTES"]))


def undo_until(marked_at: datetime | None) -> datetime | None:
    """Until when a mark made at `marked_at` can be undone; None when it can no longer be (or there is none)."""
    if marked_at is None:
        return None
    until = marked_at + undo_window()
    return until if utcnow() < until else None


def undo_forwarded(melding: Melding, target: MeldingTarget, user: User, *, closing: bool = False) -> bool:
    """Take back a mistaken "Doorgestuurd" (closing=True: of the closing text) within the undo window.

    False when it was not marked (anymore); raises UndoTooLate after the window and MeldingClosed for
    the melding's own mark once the melding is closed (the closing texts went out on that state).
    A conditional UPDATE: it only clears a mark that is still inside the window.
    """
    at_column = MeldingTarget.close_forwarded_at if closing else MeldingTarget.forwarded_at
    marked_at = target.close_forwarded_at if closing else target.forwarded_at
    if marked_at is None:
        return False
    minutes = int(undo_window().total_seconds() // 60)
    too_late = ngettext(
        "Ongedaan maken kan alleen in de eerste minuut. Klopt het niet? Meld het aan de coördinator.",
        "Ongedaan maken kan alleen in de eerste %(num)d minuten. Klopt het niet? Meld het aan de coördinator.",
        minutes,
    )
    if undo_until(marked_at) is None:
        raise UndoTooLate(too_late)
    if not closing and not melding.is_open:
        raise MeldingClosed(_("Deze melding is al afgemeld; doorsturen is niet meer terug te draaien."))
    values = (
        {"close_forwarded_at": None, "close_forwarded_by_id": None}
        if closing
        else {"forwarded_at": None, "forwarded_by_id": None}
    )
    if not _set_once(target, at_column > utcnow() - undo_window(), **values):  # NULL > t is not true
        if (target.close_forwarded_at if closing else target.forwarded_at) is not None:
            raise UndoTooLate(too_late)
        return False
    audit.record(
        "melding.close_forward_undo" if closing else "melding.forward_undo",
        "melding",
        melding.id,
        group_id=target.group_id,
    )
    db.session.commit()
    return True


def undo_hint(marked_at: datetime | None) -> str | None:
    """'Vergist? U kunt dit tot 14:20 ongedaan maken.' while the mark can be undone; else None."""
    until = undo_until(marked_at)
    if until is None:
        return None
    return _("Vergist? U kunt dit tot %(time)s ongedaan maken.", time=format_local(until, "%H:%M"))


# --- groups of several neighbourhoods ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GroupLabels:
    """Names groups on pages, texts for beheerders and mails: with their neighbourhood as soon as
    groups of more than one neighbourhood exist (group names repeat: "BuurtAlarm Noord")."""

    several: bool

    def __call__(self, group: Group) -> str:
        if self.several and group.neighbourhood is not None:
            return f"{group.name} ({group.neighbourhood.name})"
        return group.name


def group_labels() -> GroupLabels:
    """The labels for this moment: one small query (do groups of several neighbourhoods exist?)."""
    hoods = db.session.scalar(db.select(func.count(distinct(Group.neighbourhood_id))))
    return GroupLabels(several=(hoods or 0) > 1)


@dataclass(frozen=True, slots=True)
class NeighbourhoodTargets:
    """A melding's groups in one neighbourhood, in routing order: for a heading per neighbourhood."""

    neighbourhood: Neighbourhood
    targets: list[MeldingTarget]


def per_neighbourhood(targets: Iterable[MeldingTarget]) -> list[NeighbourhoodTargets]:
    """Targets grouped by neighbourhood: the neighbourhood of the nearest group first, then by the
    neighbourhoods' own order; within a neighbourhood the routing order is kept."""
    groups: dict[int, NeighbourhoodTargets] = {}
    for t in targets:
        hood = t.group.neighbourhood
        groups.setdefault(hood.id, NeighbourhoodTargets(hood, [])).targets.append(t)
    first = next(iter(groups), None)
    return sorted(
        groups.values(),
        key=lambda g: (g.neighbourhood.id != first, g.neighbourhood.sort_order or 0, g.neighbourhood.name),
    )


# --- texts per group ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GroupText:
    """A ready-to-paste WhatsApp text for one group, with that group's forward state."""

    target: MeldingTarget
    text: str

    @property
    def group_id(self) -> int:
        return self.target.group_id

    @property
    def share(self) -> texts.ShareLinks:
        """wa.me / whatsapp:// links that open WhatsApp with this text filled in."""
        return texts.share_links(self.text)


def reached_targets(melding: Melding) -> list[MeldingTarget]:
    """The groups the melding is for: targets, plus neighbours it was forwarded to after all."""
    return [t for t in melding.targets if not t.is_neighbour or t.forwarded_at is not None]


def forward_texts(melding: Melding) -> list[GroupText]:
    """One text per target and neighbour group (neighbours last)."""
    return [GroupText(t, forward_text_for(melding, t)) for t in melding.targets]


def own_first(
    group_texts: list[GroupText], can_forward: Callable[[MeldingTarget], bool]
) -> tuple[list[GroupText], list[GroupText]]:
    """(the texts this person forwards: target groups they may forward to, in routing order; the rest).

    A beheerder sees their own groups' texts first; a coordinator (who may forward to every group)
    all target groups in routing order; neighbour groups always come after, "only if needed".
    """
    own = [g for g in group_texts if not g.target.is_neighbour and can_forward(g.target)]
    return own, [g for g in group_texts if g not in own]


def forward_text_for(melding: Melding, target: MeldingTarget) -> str:
    return texts.forward_text(
        category_label=CATEGORY_TEXT[melding.category],
        occurred_at=melding.occurred_at,
        location=melding.location_street,
        received_text=melding.received_text,
        lat=melding.lat,
        lon=melding.lon,
        distance_m=target.distance_m,
    )


def closing_texts(melding: Melding) -> list[GroupText]:
    """One closing text per group the melding was for; empty while it is open."""
    if melding.is_open or melding.result is None:
        return []
    return [GroupText(t, closing_text_for(melding)) for t in reached_targets(melding)]


def closing_text_for(melding: Melding) -> str:
    return texts.closing_text(
        category_label=CATEGORY_TEXT[melding.category],
        occurred_at=melding.occurred_at,
        location=melding.location_street,
        result=melding.result.value if melding.result else "",
        note=melding.result_note,
    )


def waiting_groups(melding: Melding) -> list[MeldingTarget]:
    """Target groups whose beheerders have not marked the melding as forwarded yet."""
    return [t for t in melding.targets if not t.is_neighbour and t.forwarded_at is None]


# --- mail ---------------------------------------------------------------------------------------


def notify_beheerders(melding: Melding, *, closing: bool = False) -> int:
    """Queue a mail to each target group's beheerders with the text for their group (the caller commits).

    One message per group, so the page can say which groups were mailed; returns how many were queued.
    """
    if not mail_enabled():
        return 0
    queued = 0
    category = CATEGORY_TEXT[melding.category]
    link = external_url("meldingen.detail", melding_id=melding.id)
    label = group_labels()
    for target in reached_targets(melding):
        recipients = sorted({u.email for u in target.group.beheerders if u.active})
        if not recipients:
            continue
        name = label(target.group)
        if closing:
            subject = f"Afmelding politiebericht voor {name}: {category}"
            text = closing_text_for(melding)
            intro = f"De melding is afgemeld. Plak deze afmelding in de groep {name}:"
        else:
            subject = f"Politiebericht voor {name}: {category}"
            text = forward_text_for(melding, target)
            intro = f"Er is een politiebericht voor uw groep {name}. Plak deze tekst in de groep:"
        # straight to this group's text, its "Deel via WhatsApp" and "Doorgestuurd" buttons
        anchor = f"#afmelding-{target.group_id}" if closing else f"#groep-{target.group_id}"
        body = (
            f"{intro}\n\n{text}\n\n"
            f"Markeer daarna op de site dat u het heeft doorgestuurd:\n{link}{anchor}\n\n"
            f"U krijgt deze e-mail als beheerder van de groep {name}."
        )
        kind = "melding_closed" if closing else "melding"
        if outbox.queue_mail(recipients, subject, body, kind=kind, melding_id=melding.id, group_id=target.group_id):
            queued += 1
    log.info("melding %s: %d group mail(s) queued%s", melding.id, queued, " (closing)" if closing else "")
    return queued


def mail_summary(melding: Melding, *, closing: bool = False) -> outbox.MailSummary:
    """Per group: was the beheerders' mail (about the melding, or its closing) sent, waiting, or given up."""
    return outbox.group_summary(kind="melding_closed" if closing else "melding", melding_id=melding.id)


# --- for the incident map -----------------------------------------------------------------------


def meldingen_for_map(
    since: datetime, until: datetime, group_ids: Iterable[int] | None = None, *, user: User | None = None
) -> list[dict]:
    """Meldingen as plain points for the wijkagent's incident map: lat, lon, category, occurred_at, id.

    `since`/`until` are aware datetimes (until exclusive); with `group_ids`, only meldingen that went to
    one of those groups (targets, or neighbours it was forwarded to); with `user`, only the meldingen
    that user may open (buurt.auth.permissions.MeldingScope, the meldingen list's rule). Ordered by time.
    """
    from buurt.meldingen.history import scope_clause  # history imports this module

    query = db.select(Melding).where(Melding.occurred_at >= since, Melding.occurred_at < until)
    if user is not None:
        query = query.where(scope_clause(melding_scope(user)))
    if group_ids is not None:
        ids = list(group_ids)
        query = query.where(
            Melding.id.in_(
                db.select(MeldingTarget.melding_id).where(
                    MeldingTarget.group_id.in_(ids),
                    or_(MeldingTarget.is_neighbour.is_(False), MeldingTarget.forwarded_at.is_not(None)),
                )
            )
        )
    return [
        {"lat": m.lat, "lon": m.lon, "category": m.category.value, "occurred_at": m.occurred_at, "id": m.id}
        for m in db.session.scalars(query.order_by(Melding.occurred_at, Melding.id))
    ]
