"""CPU time spent by process trees, from Linux ``/proc``: where a benchmark's cores went.

A process's ``utime + stime`` covers all its threads; ``cutime + cstime`` adds
the children it has reaped, so a tree's total still counts a PostgreSQL backend
or a prefork child that exited during the measurement. Take a :class:`CpuMeter`
reading before and after the measured phase and divide the deltas by the work done.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None


def _children(pid: int) -> list[int]:
    """Live children of ``pid``; none once it has exited (a PostgreSQL backend can end
    between its parent's listing and this read)."""
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except (FileNotFoundError, ProcessLookupError):
        return []
    found: list[int] = []
    for task in tasks:
        try:
            found.extend(int(child) for child in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return found


def cpu_seconds(pid: int) -> float:
    """CPU seconds of ``pid`` alone (all its threads), 0 once it has exited."""
    fields = _stat(pid)
    return 0.0 if fields is None else (int(fields[11]) + int(fields[12])) / TICK


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of ``pid``, its reaped children and its live descendants."""
    fields = _stat(pid)
    if fields is None:
        return 0.0
    own = sum(int(fields[i]) for i in (11, 12, 13, 14)) / TICK  # utime stime cutime cstime
    return own + sum(tree_cpu_seconds(child) for child in _children(pid))


def roots_named(name: str) -> list[int]:
    """Processes whose command is ``name`` and whose parent's is not (a postmaster, a
    redis-server): each tree counted once."""
    def comm(pid: int | str) -> str:
        try:
            return Path(f"/proc/{pid}/comm").read_text().strip()
        except (FileNotFoundError, ProcessLookupError):
            return ""

    roots = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and comm(entry.name) == name:
            fields = _stat(int(entry.name))
            if fields is not None and comm(fields[1]) != name:
                roots.append(int(entry.name))
    return roots


class CpuMeter:
    """CPU seconds per named group of process trees, since :meth:`start`."""

    def __init__(self, groups: dict[str, Iterable[int]]) -> None:
        self.groups = {name: list(pids) for name, pids in groups.items()}
        self.before: dict[str, float] = {}

    def read(self) -> dict[str, float]:
        return {name: sum(tree_cpu_seconds(pid) for pid in pids)
                for name, pids in self.groups.items()}

    def start(self) -> CpuMeter:
        self.before = self.read()
        return self

    def spent(self) -> dict[str, float]:
        """CPU seconds per group since :meth:`start` (the meter keeps running)."""
        after = self.read()
        return {name: after[name] - self.before[name] for name in after}


def per_event_ms(seconds: dict[str, float], events: int) -> dict[str, float]:
    """CPU milliseconds per event for each group, and their total."""
    spent = {name: round(1000 * value / events, 3) for name, value in seconds.items()}
    return {**spent, "total": round(sum(spent.values()), 3)}
