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


def is_alive(pid: int | None, started: float | None) -> bool:
    """Whether process ``pid`` that started at ``started`` (unix time) still runs.

    Comparing start times guards against a recycled pid.
    """
    if not pid:
        return False
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        created = proc.create_time()
    except psutil.NoSuchProcess:
        return False
    return started is None or abs(created - started) < 1.0


def process_start_time(pid: int) -> float | None:
    """The unix time process ``pid`` started, or None when it is gone."""
    try:
        return psutil.Process(pid).create_time()
    except psutil.NoSuchProcess:
        return None
