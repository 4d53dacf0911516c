"""``--profile DIR``: py-spy sampling the real server processes while a benchmark runs.

Why py-spy: it samples another process from outside (ptrace, ``--nonblocking`` so the
target is never paused), needs no change to the code measured and costs the target
nothing but the sampler's own CPU (~2-5 % of a core at 250 Hz), so the figures with and
without it stay comparable. py-spy's default drops threads it sees idle in a system call,
but not all of them: a thread-pool worker waiting on its queue, kombu's ``epoll``, grpc's
wait for a request and psycopg's wait for an answer still show up at times. In a busy
process a stage's share is close to its share of the CPU; in a mostly idle one (e2e at
50 events/s) those waits inflate the framework stages, so check a stage that matters
with a CPU-timed profile of its own (cProfile with ``time.thread_time``).

Each process gets ``DIR/<name>.folded`` (collapsed stacks, py-spy's ``raw`` format) and
``DIR/<name>.svg`` (a flame graph drawn from it by :func:`flame_svg`), and the run gets a
table (``stages``): for each process, the share of its samples per stage of a progress
event (:data:`STAGES`, first rule matching from the innermost frame outwards) and those
shares turned into CPU milliseconds per event with the process's CPU time (``/proc``).
"""

from __future__ import annotations

import html
import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from cpu import cpu_seconds

RATE = 250  # samples per second per process
# (stage, substrings of a py-spy frame "function (path:line)"). The innermost frame that
# matches one of the app's stages names the stage of a sample; a sample in none of them
# (framework work around the app) takes the innermost framework rule that matches.
APP_STAGES: list[tuple[str, tuple[str, ...]]] = [
    ("commit", ("commit (sqlalchemy/orm/session.py", "Session.commit (", "Connection.commit (")),
    ("logging", ("logging/__init__.py", "app/infra/logs.py", "pythonjsonlogger")),
    ("metrics", ("app/infra/metrics/", "prometheus_client/")),
    ("publish", ("app/infra/pubsub/", "app/services/awarding/publishing.py")),
    ("enqueue", ("app/services/recording/dispatch.py", "app/infra/gate.py")),
    ("recording SQL", ("app/infra/event_rows.py", "app/services/recording/")),
    ("rule evaluation", ("app/domain/",)),
    ("detection SQL", ("app/services/awarding/", "app/infra/bulk.py")),
    ("SSE read", ("app/read/live.py", "app/web/sse.py")),
    ("auth", ("app/web/api/security.py", "app/services/accounts", "app/web/auth.py")),
]
FRAMEWORK_STAGES: list[tuple[str, tuple[str, ...]]] = [
    ("request parsing", ("webargs/", "marshmallow/", "flask_smorest/arguments.py",
                         "werkzeug/wrappers/request.py", "werkzeug/sansio/request.py",
                         "werkzeug/formparser.py")),
    ("response", ("flask_smorest/response.py", "app/web/security_headers.py",
                  "app/web/i18n.py", "werkzeug/wrappers/response.py")),
    ("web framework", ("flask/", "werkzeug/", "flask_smorest/", "app/web/")),
    ("HTTP + SSE write", ("Response.write (gunicorn", "Response.send_headers (gunicorn",
                          "Response.close (gunicorn", "gunicorn/util.py")),
    ("http server", ("gunicorn/", "gevent/pywsgi.py", "gevent/baseserver.py")),
    ("celery / kombu", ("celery/", "kombu/", "billiard/", "workers/")),
    ("gevent hub", ("Hub.run (gevent/hub.py",)),
]
STAGES = APP_STAGES + FRAMEWORK_STAGES
"""Frames of libraries under many stages (gevent sockets, psycopg, redis, SQLAlchemy's
engine) match no rule, so their time goes to the stage that called them."""


def available() -> str | None:
    """Why profiling cannot run here, or None."""
    if spy_binary() is None:
        return "py-spy is not installed (pip install 'py-spy>=0.4.1')"
    return None


def spy_binary() -> str | None:
    local = Path(sys.executable).with_name("py-spy")
    return str(local) if local.exists() else shutil.which("py-spy")


class Profiler:
    """py-spy on named processes, from :meth:`attach` to :meth:`stop`; nothing when
    ``directory`` is None, so a benchmark calls it unconditionally."""

    def __init__(self, directory: str | Path | None, rate: int = RATE) -> None:
        self.directory = Path(directory) if directory else None
        self.rate = rate
        self.spies: dict[str, tuple[subprocess.Popen[bytes], list[int], float]] = {}
        if self.directory is not None:
            if why := available():
                raise SystemExit(why)
            self.directory.mkdir(parents=True, exist_ok=True)

    def attach(self, name: str, pid: int) -> None:
        """Start sampling ``pid`` and its threads (its CPU time is read from now on)."""
        if self.directory is None:
            return
        command = [str(spy_binary()), "record", "--pid", str(pid), "--rate", str(self.rate),
                   "--nonblocking", "--format", "raw", "-o", str(self.folded(name))]
        spy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.spies[name] = (spy, [pid], cpu_seconds(pid))

    def folded(self, name: str) -> Path:
        assert self.directory is not None
        return self.directory / f"{name}.folded"

    def stop(self, events: int) -> dict[str, Any] | None:
        """Stop every sampler, write the SVGs; the per-stage table (None when off)."""
        if self.directory is None:
            return None
        table = {}
        for name, (spy, pids, cpu_before) in self.spies.items():
            cpu = cpu_seconds(pids[0]) - cpu_before
            spy.send_signal(signal.SIGINT)
            spy.wait(timeout=60)
            stacks = read_folded(self.folded(name))
            self.directory.joinpath(f"{name}.svg").write_text(flame_svg(stacks, name))
            table[name] = stage_table(stacks, cpu, events)
        return {"directory": str(self.directory), "rate_hz": self.rate, "processes": table}


def read_folded(path: Path) -> Counter[str]:
    stacks: Counter[str] = Counter()
    if not path.exists():
        return stacks
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks[stack] += int(count)
    return stacks


def stage_of(stack: str) -> str:
    """The stage of one sample: the app's stage of the innermost frame in one, else the
    framework's."""
    frames = stack.split(";")[::-1]
    for rules in (APP_STAGES, FRAMEWORK_STAGES):
        for frame in frames:
            for stage, needles in rules:
                if any(needle in frame for needle in needles):
                    return stage
    return "other"


def stage_table(stacks: Counter[str], cpu_s: float, events: int) -> dict[str, Any]:
    """Per stage: share of the samples (%) and CPU ms per event; biggest first."""
    per_stage: Counter[str] = Counter()
    for stack, count in stacks.items():
        per_stage[stage_of(stack)] += count
    total = sum(per_stage.values()) or 1
    ms_per_event = 1000 * cpu_s / events if events else 0.0
    return {"samples": total, "cpu_ms_per_event": round(ms_per_event, 3),
            "stages": {stage: {"pct": round(100 * n / total, 1),
                               "ms": round(ms_per_event * n / total, 3)}
                       for stage, n in per_stage.most_common()}}


def markdown(profile: dict[str, Any]) -> str:
    """The table for bench/README.md: one column per process, ms per event (share %)."""
    processes = profile["processes"]
    stages = [s for s, _ in STAGES] + ["other"]
    lines = ["| stage | " + " | ".join(processes) + " |",
             "|---" * (len(processes) + 1) + "|"]
    for stage in stages:
        cells = [_cell(table["stages"].get(stage)) for table in processes.values()]
        if any(cell != "-" for cell in cells):
            lines.append(f"| {stage} | " + " | ".join(cells) + " |")
    totals = [f"{t['cpu_ms_per_event']:.3f} ms" for t in processes.values()]
    lines.append("| **CPU per event** | " + " | ".join(totals) + " |")
    return "\n".join(lines)


def _cell(entry: dict[str, float] | None) -> str:
    return "-" if not entry else f"{entry['ms']:.3f} ({entry['pct']:.0f} %)"


# -- flame graph ------------------------------------------------------------------------

WIDTH, ROW = 1200, 16


def flame_svg(stacks: Counter[str], title: str, cut: float = 0.001) -> str:
    """A flame graph (root at the bottom; width = samples) as a standalone SVG; each box
    names its frame, its samples and its share in a tooltip. Frames under ``cut`` of the
    samples are left out."""
    tree = _tree(stacks)
    total = tree["n"] or 1
    bottom = (_depth(tree, total, cut) + 2) * ROW + 24
    boxes: list[str] = []
    _draw(tree, 0.0, 0, total, bottom, boxes, cut)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{bottom + 4}" '
            f'font-family="monospace" font-size="11">'
            f'<rect width="100%" height="100%" fill="#fff"/>'
            f'<text x="4" y="14">{html.escape(title)}: {total} samples</text>'
            + "".join(boxes) + "</svg>\n")


def _tree(stacks: Counter[str]) -> dict[str, Any]:
    root: dict[str, Any] = {"n": 0, "kids": {}}
    for stack, count in stacks.items():
        node = root
        node["n"] += count
        for frame in stack.split(";"):
            node = node["kids"].setdefault(frame, {"n": 0, "kids": {}})
            node["n"] += count
    return root


def _depth(node: dict[str, Any], total: int, cut: float) -> int:
    kids = [kid for kid in node["kids"].values() if kid["n"] / total >= cut]
    return 1 + max((_depth(kid, total, cut) for kid in kids), default=0) if kids else 0


def _draw(node: dict[str, Any], x: float, depth: int, total: int, bottom: int,
          boxes: list[str], cut: float) -> None:
    for frame, kid in sorted(node["kids"].items()):
        width = WIDTH * kid["n"] / total
        if kid["n"] / total >= cut:
            boxes.append(_box(frame, kid["n"], total, x, bottom - (depth + 1) * ROW, width))
            _draw(kid, x, depth + 1, total, bottom, boxes, cut)
        x += width


def _box(frame: str, count: int, total: int, x: float, top: int, width: float) -> str:
    label = html.escape(frame)
    green = 90 + sum(map(ord, frame.split(" (")[0])) % 130  # warm: red to yellow
    text = html.escape(frame[: int(width / 7)]) if width > 21 else ""
    return (f'<g><title>{label}: {count} samples ({100 * count / total:.1f} %)</title>'
            f'<rect x="{x:.1f}" y="{top}" width="{max(width - 0.5, 0.5):.1f}" height="{ROW - 1}"'
            f' fill="rgb(235,{green},55)"/>'
            f'<text x="{x + 2:.1f}" y="{top}" dy="12">{text}</text></g>')
