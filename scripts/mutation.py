#!/usr/bin/env python3
"""Mutation testing of the modules that carry buurt's promises (`make mutation`).

Each target in tests/mutation/targets/*.toml names a few modules and the test files that guard
them. A target runs mutmut (https://github.com/boxed/mutmut) in its own work folder,
build/mutation/<target>/: mutmut copies the code into mutants/, plants one small bug at a time
(a flipped comparison, a dropped argument, a changed constant) and runs the tests that reach the
changed function. A mutant the tests notice is *killed*; one they do not is a *survivor*.

A survivor is either a hole in the tests (write the test that kills it) or a mutant that cannot be
told apart from the original by any caller: equivalent or harmless. The second kind is listed in
the target's file with the reason (`[[accepted]]`). This script fails when the score over all
targets is below the threshold, or when a survivor is neither killed nor listed: a new promise
without a guarding test shows up here instead of in production.

    .venv/bin/python scripts/mutation.py                 # every target
    .venv/bin/python scripts/mutation.py geo-index ...   # some targets
    .venv/bin/python scripts/mutation.py --list          # the targets and their modules

The summary goes to stdout and to build/mutation/summary.md and summary.json (summary-<targets>.*
when only some targets ran); each target's mutmut output to build/mutation/<target>.log.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ROOT / "tests" / "mutation" / "targets"
WORK = ROOT / "build" / "mutation"
THRESHOLD = 90.0
# What mutmut's copy of the project needs besides buurt/ (which it copies itself) and tests/.
ALSO_COPY = ["templates", "static", "migrations", "app.py", "babel.cfg", "docs"]
LINKED = ["buurt", "tests", *ALSO_COPY]
# mutmut's exit-code verdicts (mutmut.stats.status_by_exit_code) grouped the usual way: a timeout
# or a crash is the tests noticing the bug.
DETECTED = {"killed", "timeout", "segfault", "caught by type check"}
TIMEOUT_EXIT = 36  # mutmut's exit code for a timeout (mutmut.stats.status_by_exit_code)
RECHECK_LIMIT_S = 3600  # a recheck's whole budget: a mutant still running then counts as a timeout
UNDETECTED = {"survived", "no tests", "suspicious"}


@dataclass
class Accepted:
    """A survivor the target's file explains: matched by module, function and changed lines."""

    module: str
    why: str
    function: str = ""
    removed: str = ""
    added: str = ""
    matched: int = 0

    def matches(self, mutant: Mutant) -> bool:
        return (
            mutant.module == self.module
            and (not self.function or mutant.function == self.function)
            and (not self.removed or any(self.removed in line for line in mutant.removed))
            and (not self.added or any(self.added in line for line in mutant.added))
        )


@dataclass
class Target:
    name: str
    modules: list[str]
    tests: list[str]
    about: str = ""
    accepted: list[Accepted] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path) -> Target:
        data = tomllib.loads(path.read_text("utf-8"))
        accepted = [Accepted(**entry) for entry in data.get("accepted", [])]
        return cls(path.stem, data["modules"], data["tests"], data.get("about", ""), accepted)


@dataclass
class Mutant:
    name: str
    status: str
    module: str
    function: str
    removed: list[str]
    added: list[str]
    explained_by: Accepted | None = None

    @property
    def detected(self) -> bool:
        return self.status in DETECTED


def load_targets() -> list[Target]:
    return [Target.load(path) for path in sorted(TARGETS.glob("*.toml"))]


def module_of(mutant_name: str) -> tuple[str, str]:
    """buurt.geo.addresses.xǁHouseNumberǁreadings__mutmut_3 -> ("buurt/geo/addresses.py", "HouseNumber.readings");
    buurt.retention.x_purge__mutmut_7 -> ("buurt/retention/__init__.py", "purge")."""
    qualified = mutant_name.rsplit("__mutmut_", 1)[0]
    module, _, function = qualified.rpartition(".x")
    # methods are spelled xǁClassǁmethod, functions x_function
    function = function.strip("ǁ").replace("ǁ", ".") if function.startswith("ǁ") else function.removeprefix("_")
    path = module.replace(".", "/")
    # a package's own code: buurt.retention is buurt/retention/__init__.py
    return (f"{path}/__init__.py" if (ROOT / path / "__init__.py").is_file() else f"{path}.py"), function


def pyproject_for(target: Target) -> str:
    """The project's pyproject.toml with a [tool.mutmut] section for this target."""
    settings = {
        "source_paths": ["buurt"],
        "only_mutate": target.modules,
        "also_copy": ALSO_COPY,
        # browser tests are for people looking at pages; a mutant is judged by the fast tests
        "pytest_add_cli_args_test_selection": [*target.tests, "-m", "not browser"],
        # tests/mutation/fastest_first.py: a mutant's quickest tests first (-x stops at the first kill)
        "pytest_add_cli_args": ["-p", "no:cacheprovider", "-p", "tests.mutation.fastest_first"],
        "use_git_change_detection": False,
        "timeout_multiplier": 5.0,
    }
    lines = ["", "[tool.mutmut]"] + [f"{key} = {json.dumps(value)}" for key, value in settings.items()]
    return (ROOT / "pyproject.toml").read_text("utf-8") + "\n".join(lines) + "\n"


def prepare(target: Target) -> Path:
    work = WORK / target.name
    shutil.rmtree(work, ignore_errors=True)  # a fresh copy: mutmut keeps unmutated files it finds
    work.mkdir(parents=True)
    for name in LINKED:
        (work / name).symlink_to(ROOT / name)
    (work / "pyproject.toml").write_text(pyproject_for(target), "utf-8")
    return work


def mutmut_env(work: Path) -> dict[str, str]:
    env = dict(os.environ)
    # pytest's temporary folders (the test databases) in the work folder: no other pytest run on the
    # machine prunes them while mutmut's later sessions still use them
    env["PYTEST_DEBUG_TEMPROOT"] = str(work / "tmp")
    (work / "tmp").mkdir(exist_ok=True)
    env["HYPOTHESIS_PROFILE"] = "mutation"  # derandomized (tests/conftest.py): a verdict is repeatable
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.pop("BUURT_TEST_DATABASE_URI", None)  # SQLite: the verdicts do not depend on the database
    return env


def run_target(target: Target, jobs: int, log: Path) -> tuple[list[Mutant], float]:
    work = prepare(target)
    started = time.monotonic()
    mutmut = Path(sys.executable).with_name("mutmut")
    with log.open("w") as out:
        ran = subprocess.run(
            [str(mutmut), "run", "--max-children", str(jobs)],
            cwd=work,
            env=mutmut_env(work),
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    seconds = time.monotonic() - started
    if ran.returncode != 0:  # e.g. the tests fail without any mutant ("Failed to run clean test")
        tail = log.read_text("utf-8", errors="replace")[-3000:]
        raise SystemExit(f"{target.name}: mutmut stopped with exit code {ran.returncode} (see {log}):\n{tail}")
    run = {"seconds": round(seconds), "sources": source_fingerprint()}
    (work / "run.json").write_text(json.dumps(run), "utf-8")
    return collect_target(target, log)


def source_fingerprint() -> str:
    """A hash of everything mutmut copied besides the tests: a recheck is only valid on the same code."""
    digest = hashlib.sha256()
    for name in ["buurt", *ALSO_COPY]:
        path = ROOT / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if "__pycache__" in file.parts or file.suffix in {".pyc", ".mo"}:
                continue
            digest.update(str(file.relative_to(ROOT)).encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()


def recheck_target(target: Target, jobs: int, log: Path) -> tuple[list[Mutant], float]:
    """Test a finished run's unexplained survivors again, against the target's current tests.

    For the step after a run: write the tests that kill its survivors, then recheck them in minutes
    instead of running every mutant again. Each survivor runs the target's whole test list (not only
    the tests mutmut found reaching it, so new tests count), fastest first, stopping at the first
    failure; a failure is a kill, exactly as in mutmut. Refused when buurt's code (or the templates,
    migrations, ...) changed since the run: the mutants would no longer be this code's.
    """
    work = WORK / target.name
    mutants, _ = collect_target(target, log)
    ran = json.loads((work / "run.json").read_text("utf-8"))
    if ran.get("sources") != source_fingerprint():
        raise SystemExit(f"{target.name}: the code changed since its run; run the target again (not --recheck)")
    explain(target, mutants)
    survivors = [m.name for m in mutants if not (m.detected or m.explained_by)]
    # the tests as they are now, as mutmut itself copies them at the start of a run
    shutil.copytree(ROOT / "tests", work / "mutants" / "tests", dirs_exist_ok=True)
    env = mutmut_env(work)
    started = time.monotonic()
    verdicts: dict[str, int] = {}
    pending = list(survivors)
    running: dict[str, subprocess.Popen] = {}
    with log.open("a") as out:
        out.write(f"\n== recheck of {len(survivors)} survivors\n")
        while pending or running:
            while pending and len(running) < jobs:
                name = pending.pop(0)
                command = [sys.executable, "-m", "pytest", "-x", "-q", "-m", "not browser", *target.tests]
                command += ["-p", "no:cacheprovider", "-p", "tests.mutation.fastest_first"]
                running[name] = subprocess.Popen(
                    command, cwd=work / "mutants", env=env | {"MUTANT_UNDER_TEST": name}, stdout=out, stderr=out
                )
            time.sleep(0.2)
            for name, process in list(running.items()):
                code = process.poll()
                if code is None and time.monotonic() - started > RECHECK_LIMIT_S:
                    process.kill()
                    code = process.wait()
                    verdicts[name] = TIMEOUT_EXIT
                elif code is not None:
                    if code not in (0, 1, 3):  # 3: an internal pytest error, a kill for mutmut too
                        raise SystemExit(f"{target.name}: pytest ended with {code} on {name} (see {log})")
                    verdicts[name] = code
                else:
                    continue
                del running[name]
                out.write(f"   {name}: {'survived' if verdicts[name] == 0 else 'killed'}\n")
                out.flush()
    if verdicts:
        marked = subprocess.run(
            [sys.executable, __file__, "--mark", json.dumps(verdicts)], cwd=work, capture_output=True, text=True
        )
        if marked.returncode != 0:
            raise SystemExit(f"{target.name}: could not store the recheck's verdicts:\n{marked.stderr[-2000:]}")
    spent = time.monotonic() - started
    killed = sum(1 for code in verdicts.values() if code != 0)
    ran.setdefault("rechecks", []).append({"survivors": len(survivors), "killed": killed, "seconds": round(spent)})
    ran["seconds"] = round(ran["seconds"] + spent)
    (work / "run.json").write_text(json.dumps(ran), "utf-8")
    print(f"   recheck: {killed} of {len(survivors)} unexplained survivors killed in {spent:.0f} s", flush=True)
    return collect_target(target, log)


def mark(verdicts: dict[str, int]) -> None:
    """Inside a work folder: store pytest's verdicts (0 survived, 1 killed) as mutmut's own."""
    from mutmut.__main__ import SourceFileMutationData, walk_mutatable_files

    for path in walk_mutatable_files():
        data = SourceFileMutationData(path=path)
        data.load()
        hits = {name: code for name, code in verdicts.items() if name in data.exit_code_by_key}
        if hits:
            data.exit_code_by_key.update(hits)
            data.save()


def collect_target(target: Target, log: Path) -> tuple[list[Mutant], float]:
    """The verdicts of the target's last finished run (and how long it took)."""
    work = WORK / target.name
    if not (work / "run.json").is_file():
        raise SystemExit(f"{target.name}: no finished run in {work}")
    seconds = json.loads((work / "run.json").read_text("utf-8"))["seconds"]
    collected = subprocess.run(
        [sys.executable, __file__, "--collect"], cwd=work, capture_output=True, text=True, check=False
    )
    if collected.returncode != 0:
        raise SystemExit(f"{target.name}: mutmut did not finish (see {log}):\n{collected.stderr[-2000:]}")
    mutants = [Mutant(**m) for m in json.loads(collected.stdout)]
    if not mutants:
        raise SystemExit(f"{target.name}: no mutants (see {log})")
    if not_checked := sum(m.status == "not checked" for m in mutants):
        raise SystemExit(f"{target.name}: {not_checked} mutants were never checked (see {log})")
    return mutants, seconds


def collect() -> None:
    """Inside a work folder: every mutant's verdict, and the changed lines of the undetected ones."""
    from mutmut.__main__ import SourceFileMutationData, get_diff_for_mutant, walk_mutatable_files
    from mutmut.stats import status_by_exit_code

    found = []
    for path in walk_mutatable_files():
        data = SourceFileMutationData(path=path)
        data.load()
        for name, code in data.exit_code_by_key.items():
            status = status_by_exit_code[code]
            module, function = module_of(name)
            removed, added = [], []
            if status not in DETECTED:
                diff = get_diff_for_mutant(name, path=data.path)
                removed = [line[1:].strip() for line in diff.splitlines() if re.match(r"-(?!--)", line)]
                added = [line[1:].strip() for line in diff.splitlines() if re.match(r"\+(?!\+\+)", line)]
            found.append(
                {"name": name, "status": status, "module": module, "function": function}
                | {"removed": removed, "added": added}
            )
    json.dump(found, sys.stdout)


def explain(target: Target, mutants: list[Mutant]) -> None:
    for mutant in mutants:
        if not mutant.detected:
            mutant.explained_by = next((a for a in target.accepted if a.matches(mutant)), None)
            if mutant.explained_by:
                mutant.explained_by.matched += 1


def score(mutants: list[Mutant]) -> float:
    return 100.0 * sum(m.detected for m in mutants) / len(mutants)


def report(results: dict[str, tuple[Target, list[Mutant], float]]) -> tuple[str, dict, bool]:
    lines = ["# Mutation testing", ""]
    lines += ["| target | modules | mutants | detected | survivors (accepted) | score | time |"]
    lines += ["|---|---|---:|---:|---:|---:|---:|"]
    everything: list[Mutant] = []
    summary: dict = {"targets": {}}
    ok = True
    for name, (target, mutants, seconds) in results.items():
        everything += mutants
        undetected = [m for m in mutants if not m.detected]
        accepted = sum(1 for m in undetected if m.explained_by)
        lines.append(
            f"| {name} | {', '.join(target.modules)} | {len(mutants)} | {len(mutants) - len(undetected)} "
            f"| {len(undetected)} ({accepted}) | {score(mutants):.1f} % | {seconds:.0f} s |"
        )
        summary["targets"][name] = {
            "mutants": len(mutants),
            "detected": len(mutants) - len(undetected),
            "survivors": len(undetected),
            "accepted": accepted,
            "score": round(score(mutants), 1),
            "seconds": round(seconds),
        }
    total = score(everything)
    summary["score"] = round(total, 1)
    summary["mutants"] = len(everything)
    lines += ["", f"**Score over all targets: {total:.1f} %** ({len(everything)} mutants; threshold {THRESHOLD} %)"]
    if total < THRESHOLD:
        ok = False
    unexplained = [
        (name, m) for name, (_, mutants, _) in results.items() for m in mutants if not (m.detected or m.explained_by)
    ]
    if unexplained:
        ok = False
        lines += ["", f"## Survivors nobody explained ({len(unexplained)}): kill each with a test, or accept it", ""]
        for name, m in unexplained:
            change = "; ".join(f"`{r}` → `{a}`" for r, a in zip(m.removed, m.added, strict=False)) or m.status
            lines.append(f"- {name}: {m.module} `{m.function}` ({m.status}, {m.name.rsplit('_', 1)[-1]}): {change}")
    stale = [(name, a) for name, (target, _, _) in results.items() for a in target.accepted if not a.matched]
    if stale:
        lines += ["", "## Accepted entries that matched no survivor (killed now? remove them)", ""]
        lines += [f"- {name}: {a.module} `{a.function}` {a.removed!r} → {a.added!r}" for name, a in stale]
    summary["unexplained"] = len(unexplained)
    summary["stale_accepted"] = len(stale)
    return "\n".join(lines) + "\n", summary, ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("targets", nargs="*", help="target names (default: all)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="mutants tested at once")
    parser.add_argument("--list", action="store_true", help="list the targets and stop")
    parser.add_argument(
        "--report",
        action="store_true",
        help="report the targets' last finished runs again (e.g. after --jobs 1 runs side by side)",
    )
    parser.add_argument(
        "--recheck",
        action="store_true",
        help="test the unexplained survivors of the targets' finished runs again, after new tests (same code only)",
    )
    parser.add_argument("--collect", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--mark", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.collect:
        collect()
        return 0
    if args.mark:
        mark(json.loads(args.mark))
        return 0
    targets = {t.name: t for t in load_targets()}
    if args.list:
        for t in targets.values():
            print(f"{t.name}: {', '.join(t.modules)} ({len(t.tests)} test files, {len(t.accepted)} accepted)")
        return 0
    unknown = set(args.targets) - set(targets)
    if unknown:
        parser.error(f"unknown targets: {', '.join(sorted(unknown))} (see --list)")
    chosen = [targets[name] for name in args.targets] if args.targets else list(targets.values())
    WORK.mkdir(parents=True, exist_ok=True)
    results = {}
    for target in chosen:
        print(f"== {target.name}: {', '.join(target.modules)}", flush=True)
        log = WORK / f"{target.name}.log"
        if args.report:
            mutants, seconds = collect_target(target, log)
        elif args.recheck:
            mutants, seconds = recheck_target(target, args.jobs, log)
        else:
            mutants, seconds = run_target(target, args.jobs, log)
        explain(target, mutants)
        results[target.name] = (target, mutants, seconds)
        print(f"   {len(mutants)} mutants, score {score(mutants):.1f} % in {seconds:.0f} s", flush=True)
    text, summary, ok = report(results)
    if len(chosen) < len(targets):
        text = text.replace("# Mutation testing", f"# Mutation testing (only {', '.join(results)})", 1)
    stem = "summary" if len(chosen) == len(targets) else "summary-" + "+".join(results)
    (WORK / f"{stem}.md").write_text(text, "utf-8")
    (WORK / f"{stem}.json").write_text(json.dumps(summary, indent=2) + "\n", "utf-8")
    print()
    print(text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
