"""Liveness of recorded processes: start times that drift, recycled pids, dead ones."""

from __future__ import annotations

import os
import subprocess
import sys

from jupyter_pipelines.executors.processes import is_alive, process_start_time


def test_a_live_process_is_alive_despite_start_time_drift() -> None:
    started = process_start_time(os.getpid())
    assert started is not None
    assert is_alive(os.getpid(), started)
    # psutil's start time moves with the boot time it is derived from: a second of drift
    # must not make a live driver look dead (that failed runs that were finishing).
    assert is_alive(os.getpid(), started + 1.5)


def test_a_recycled_pid_is_not_the_recorded_process() -> None:
    started = process_start_time(os.getpid())
    assert started is not None
    assert not is_alive(os.getpid(), started - 3600)


def test_the_marker_in_the_command_line_identifies_the_process() -> None:
    marker = "run-3f9c2b7e"
    proc = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(30)", marker],
    )
    try:
        started = process_start_time(proc.pid)
        assert started is not None
        assert is_alive(proc.pid, started - 3600, marker=marker)
        assert not is_alive(proc.pid, started - 3600, marker="another-run")
    finally:
        proc.kill()
        proc.wait()
    assert not is_alive(proc.pid, started)


def test_no_pid_is_not_alive() -> None:
    assert not is_alive(None, None)
