"""Rate-limit counters kept in the app's own database, so every gunicorn worker counts together.

One row per limit key (e.g. ``LIMITER/<client address>/auth.login/10/15/minute``), written only
by buurt.ratelimit.DatabaseStorage in its own short transaction: one upsert per hit. Times are
seconds since the epoch (a float), the unit of the `limits` library's storage API, so no
conversion happens on the hot path. Expired rows are deleted by the storage now and then.
Keys never hold e-mail addresses: per-account keys carry a keyed hash (buurt.auth.throttle).
"""

from sqlalchemy import Float, String
from sqlalchemy.orm import Mapped, mapped_column

from buurt.extensions import db


class RateLimitCounter(db.Model):
    """Hits on one limit key in its current window; the window ends at ``expires_at``."""

    __tablename__ = "rate_limit_counter"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[float] = mapped_column(Float, index=True)  # epoch seconds; the sweep uses the index
