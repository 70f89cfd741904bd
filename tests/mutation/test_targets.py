"""The mutation targets (tests/mutation/targets/*.toml) stay true to the code they describe.

`make mutation` is not part of `make test` (it takes minutes), so these cheap checks are: every
module and test file a target names exists, and every accepted survivor still points at a
function that exists and at a line that is still in the module. An explanation for code that has
changed is no explanation; this fails before anyone trusts it.
"""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("buurt_mutation_script", ROOT / "scripts" / "mutation.py")
mutation = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = mutation  # its dataclasses look their module up there
spec.loader.exec_module(mutation)

TARGETS = mutation.load_targets()


def functions_in(path: Path) -> set[str]:
    """Qualified names as mutmut reports them: `f`, `Class.method` (and nested classes' methods)."""
    names: set[str] = set()

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                names.add(prefix + child.name)
            elif isinstance(child, ast.ClassDef):
                visit(child, prefix + child.name + ".")

    visit(ast.parse(path.read_text("utf-8")), "")
    return names


def test_there_are_targets_and_they_do_not_overlap():
    assert len(TARGETS) >= 8
    modules = [m for t in TARGETS for m in t.modules]
    assert len(modules) == len(set(modules)), "a module belongs to one target"


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.name)
def test_target_names_real_files(target):
    assert target.about, f"{target.name}: say what promise the target guards"
    for module in target.modules:
        assert (ROOT / module).is_file(), module
    for test in target.tests:
        assert (ROOT / test).is_file(), test
        assert Path(test).name.startswith("test_")


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.name)
def test_accepted_survivors_point_at_code_that_still_exists(target):
    for accepted in target.accepted:
        where = f"{target.name}: {accepted.module} {accepted.function} {accepted.removed!r}"
        assert accepted.module in target.modules, where
        assert len(accepted.why) > 20, f"{where}: argue why the survivor is equivalent or harmless"
        source = (ROOT / accepted.module).read_text("utf-8")
        if accepted.function:
            assert accepted.function in functions_in(ROOT / accepted.module), where
        if accepted.removed:
            assert accepted.removed in source, f"{where}: that line is no longer in the module"
        assert accepted.function or accepted.removed, f"{where}: name the function or the line"


@pytest.mark.parametrize(
    ("mutant", "expected"),
    [
        ("buurt.geo.addresses.xǁHouseNumberǁreadings__mutmut_24", ("buurt/geo/addresses.py", "HouseNumber.readings")),
        ("buurt.geo.addresses.x_house_order__mutmut_1", ("buurt/geo/addresses.py", "house_order")),
        ("buurt.geo.index.x__position__mutmut_2", ("buurt/geo/index.py", "_position")),
        ("buurt.retention.x_purge__mutmut_7", ("buurt/retention/__init__.py", "purge")),  # a package
    ],
)
def test_mutant_names_map_to_module_and_function(mutant, expected):
    assert mutation.module_of(mutant) == expected


def test_an_accepted_entry_matches_only_its_change():
    entry = mutation.Accepted(module="buurt/geo/index.py", function="f", removed="a <= b", added="a < b", why="x" * 30)
    same = mutation.Mutant("n", "survived", "buurt/geo/index.py", "f", ["if a <= b:"], ["if a < b:"])
    other_change = mutation.Mutant("n", "survived", "buurt/geo/index.py", "f", ["if a <= b:"], ["if a <= c:"])
    other_function = mutation.Mutant("n", "survived", "buurt/geo/index.py", "g", ["if a <= b:"], ["if a < b:"])
    assert entry.matches(same)
    assert not entry.matches(other_change)
    assert not entry.matches(other_function)
