"""/metrics (helper E fills this in)."""

from __future__ import annotations


def response(app, request):
    return "", 404
