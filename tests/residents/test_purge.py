"""The sign-up retention rules: `flask buurt purge` is a dry run unless --apply (every rule: tests/privacy)."""

from datetime import timedelta

from buurt.extensions import db
from buurt.models import AuditEntry, ResidentStatus, utcnow
from tests.residents.conftest import residents


def test_purge_dry_run_lists_and_apply_removes(app, runner, make_resident, group_by_key):
    g = group_by_key["rijnsoever-noord"]
    days = app.config["RETENTION_DAYS"]
    old = utcnow() - timedelta(days=days + 1)
    recent = utcnow() - timedelta(days=days - 1)
    gone = [
        make_resident(g, status=ResidentStatus.UNCONFIRMED, created_at=old),
        make_resident(None, status=ResidentStatus.TO_GEOCODE, created_at=old),
        make_resident(g, status=ResidentStatus.PENDING, created_at=old),
        make_resident(g, status=ResidentStatus.NOT_REACHABLE, created_at=old),
        make_resident(g, status=ResidentStatus.REMOVED, created_at=old, removed_at=old),
    ]
    kept = [
        make_resident(g, status=ResidentStatus.UNCONFIRMED, created_at=recent),
        make_resident(g, status=ResidentStatus.PENDING, created_at=old, email_confirmed_at=recent),
        make_resident(g, status=ResidentStatus.WAITLIST, created_at=old),  # waiting for room: kept
        make_resident(g, status=ResidentStatus.ADDED, created_at=old),
        make_resident(g, status=ResidentStatus.REMOVED, created_at=old, removed_at=recent),
        make_resident(g, status=ResidentStatus.PENDING, created_at=old, is_demo=True),
    ]
    gone_ids = sorted(r.id for r in gone)
    kept_ids = sorted(r.id for r in kept)

    dry = runner.invoke(args=["buurt", "purge"])
    assert dry.exit_code == 0, dry.output
    assert "(proefdraai): 5 in totaal" in dry.output
    assert "  signups: 4  [na 60 dagen (RETENTION_DAYS)]" in dry.output
    assert "  removed: 1  [na 60 dagen (RETENTION_DAYS)]" in dry.output
    assert "--apply" in dry.output
    assert len(residents()) == 11
    assert db.session.scalars(db.select(AuditEntry).filter_by(action="retention.purge")).all() == []

    done = runner.invoke(args=["buurt", "purge", "--apply"])
    assert done.exit_code == 0, done.output
    assert "geanonimiseerd: 5 in totaal" in done.output
    assert sorted(r.id for r in residents()) == kept_ids
    assert not set(gone_ids) & {r.id for r in residents()}
    entry = db.session.scalars(db.select(AuditEntry).filter_by(action="retention.purge")).one()
    assert entry.details["count"] == 5
    assert entry.details["n_signups"] == 4
    assert entry.details["n_removed"] == 1
    assert "Fictief" not in str(entry.details)

    again = runner.invoke(args=["buurt", "purge", "--apply"])
    assert "geanonimiseerd: 0 in totaal" in again.output


def test_retention_days_is_configurable(app, runner, make_resident, group_by_key):
    app.config["RETENTION_DAYS"] = 3
    make_resident(
        group_by_key["rijnsoever-noord"], status=ResidentStatus.UNCONFIRMED, created_at=utcnow() - timedelta(days=4)
    )
    assert "  signups: 1  [na 3 dagen (RETENTION_DAYS)]" in runner.invoke(args=["buurt", "purge"]).output
