"""Shared setup for the beheer benchmarks: a temporary app and database with fictional residents."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "bench password not secret"


def make_app(**overrides):
    """A temporary app on its own SQLite file; ``overrides`` add or change config."""
    from buurt import create_app

    tmp = Path(tempfile.mkdtemp(prefix="buurt-bench-"))
    (tmp / "instance").mkdir()
    return create_app(
        test_config={
            "TESTING": True,
            "SECRET_KEY": "bench-secret-key",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.sqlite'}",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "MAIL_SERVER": None,
            **overrides,
        },
        instance_path=str(tmp / "instance"),
    )


def fill(app, members_per_group: dict[int, int], pending_per_group: int = 10, seed: int = 1) -> None:
    """Fictional residents spread over each group's current area (inside the polygon)."""
    import shapely
    from shapely.geometry import shape

    from buurt.areas.services import current_areas
    from buurt.extensions import db
    from buurt.models import Resident, ResidentStatus, utcnow

    rng = np.random.default_rng(seed)
    now = utcnow()
    rows = []
    n = 0
    for info in current_areas().areas:
        geom = shape(info.geometry)
        minx, miny, maxx, maxy = geom.bounds
        wanted = members_per_group.get(info.group_id, 0) + pending_per_group
        lon = rng.uniform(minx, maxx, wanted * 4)
        lat = rng.uniform(miny, maxy, wanted * 4)
        inside = shapely.contains_xy(geom, lon, lat)
        lon, lat = lon[inside][:wanted], lat[inside][:wanted]
        for i, (a, b) in enumerate(zip(lat, lon, strict=True)):
            n += 1
            status = ResidentStatus.ADDED if i < members_per_group.get(info.group_id, 0) else ResidentStatus.PENDING
            rows.append(
                {
                    "name": f"Fictief Bewoner {n}",
                    "phone_e164": f"+3161{n:07d}",
                    "street": f"Fictieweg {n % 17}",
                    "house_number": n,
                    "postcode": "2221ZZ",
                    "lat": float(a),
                    "lon": float(b),
                    "group_id": info.group_id,
                    "area_id": info.id,
                    "status": status,
                    "created_at": now,
                    "added_at": now if status == ResidentStatus.ADDED else None,
                }
            )
    db.session.execute(db.insert(Resident), rows)
    db.session.commit()


def median_ms(timings: list[float]) -> float:
    return float(np.median(timings) * 1000)
