"""Instrumentation's cost: sustained throughput with metrics on against off, in one run.

It runs ``bench/throughput.py --mode sustained`` (each run in its own scratch database,
Redis namespace and worker processes) alternately with ``--setting METRICS_ENABLED=false``
(the baseline: every metrics call returns at once, ``app.infra.metrics``) and
``--setting METRICS_ENABLED=true`` (the default), ``--rounds`` times; the setting reaches
the writers and workers as ``ACHIEVEMENTS_METRICS_ENABLED``. ``metrics_ratio`` = median
events/s on / median off; each round's own ratio is listed too (this box is shared and
noisy), ``worker_cpu_per_event`` = the workers' CPU ms per event off / on, and each side
reports its median lag p50 and p99. Target: ``metrics_ratio`` >= 0.95. Prints one JSON
document. The runs and their alternation are bench/ab.py's.

    .venv/bin/python bench/metrics_overhead.py --rounds 2
"""

from __future__ import annotations

import argparse

import ab
import common

TARGET = 0.95
OFF = ({"metrics_enabled": False}, ["--setting=METRICS_ENABLED=false"])
ON = ({"metrics_enabled": True}, ["--setting=METRICS_ENABLED=true"])


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ab.add_arguments(parser)
    return parser.parse_args()


def main() -> None:
    args = parse()
    pairs = ab.alternate(args, OFF, ON)
    ratios = ab.ratios(pairs, "metrics_ratio")
    measured, baseline = ab.sides(pairs)
    measured["lag_ms"], baseline["lag_ms"] = ab.median_lag(pairs, 1), ab.median_lag(pairs, 0)
    common.emit(common.report("metrics_overhead", vars(args), measured, baseline, ratios,
                              ab.target(ratios, "metrics_ratio", TARGET)))


if __name__ == "__main__":
    main()
