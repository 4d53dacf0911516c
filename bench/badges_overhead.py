"""Author-defined badges' cost: sustained throughput with N published badges against the
same run without any, in one invocation.

It runs ``bench/throughput.py --mode sustained`` (each run in its own scratch database,
Redis namespace and worker processes) alternately without badges and with ``--badges N``
(bench/badge_set.py: varied criteria over the bench catalog, most never earned, two earned
per learner), ``--rounds`` times. ``badge_ratio`` = median events/s with badges / median
without; each round's own ratio is listed too (this box is shared and noisy), and
``worker_cpu_per_event`` = the workers' CPU ms per event without / with. Target:
``badge_ratio`` >= 0.8. Prints one JSON document.

    .venv/bin/python bench/badges_overhead.py --badges 100 --rounds 2
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

import common

TARGET = 0.8
HERE = Path(__file__).resolve().parent


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--badges", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2, help="alternated pairs of runs")
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--writers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=300.0, help="per run, seconds")
    parser.add_argument("--setting", action="append", default=[], metavar="NAME=VALUE",
                        help="passed on to throughput.py")
    return parser.parse_args()


def run(args: argparse.Namespace, badges: int) -> dict[str, Any]:
    """One sustained throughput run; the part of its JSON this comparison reads."""
    command = [sys.executable, str(HERE / "throughput.py"), "--mode", "sustained",
               "--events", str(args.events), "--learners", str(args.learners),
               "--writers", str(args.writers), "--timeout", str(args.timeout),
               "--badges", str(badges), *(f"--setting={s}" for s in args.setting)]
    done = subprocess.run(command, cwd=HERE.parent, capture_output=True, text=True,
                          timeout=args.timeout + 120, check=False)
    if done.returncode != 0:
        raise SystemExit(f"throughput.py --badges {badges} failed:\n{done.stderr[-3000:]}")
    document = json.loads(done.stdout)
    measured = document["measured"]
    return {"badges": badges, "per_s": measured["per_s"], "awards": measured["awards"],
            "lag_ms": measured["lag_ms"], "tasks": measured["tasks"],
            "cpu_ms_per_event": measured["cpu_ms_per_event"],
            "loadavg_at_end": document["machine"]["loadavg_at_end"]}


def main() -> None:
    args = parse()
    pairs = []
    for index in range(args.rounds):  # alternate which goes first: drift hits both alike
        order = (0, args.badges) if index % 2 == 0 else (args.badges, 0)
        runs = {badges: run(args, badges) for badges in order}
        pairs.append((runs[0], runs[args.badges]))
    without = statistics.median(plain["per_s"] for plain, _ in pairs)
    with_badges = statistics.median(badged["per_s"] for _, badged in pairs)
    ratios = {"badge_ratio": common.ratio(with_badges, without),
              "per_round": [common.ratio(b["per_s"], p["per_s"]) for p, b in pairs],
              "worker_cpu_per_event": common.ratio(_median_cpu(p for p, _ in pairs),
                                                   _median_cpu(b for _, b in pairs))}
    targets = {"badge_ratio": TARGET, "met": bool((ratios["badge_ratio"] or 0) >= TARGET)}
    common.emit(common.report(
        "badges_overhead", vars(args),
        {"per_s": with_badges, "runs": [b for _, b in pairs]},
        {"per_s": without, "runs": [p for p, _ in pairs]}, ratios, targets))


def _median_cpu(runs: Any) -> float:
    """Worker CPU ms per event: steadier than events/s on a shared box (its ratio above is
    without / with, so below 1 means the badges cost worker CPU)."""
    return statistics.median(run["cpu_ms_per_event"]["workers"] for run in runs)


if __name__ == "__main__":
    main()
