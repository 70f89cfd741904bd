"""The layer contracts in pyproject.toml hold for the real tree, and a forbidden import breaks them.

The broken cases run the same contracts on a throw-away `buurt` package in tmp_path, never on
the real source tree.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
CONTRACTS = (
    "geo is pure",
    "models are a leaf",
    "only buurt.web imports views",
    "features do not import each other's views",
    "the outbox and the mail transport do not import features",
)

#: A tiny package shaped like buurt that keeps every contract.
CLEAN = {
    "__init__.py": "",
    "exceptions.py": "class UserError(Exception):\n    pass\n",
    "extensions.py": "import flask_sqlalchemy\n\ndb = flask_sqlalchemy.SQLAlchemy()\n",
    "mail.py": "import smtplib\n",
    "outbox.py": "from buurt import mail\nfrom buurt.models import db\n",
    "web.py": "from buurt.main import views as main_views\nfrom buurt.residents import views as residents_views\n",
    "geo/__init__.py": "from buurt.exceptions import UserError\n",
    "geo/coords.py": "import numpy\n\nfrom buurt.exceptions import UserError\n",
    "models/__init__.py": "from buurt.extensions import db\n",
    "main/__init__.py": "",
    "main/views.py": "from buurt.residents import services\n",
    "meldingen/__init__.py": "",
    "residents/__init__.py": "",
    "residents/services.py": "from buurt.geo import coords\nfrom buurt.models import db\n",
    "residents/views.py": "from buurt.residents import services\n",
}


def lint_imports(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(cwd), "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def throwaway_tree(tmp_path: Path, changes: dict[str, str] | None = None) -> Path:
    """CLEAN with `changes` (file name -> text) in tmp_path, next to a copy of the real contracts."""
    for name, text in {**CLEAN, **(changes or {})}.items():
        path = tmp_path / "buurt" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text(encoding="utf-8"), encoding="utf-8")
    return tmp_path


def test_the_real_tree_keeps_every_contract():
    result = lint_imports(ROOT, str(ROOT / "pyproject.toml"))
    assert result.returncode == 0, result.stdout + result.stderr
    for name in CONTRACTS:
        assert f"{name} KEPT" in result.stdout
    assert f"Contracts: {len(CONTRACTS)} kept, 0 broken." in result.stdout


def test_the_throwaway_tree_keeps_every_contract(tmp_path):
    tree = throwaway_tree(tmp_path)
    result = lint_imports(tree, str(tree / "pyproject.toml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Contracts: {len(CONTRACTS)} kept, 0 broken." in result.stdout


@pytest.mark.parametrize(
    ("changes", "broken"),
    [
        ({"geo/coords.py": "import flask\n"}, "geo is pure"),
        ({"geo/coords.py": "from sqlalchemy import select\n"}, "geo is pure"),
        ({"geo/coords.py": "from buurt.models import db\n"}, "geo is pure"),
        ({"geo/coords.py": "from buurt.residents import services\n"}, "geo is pure"),
        (
            {"models/__init__.py": "from buurt.extensions import db\nfrom buurt.geo import coords\n"},
            "models are a leaf",
        ),
        ({"residents/services.py": "from buurt.main.views import services\n"}, "only buurt.web imports views"),
        ({"residents/views.py": "from buurt.main import views\n"}, "features do not import each other's views"),
        (
            {"outbox.py": "from buurt.residents import services\n"},
            "the outbox and the mail transport do not import features",
        ),
    ],
    ids=[
        "geo-flask",
        "geo-sqlalchemy",
        "geo-models",
        "geo-feature",
        "models-geo",
        "service-views",
        "views-views",
        "outbox-feature",
    ],
)
def test_a_forbidden_import_fails_the_lint(tmp_path, changes, broken):
    tree = throwaway_tree(tmp_path, changes)
    result = lint_imports(tree, str(tree / "pyproject.toml"))
    assert result.returncode != 0, result.stdout
    assert f"{broken} BROKEN" in result.stdout
