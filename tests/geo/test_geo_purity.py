"""buurt.geo stays framework-free: no Flask, SQLAlchemy or models anywhere in the package."""

import ast
from pathlib import Path

import pytest

GEO = Path(__file__).resolve().parents[2] / "buurt" / "geo"
FORBIDDEN = ("flask", "flask_", "sqlalchemy", "werkzeug", "buurt.models", "buurt.extensions")


def imported_modules(path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


@pytest.mark.parametrize("path", sorted(GEO.glob("*.py")), ids=lambda path: path.name)
def test_geo_module_imports_no_framework(path):
    bad = [name for name in imported_modules(path) if name.startswith(FORBIDDEN)]
    assert bad == []
