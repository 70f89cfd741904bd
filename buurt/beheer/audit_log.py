"""The audit log page: who viewed or exported personal data, and who changed what (newest first)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_sqlalchemy.pagination import Pagination

from buurt.extensions import db
from buurt.models import AuditEntry, User


@dataclass(frozen=True)
class AuditPage:
    page: Pagination  # of AuditEntry, newest first; for the shared pager
    users: dict[int, User]  # the users of this page's entries, by id
    actions: list[str]  # every action in the log, for the filter


def audit_page(page: int = 1, action: str | None = None) -> AuditPage:
    """One page of the audit log, optionally of one action; a page past the end shows the last page."""
    query = db.select(AuditEntry)
    if action:
        query = query.where(AuditEntry.action == action)
    query = query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    size = current_app.config["AUDIT_PAGE_SIZE"]
    result = db.paginate(query, page=max(page, 1), per_page=size, error_out=False)
    if result.page > max(result.pages, 1):
        result = db.paginate(query, page=result.pages, per_page=size, error_out=False)
    user_ids = {e.user_id for e in result.items if e.user_id}
    users = {u.id: u for u in db.session.scalars(db.select(User).where(User.id.in_(user_ids)))}
    actions = list(db.session.scalars(db.select(AuditEntry.action).distinct().order_by(AuditEntry.action)))
    return AuditPage(result, users, actions)
