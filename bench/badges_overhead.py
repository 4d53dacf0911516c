"""Author-defined badges' cost: sustained throughput with N published badges against the
same run without any, in one invocation.

It runs ``bench/throughput.py --mode sustained`` (each run in its own scratch database,
Redis namespace and worker processes) alternately without badges and with ``--badges N``
(bench/badge_set.py: varied criteria over the bench catalog, most never earned, two earned
per learner), ``--rounds`` times. ``badge_ratio`` = median events/s with badges / median
without; each round's own ratio is listed too (this box is shared and noisy), and
``worker_cpu_per_event`` = the workers' CPU ms per event without / with. Target:
``badge_ratio`` >= 0.8. Prints one JSON document. The runs and their alternation are
bench/ab.py's.

    .venv/bin/python bench/badges_overhead.py --badges 100 --rounds 2
"""

from __future__ import annotations

import argparse

import ab
import common

TARGET = 0.8


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--badges", type=int, default=100)
    ab.add_arguments(parser)
    return parser.parse_args()


def main() -> None:
    args = parse()
    pairs = ab.alternate(args, ({"badges": 0}, ["--badges", "0"]),
                         ({"badges": args.badges}, ["--badges", str(args.badges)]))
    ratios = ab.ratios(pairs, "badge_ratio")
    measured, baseline = ab.sides(pairs)
    common.emit(common.report("badges_overhead", vars(args), measured, baseline, ratios,
                              ab.target(ratios, "badge_ratio", TARGET)))


if __name__ == "__main__":
    main()
