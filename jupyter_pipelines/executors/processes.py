"""Stopping process trees: a step's process group and every descendant, politely then firmly."""

from __future__ import annotations

import os
import signal

import psutil


def kill_tree(pid: int, grace: float = 3.0) -> None:
    """Send SIGTERM to ``pid``'s process group and descendants, then SIGKILL to survivors."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        procs = []
    _signal_group(pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.terminate()
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(procs, timeout=grace)
    _signal_group(pid, signal.SIGKILL)
    for proc in alive:
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(alive, timeout=grace)


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(os.getpgid(pid), sig)
    except (ProcessLookupError, PermissionError):
        pass


#: How far two readings of one process's start time may differ. psutil derives it from the
#: boot time, which the kernel recomputes from the wall clock, so clock adjustments make
#: readings drift by a second or so; a recycled pid is never that close.
START_TIME_TOLERANCE_S = 2.0


def is_alive(pid: int | None, started: float | None, marker: str | None = None) -> bool:
    """Whether process ``pid`` that started at ``started`` (unix time) still runs.

    Comparing start times guards against a recycled pid. When they differ by more than the
    tolerance, a process whose command line holds ``marker`` (a run id) is still the one.
    """
    if not pid:
        return False
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        created = proc.create_time()
        if started is None or abs(created - started) < START_TIME_TOLERANCE_S:
            return True
        return marker is not None and any(marker in part for part in proc.cmdline())
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def process_start_time(pid: int) -> float | None:
    """The unix time process ``pid`` started, or None when it is gone."""
    try:
        return psutil.Process(pid).create_time()
    except psutil.NoSuchProcess:
        return None
