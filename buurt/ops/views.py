"""/health (liveness), /health/ready (readiness) and /metrics: thin views over buurt.ops."""

from __future__ import annotations

from flask import Blueprint, current_app, request

from buurt.ops import health, metrics

bp = Blueprint("ops", __name__)


@bp.get("/health")
def health_live():
    """Liveness: this process answers requests (no database, no outside service)."""
    return health.liveness()


@bp.get("/health/ready")
def health_ready():
    """Readiness as JSON without secrets: 200 when this process can serve the site, else 503."""
    report = health.readiness(current_app)
    return report.as_json(), (200 if report.ready else 503)


@bp.get("/metrics")
def metrics_text():
    """Prometheus text format, behind METRICS_TOKEN (404 without one configured or given)."""
    return metrics.response(current_app, request)
