"""The audit log page: who viewed or exported personal data, and who changed what (newest first).

Gemeente-wide coordinators and admins read every row. A coordinator of one neighbourhood reads the
rows about that neighbourhood (its groups, their residents, tasks, incidents and meldingen, its
boundary generations and proposals) and their own actions (issue 18).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import and_, false, or_

from buurt.auth.permissions import coordinated_neighbourhood_ids
from buurt.extensions import db
from buurt.models import AuditEntry, BoundaryGeneration, Group, GroupTask, Incident, MeldingTarget, Resident, User


@dataclass(frozen=True)
class AuditPage:
    page: Pagination  # of AuditEntry, newest first; for the shared pager
    users: dict[int, User]  # the users of this page's entries, by id
    actions: list[str]  # every action in the rows this user may read, for the filter
    scoped: bool = False  # True: only the rows about the user's neighbourhood and their own


def _about(target_type: str, ids) -> object:
    return and_(AuditEntry.target_type == target_type, AuditEntry.target_id.in_(ids))


def visible_rows(user):
    """The WHERE clause of the rows ``user`` may read; None for all of them."""
    hoods = coordinated_neighbourhood_ids(user)
    if hoods is None:
        return None
    own = AuditEntry.user_id == user.id if getattr(user, "id", None) is not None else false()
    if not hoods:
        return own
    groups = db.select(Group.id).where(Group.neighbourhood_id.in_(hoods))
    return or_(
        own,
        _about("group", groups),
        _about("resident", db.select(Resident.id).where(Resident.group_id.in_(groups))),
        _about("group_task", db.select(GroupTask.id).where(GroupTask.group_id.in_(groups))),
        _about("incident", db.select(Incident.id).where(Incident.group_id.in_(groups))),
        _about("melding", db.select(MeldingTarget.melding_id).where(MeldingTarget.group_id.in_(groups))),
        and_(
            AuditEntry.target_type.in_(("boundary_generation", "area_proposal")),
            AuditEntry.target_id.in_(
                db.select(BoundaryGeneration.id).where(BoundaryGeneration.neighbourhood_id.in_(hoods))
            ),
        ),
    )


def audit_page(page: int = 1, action: str | None = None, *, user=None) -> AuditPage:
    """One page of the audit log (of the rows ``user`` may read; without a user: all), optionally of
    one action; a page past the end shows the last page."""
    where = visible_rows(user) if user is not None else None
    query = db.select(AuditEntry)
    actions_query = db.select(AuditEntry.action).distinct().order_by(AuditEntry.action)
    if where is not None:
        query = query.where(where)
        actions_query = actions_query.where(where)
    if action:
        query = query.where(AuditEntry.action == action)
    query = query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    size = current_app.config["AUDIT_PAGE_SIZE"]
    result = db.paginate(query, page=max(page, 1), per_page=size, error_out=False)
    if result.page > max(result.pages, 1):
        result = db.paginate(query, page=result.pages, per_page=size, error_out=False)
    user_ids = {e.user_id for e in result.items if e.user_id}
    users = {u.id: u for u in db.session.scalars(db.select(User).where(User.id.in_(user_ids)))}
    actions = list(db.session.scalars(actions_query))
    return AuditPage(result, users, actions, where is not None)
