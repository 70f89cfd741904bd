"""Whom a resident's mail comes from: the neighbourhood of their group, and its contact address."""

from __future__ import annotations

from flask import current_app

from buurt.extensions import db
from buurt.models import Group


def mail_names(group_id: int | None) -> dict:
    """The template values a resident's mail signs with: ``hood_name`` ("Hoornes"), ``signature``
    ("BuurtWhatsApp Hoornes") and ``contact_email`` (that neighbourhood's, else the site's).

    The neighbourhood is the group's; without a group (an address still to be looked up) the page's
    (buurt.neighbourhoods.current_neighbourhood). One query either way, also for no group: the
    "Mijn gegevens" request renders a mail for an unknown contact too, and must take as long.
    """
    from buurt.neighbourhoods import current_neighbourhood
    from buurt.residents.lookup import neighbourhood_ref

    neighbourhood_id = db.session.scalar(
        db.select(Group.neighbourhood_id).where(Group.id == (group_id if group_id is not None else -1))
    )
    hood = neighbourhood_ref(neighbourhood_id)
    if hood is not None:
        name, contact = hood.name, hood.contact_email
    else:
        page = current_neighbourhood()
        name = page.name if page is not None else current_app.config["GEMEENTE_NAME"]
        contact = page.contact_email if page is not None else None
    return {
        "hood_name": name,
        "signature": f"BuurtWhatsApp {name}",
        "contact_email": contact or current_app.config["CONTACT_EMAIL"],
    }
