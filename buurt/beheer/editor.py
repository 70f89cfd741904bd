"""The map editor's pages (issue 17, point 1): the editor page, its areas as GeoJSON, an edit posted.

(Groundwork: the routes in buurt.beheer.views call these; not built yet.)
"""

from __future__ import annotations

from flask import jsonify, render_template


def editor_page():
    """GET/POST /beheer/gebieden/bewerken."""
    return render_template("beheer/editor.html")


def editor_areas():
    """GET /beheer/gebieden/bewerken/gebieden.geojson."""
    return jsonify({"type": "FeatureCollection", "features": []})
