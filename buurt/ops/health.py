"""Liveness and readiness (helper C fills this in)."""

from __future__ import annotations

from dataclasses import dataclass, field


def liveness() -> dict:
    return {"ok": True, "service": "buurt"}


@dataclass
class Readiness:
    ready: bool
    checks: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        return {"ready": self.ready, "checks": self.checks}


def readiness(app) -> Readiness:
    return Readiness(ready=True)
