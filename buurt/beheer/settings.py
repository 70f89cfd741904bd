"""A group's settings: name, capacity, WhatsApp invite link and beheerders."""

from __future__ import annotations

from buurt import audit
from buurt.extensions import db
from buurt.models import Group, Role, User


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
