"""``app.infra.greenlets.on_fresh_greenlet``: a plain call without gevent; under gevent's
monkey-patching (a child process, as gunicorn ``-k gevent`` runs) another greenlet,
its result or exception handed back, nothing printed by gevent's failure path."""

from __future__ import annotations

import subprocess
import sys

import pytest

from app.infra.greenlets import on_fresh_greenlet, under_gevent

UNDER_GEVENT = """
from gevent import monkey
monkey.patch_all()
from gevent import getcurrent
from app.infra.greenlets import on_fresh_greenlet, under_gevent

assert under_gevent()
total, ran_on = on_fresh_greenlet(lambda a, b: (a + b, getcurrent()), 1, 2)
assert total == 3 and ran_on is not getcurrent()

def fail():
    raise LookupError("from the child")

try:
    on_fresh_greenlet(fail)
except LookupError as exc:
    frames, tb = [], exc.__traceback__
    while tb:
        frames.append(tb.tb_frame.f_code.co_name)
        tb = tb.tb_next
    assert "fail" in frames, frames  # the child's traceback travels with the exception
    print("raised", exc)
"""


def test_without_gevent_the_function_is_simply_called() -> None:
    assert not under_gevent()
    assert on_fresh_greenlet(lambda a, b: a + b, 1, 2) == 3
    with pytest.raises(LookupError):
        on_fresh_greenlet(_fail)


def test_under_gevent_it_runs_on_another_greenlet_and_raises_in_the_caller() -> None:
    done = subprocess.run([sys.executable, "-c", UNDER_GEVENT], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "raised from the child\n"
    assert done.stderr == ""  # gevent did not report the exception as a failed greenlet


def _fail() -> None:
    raise LookupError("from the caller's greenlet")
