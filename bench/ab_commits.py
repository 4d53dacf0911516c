"""Compare two commits in one sitting: e2e latency, sustained throughput and recording,
in alternating rounds. Prints one JSON document.

Each commit is checked out (detached) into its own ``git worktree`` under ``--workdir``
(kept between runs, refreshed to the commit), and the benchmark scripts of THIS checkout
are copied over its ``bench/``: both sides are measured by the same code, only the
application differs. Every run is a subprocess with the worktree as its working
directory and ``PYTHONPATH`` (the processes it starts inherit both), on this
interpreter: the dependencies are shared, the code is the commit's. Round ``i`` runs
base then new when ``i`` is even, new then base when odd, so drift on a shared box
hits both sides alike.

For each benchmark and side it reports the median of every figure over the rounds, and
per round ``new / base`` of the figure that matters, each side first divided by its own
same-run floor (INSERT + PUBLISH for e2e, raw inserts for throughput and recording):
below 1 is better for latencies and CPU, above 1 for rates. ``measured`` is the new
commit, ``baseline`` the base, ``ratio`` new / base.

    .venv/bin/python bench/ab_commits.py 6d583c0 HEAD --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

import common

HERE = Path(__file__).resolve().parent

# benchmark -> (script, figures read from its JSON: name -> (path..., ), the figures whose
# new/base ratio is reported per round, each as a ratio to that run's floor)
BENCHES: dict[str, tuple[str, dict[str, tuple[str, ...]], list[str]]] = {
    "e2e": ("e2e_latency.py", {
        "p50_ms": ("measured", "p50"), "p99_ms": ("measured", "p99"),
        "floor_p50_ms": ("baseline", "p50"), "floor_p99_ms": ("baseline", "p99"),
        "p50_x_floor": ("ratio", "p50"), "p99_x_floor": ("ratio", "p99")},
        ["p50_x_floor", "p99_x_floor"]),
    "sustained": ("throughput.py", {
        "events_per_s": ("measured", "per_s"), "floor_inserts_per_s": ("baseline", "per_s"),
        "x_floor": ("ratio", "evaluated_vs_inserts"),
        "cpu_ms_per_event": ("measured", "cpu_ms_per_event", "total"),
        "writer_cpu_ms_per_event": ("measured", "cpu_ms_per_event", "writers"),
        "worker_cpu_ms_per_event": ("measured", "cpu_ms_per_event", "workers"),
        "lag_p50_ms": ("measured", "lag_ms", "p50")},
        ["x_floor", "cpu_ms_per_event"]),
    "recording": ("recording.py", {
        "single_per_s": ("measured", "single", "per_s"),
        "many_per_s": ("measured", "many", "per_s"), "floor_per_s": ("baseline", "per_s"),
        "single_x_floor": ("ratio", "single_vs_floor"),
        "many_x_floor": ("ratio", "many_vs_floor"),
        "single_cpu_us_per_event": ("measured", "single", "cpu_us_per_event"),
        "many_cpu_us_per_event": ("measured", "many", "cpu_us_per_event")},
        ["single_x_floor", "many_x_floor", "single_cpu_us_per_event", "many_cpu_us_per_event"]),
}
DEFAULT_ARGS = {
    "e2e": ["--events", "1000", "--rate", "50", "--learners", "20", "--no-peer"],  # same both sides
    "sustained": ["--mode", "sustained", "--writers", "2", "--events", "3000",
                  "--learners", "200"],
    "recording": ["--events", "1500", "--rounds", "1"],
}


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", help="a commit (the reference)")
    parser.add_argument("new", help="a commit (the candidate)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--benches", default="e2e,sustained,recording",
                        help=f"comma-separated, of {', '.join(BENCHES)}")
    parser.add_argument("--workdir", default="/tmp/ab-commits", help="worktrees go here")
    parser.add_argument("--timeout", type=float, default=600.0, help="per run, seconds")
    for name in BENCHES:
        parser.add_argument(f"--{name}-args", default=" ".join(DEFAULT_ARGS[name]),
                            help=f"arguments for every {BENCHES[name][0]} run")
    return parser.parse_args()


def git(*args: str, cwd: Path = common.ROOT) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout.strip()


def worktree(commit: str, workdir: Path) -> Path:
    """A detached checkout of ``commit`` with this checkout's bench/ copied over its own."""
    sha = git("rev-parse", "--verify", f"{commit}^{{commit}}")
    path = workdir / sha[:12]
    if ours(path):
        git("checkout", "--force", "--detach", sha, cwd=path)
    else:
        # Absent, or left by another clone (its .git points at a repository gone or not
        # ours): start it afresh from this repository.
        shutil.rmtree(path, ignore_errors=True)
        git("worktree", "prune")
        workdir.mkdir(parents=True, exist_ok=True)
        git("worktree", "add", "--force", "--detach", str(path), sha)
    for script in HERE.glob("*.py"):
        shutil.copy2(script, path / "bench" / script.name)
    return path


def ours(path: Path) -> bool:
    """Whether ``path`` is a worktree of this repository (not a stale one of another clone)."""
    if not (path / ".git").exists():
        return False
    found = subprocess.run(["git", "rev-parse", "--path-format=absolute", "--git-common-dir"],
                           cwd=path, capture_output=True, text=True, check=False)
    mine = git("rev-parse", "--path-format=absolute", "--git-common-dir")
    return found.returncode == 0 and Path(found.stdout.strip()) == Path(mine)


def check_imports_from(path: Path) -> None:
    """The app a run imports must be the worktree's, not this checkout's editable install."""
    found = subprocess.run([sys.executable, "-c", "import app; print(app.__file__)"], cwd=path,
                           env=env_for(path), capture_output=True, text=True, check=True)
    if not found.stdout.strip().startswith(str(path)):
        raise SystemExit(f"{path}: imports app from {found.stdout.strip()}")


def env_for(path: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(path)}


def run(path: Path, bench: str, argv: list[str], timeout: float,
        attempts: int = 3) -> dict[str, Any]:
    """One run's figures. A failed run is tried again (up to ``attempts`` in all): on a box
    shared with the fault suite, PostgreSQL may be restarted under it."""
    script, figures, _ = BENCHES[bench]
    for attempt in range(1, attempts + 1):
        done = subprocess.run([sys.executable, str(path / "bench" / script), *argv], cwd=path,
                              env=env_for(path), capture_output=True, text=True,
                              timeout=timeout, check=False)
        if done.returncode == 0:
            break
        print(f"{script} at {path.name} failed (attempt {attempt}):\n{done.stderr[-1500:]}",
              file=sys.stderr)
    else:
        raise SystemExit(f"{script} at {path.name} failed {attempts} times")
    document = json.loads(done.stdout)
    row = {name: dig(document, keys) for name, keys in figures.items()}
    return {**row, "attempts": attempt, "loadavg_at_end": document["machine"]["loadavg_at_end"]}


def dig(document: dict[str, Any], keys: tuple[str, ...]) -> Any:
    value: Any = document
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def summary(runs: dict[str, list[dict[str, Any]]], bench: str) -> dict[str, Any]:
    """Medians per side, and per round new / base of each headline figure."""
    _, figures, headline = BENCHES[bench]
    sides = {side: {name: _median([r[name] for r in rows]) for name in figures}
             for side, rows in runs.items()}
    per_round = {name: [common.ratio(n[name], b[name])
                        for b, n in zip(runs["base"], runs["new"], strict=True)]
                 for name in headline}
    return {"median": sides, "new_over_base_per_round": per_round,
            "new_over_base_of_medians": {name: common.ratio(sides["new"][name],
                                                            sides["base"][name])
                                         for name in headline},
            "runs": runs}


def _median(values: list[Any]) -> float | None:
    numbers = [v for v in values if isinstance(v, int | float)]
    return round(statistics.median(numbers), 3) if numbers else None


def main() -> None:
    args = parse()
    benches = [b.strip() for b in args.benches.split(",") if b.strip()]
    unknown = set(benches) - set(BENCHES)
    if unknown:
        raise SystemExit(f"unknown benchmarks: {', '.join(sorted(unknown))}")
    paths = {"base": worktree(args.base, Path(args.workdir)),
             "new": worktree(args.new, Path(args.workdir))}
    for path in paths.values():
        check_imports_from(path)
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {b: {"base": [], "new": []}
                                                        for b in benches}
    for index in range(args.rounds):
        order = ("base", "new") if index % 2 == 0 else ("new", "base")
        for bench in benches:
            argv = getattr(args, f"{bench}_args").split()
            for side in order:
                runs[bench][side].append(run(paths[side], bench, argv, args.timeout))
    commits = {side: git("rev-parse", "--short", "HEAD", cwd=path)
               for side, path in paths.items()}
    results = {b: summary(runs[b], b) for b in benches}
    common.emit(common.report(
        "ab_commits", {**vars(args), "commits": commits},
        {b: {**r["median"]["new"], "runs": r["runs"]["new"]} for b, r in results.items()},
        {b: {**r["median"]["base"], "runs": r["runs"]["base"]} for b, r in results.items()},
        {b: {"of_medians": r["new_over_base_of_medians"],
             "per_round": r["new_over_base_per_round"]} for b, r in results.items()},
        {"note": "none: read new/base per round (each side as a ratio to its own floor)"}))

if __name__ == "__main__":
    main()
