"""A group's settings: name, capacity, WhatsApp invite link and beheerders."""

from __future__ import annotations

import re

from buurt import audit
from buurt.extensions import db
from buurt.models import Group, Role, User

#: A WhatsApp group invite link, as WhatsApp gives it (the settings form and the CLI check it)
INVITE_LINK = re.compile(r"^https://chat\.whatsapp\.com/(invite/)?[A-Za-z0-9]{10,40}/?$")


def update_settings(
    group: Group, *, name: str, capacity: int, invite_link: str | None, beheerder_ids: list[int] | None
) -> None:
    """Save a group's settings; beheerder_ids None leaves the beheerders as they are."""
    group.name = name.strip()
    group.capacity = capacity
    group.invite_link = (invite_link or "").strip() or None
    changed = {"capacity": capacity}
    if beheerder_ids is not None:
        users = list(db.session.scalars(db.select(User).where(User.id.in_(beheerder_ids), User.role == Role.BEHEERDER)))
        group.beheerders = users
        changed["beheerders"] = len(users)
    audit.record("group.settings", "group", group.id, **changed)
    db.session.commit()
