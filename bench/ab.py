"""Alternating A/B runs of ``bench/throughput.py --mode sustained`` (a helper, not an entry
point): badges_overhead.py and metrics_overhead.py compare a baseline side against a
measured side this way.

Each run is its own ``throughput.py`` subprocess (own scratch database, Redis namespace and
worker processes). Every round runs both sides, the baseline first in even rounds and the
measured side first in odd ones, so drift on this shared box hits both alike. A side is a
``(tag, argv)`` pair: ``tag`` leads each of its runs in the JSON, ``argv`` goes to
throughput.py after the common arguments (so its ``--setting`` wins over a passed-on one).

    pairs = ab.alternate(args, ({"badges": 0}, ["--badges", "0"]),
                         ({"badges": 100}, ["--badges", "100"]))
    ratios = ab.ratios(pairs, "badge_ratio")
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

HERE = Path(__file__).resolve().parent

Side = tuple[dict[str, Any], list[str]]
Pair = tuple[dict[str, Any], dict[str, Any]]  # (baseline run, measured run)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The knobs every comparison shares, passed on to each throughput.py run."""
    parser.add_argument("--rounds", type=int, default=2, help="alternated pairs of runs")
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--writers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=300.0, help="per run, seconds")
    parser.add_argument("--setting", action="append", default=[], metavar="NAME=VALUE",
                        help="passed on to throughput.py")


def run(args: argparse.Namespace, side: Side) -> dict[str, Any]:
    """One sustained throughput run; its tag, then the part of its JSON a comparison reads."""
    tag, argv = side
    command = [sys.executable, str(HERE / "throughput.py"), "--mode", "sustained",
               "--events", str(args.events), "--learners", str(args.learners),
               "--writers", str(args.writers), "--timeout", str(args.timeout),
               *(f"--setting={s}" for s in args.setting), *argv]
    done = subprocess.run(command, cwd=HERE.parent, capture_output=True, text=True,
                          timeout=args.timeout + 120, check=False)
    if done.returncode != 0:
        raise SystemExit(f"throughput.py {' '.join(argv)} failed:\n{done.stderr[-3000:]}")
    document = json.loads(done.stdout)
    measured = document["measured"]
    return {**tag, "per_s": measured["per_s"], "awards": measured["awards"],
            "lag_ms": measured["lag_ms"], "tasks": measured["tasks"],
            "cpu_ms_per_event": measured["cpu_ms_per_event"],
            "loadavg_at_end": document["machine"]["loadavg_at_end"]}


def alternate(args: argparse.Namespace, baseline: Side, measured: Side) -> list[Pair]:
    """``args.rounds`` pairs of runs, which side goes first alternating round by round."""
    pairs = []
    for index in range(args.rounds):
        if index % 2 == 0:
            first = run(args, baseline)
            pairs.append((first, run(args, measured)))
        else:
            second = run(args, measured)
            pairs.append((run(args, baseline), second))
    return pairs


def ratios(pairs: list[Pair], name: str) -> dict[str, Any]:
    """``name``: median events/s measured / baseline; each round's own; and the workers' CPU
    ms per event baseline / measured (below 1: the measured side costs worker CPU)."""
    return {name: common.ratio(median(pairs, 1, "per_s"), median(pairs, 0, "per_s")),
            "per_round": [common.ratio(m["per_s"], b["per_s"]) for b, m in pairs],
            "worker_cpu_per_event": common.ratio(_median_cpu(pairs, 0), _median_cpu(pairs, 1))}


def sides(pairs: list[Pair]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(measured, baseline) for ``common.report``: median events/s and every run."""
    return ({"per_s": median(pairs, 1, "per_s"), "runs": [m for _, m in pairs]},
            {"per_s": median(pairs, 0, "per_s"), "runs": [b for b, _ in pairs]})


def median_lag(pairs: list[Pair], side: int) -> dict[str, float]:
    """One side's median lag p50 and p99 over its runs, in ms."""
    return {p: statistics.median(pair[side]["lag_ms"][p] for pair in pairs)
            for p in ("p50", "p99")}


def target(ratios: dict[str, Any], name: str, minimum: float) -> dict[str, Any]:
    return {name: minimum, "met": bool((ratios[name] or 0) >= minimum)}


def median(pairs: list[Pair], side: int, key: str) -> float:
    """Median of ``key`` over one side's runs (0: baseline, 1: measured)."""
    return statistics.median(pair[side][key] for pair in pairs)


def _median_cpu(pairs: list[Pair], side: int) -> float:
    """Worker CPU ms per event: steadier than events/s on a shared box."""
    return statistics.median(pair[side]["cpu_ms_per_event"]["workers"] for pair in pairs)
