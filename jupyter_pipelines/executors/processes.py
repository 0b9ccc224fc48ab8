"""The processes of steps: starting them so that they die with their driver, finding every
process a step started (its tree, and what carries its marker), and stopping them.

A step's processes carry two environment variables (``STEP_MARKER``, ``RUN_MARKER``) that
their descendants inherit, so that a background child that left the step's process tree
(``cmd &`` whose shell exited, ``nohup``, a double-forked ``setsid`` daemon) is still
known as the step's. On Linux the run driver is a child subreaper: such orphans become
its children rather than init's, so it finds them among its own descendants; and each
step's first process gets a parent-death signal, so that it dies with a killed driver.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable

import psutil

#: The step run a process belongs to (set in every step process; children inherit it).
STEP_MARKER = "JUPYTER_PIPELINES_STEP_RUN_ID"
#: The pipeline run a process belongs to.
RUN_MARKER = "JUPYTER_PIPELINES_RUN_ID"
MARKERS = (STEP_MARKER, RUN_MARKER)

_PR_SET_PDEATHSIG = 1
_PR_SET_NAME = 15
_PR_SET_CHILD_SUBREAPER = 36
#: Seconds between SIGTERM and SIGKILL when processes are stopped.
GRACE_S = 3.0


def _load_prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        prctl: Callable[..., int] = libc.prctl
    except (OSError, AttributeError):
        return None
    return prctl


_prctl = _load_prctl()
_subreaper = False


def marker_env(run_id: str, step_run_id: str) -> dict[str, str]:
    """The variables that mark a step's processes as its own."""
    return {RUN_MARKER: run_id, STEP_MARKER: step_run_id}


def without_markers(env: dict[str, str]) -> dict[str, str]:
    """``env`` less the step markers (for processes that are no step's)."""
    return {k: v for k, v in env.items() if k not in MARKERS}


def become_subreaper() -> bool:
    """Make this process a child subreaper (Linux): orphaned descendants become its
    children instead of init's. True when it is one."""
    global _subreaper
    if _prctl is not None and not _subreaper:
        _subreaper = _prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    return _subreaper


def set_process_name(name: str) -> None:
    """Name this process as ``ps -e``, ``top`` and ``psutil``'s ``name()`` show it (Linux;
    at most 15 bytes): a forked process otherwise has its parent's name."""
    if _prctl is not None:
        _prctl(_PR_SET_NAME, ctypes.c_char_p(name.encode()[:15]), 0, 0, 0)


def die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` that makes the child get SIGKILL when this process dies (Linux;
    None elsewhere).

    The signal comes when the *thread* that started the child ends, so start it from a
    thread that lives as long as the child (the driver's step threads do). A parent that
    died before the child set it up is noticed by its changed parent pid.
    """
    if _prctl is None:
        return None
    prctl, parent, sigkill = _prctl, os.getpid(), int(signal.SIGKILL)

    def preexec() -> None:  # runs in the child between fork and exec: no locks, no imports
        prctl(_PR_SET_PDEATHSIG, sigkill, 0, 0, 0)
        if os.getppid() != parent:
            os.kill(os.getpid(), sigkill)

    return preexec


# -- finding a step's processes ----------------------------------------------------------
def _candidates() -> Iterable[psutil.Process]:
    """Where a step's processes can be: this subreaper's descendants, else every process."""
    if _subreaper:
        found = _proc_descendants(os.getpid())
        if found is not None:
            return found
        try:
            return psutil.Process().children(recursive=True)
        except psutil.NoSuchProcess:
            return []
    return psutil.process_iter()


def _proc_descendants(pid: int) -> list[psutil.Process] | None:
    """Descendants of ``pid`` read from ``/proc/PID/task/TID/children`` (Linux): a few
    files instead of every process's (``psutil.children`` reads them all, 2 ms and more
    after each step). None where the kernel has no such files."""
    if not os.path.exists(f"/proc/{pid}/task/{pid}/children"):
        return None
    out: list[psutil.Process] = []
    stack = [pid]
    while stack:
        parent = stack.pop()
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{parent}/task/{task}/children", "rb") as fh:
                    kids = [int(k) for k in fh.read().split()]
            except (OSError, ValueError):
                continue
            for kid in kids:
                try:
                    out.append(psutil.Process(kid))
                except psutil.Error:
                    continue
                stack.append(kid)
    return out


def marked(name: str, value: str) -> list[psutil.Process]:
    """Live processes whose environment has ``name=value`` (this process excluded)."""
    found = []
    me = os.getpid()
    for proc in _candidates():
        try:
            if proc.pid != me and proc.environ().get(name) == value:
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess, OSError):
            continue
    return found


def describe(proc: psutil.Process) -> str:
    """``pid 123: sleep 300`` (the command line, shortened)."""
    try:
        command = " ".join(proc.cmdline()) or proc.name()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        command = "?"
    if len(command) > 200:
        command = command[:197] + "..."
    return f"pid {proc.pid}: {command}"


def sweep_step(step_run_id: str, grace: float = GRACE_S) -> list[str]:
    """Stop every live process marked as step run ``step_run_id``'s; what was stopped."""
    return stop(marked(STEP_MARKER, step_run_id), grace)


def sweep_run(run_id: str, grace: float = GRACE_S) -> list[str]:
    """Stop every live process of run ``run_id``'s steps, wherever it is (this need not
    be the driver: every process is looked at); what was stopped."""
    procs = []
    me = os.getpid()
    for proc in psutil.process_iter():
        try:
            if proc.pid != me and proc.environ().get(RUN_MARKER) == run_id:
                procs.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess, OSError):
            continue
    return stop(procs, grace)


def leftovers(run_id: str, keep: Iterable[int] = ()) -> list[psutil.Process]:
    """What still runs of run ``run_id``'s steps once every step ended (in its driver).

    As a subreaper, every descendant but ``keep``: an orphan that also cleared its
    environment carries no marker, yet it was adopted here. Otherwise, the processes
    marked as the run's.
    """
    if not _subreaper:
        return marked(RUN_MARKER, run_id)
    kept = set(keep) | _own_helpers()
    return [p for p in _candidates() if p.pid not in kept and _running(p)]


def _own_helpers() -> set[int]:
    """Processes this one started for itself, no step's: multiprocessing's resource tracker
    (started by a Dask LocalCluster's process workers). It ignores SIGTERM and ends by
    itself when this process does."""
    tracker_module = sys.modules.get("multiprocessing.resource_tracker")
    tracker = getattr(tracker_module, "_resource_tracker", None)
    pid = getattr(tracker, "_pid", None)
    return {pid} if isinstance(pid, int) else set()


# -- stopping ------------------------------------------------------------------------------
def stop(procs: Iterable[psutil.Process], grace: float = GRACE_S) -> list[str]:
    """SIGTERM ``procs``, SIGKILL those alive ``grace`` seconds later; their descriptions.

    Children of this process that it did not start itself (orphans it adopted as a
    subreaper) are reaped; those it started are left to whoever waits for them.
    """
    procs = list(procs)
    described = [describe(p) for p in procs]
    adopted = [p.pid for p in procs if _parent(p) == os.getpid()]
    _send(procs, signal.SIGTERM)
    alive = _wait_gone(procs, grace)
    if alive:
        _send(alive, signal.SIGKILL)
        _wait_gone(alive, grace)
    for pid in adopted:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
    return described


def kill_tree(pid: int, grace: float = GRACE_S, found: list[str] | None = None) -> None:
    """SIGTERM ``pid``'s process group and descendants, then SIGKILL survivors.

    ``found`` gets a description of each (before any is signaled). ``pid`` itself is
    not reaped (its ``Popen`` does that).
    """
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        procs = []
    if found is not None:
        found.extend(describe(p) for p in procs if _running(p))
    _signal_group(pid, signal.SIGTERM)
    _send(procs, signal.SIGTERM)
    alive = _wait_gone(procs, grace)
    _signal_group(pid, signal.SIGKILL)
    _send(alive, signal.SIGKILL)
    _wait_gone(alive, grace)


def _parent(proc: psutil.Process) -> int | None:
    try:
        return proc.ppid()
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return None


def _send(procs: Iterable[psutil.Process], sig: int) -> None:
    for proc in procs:
        try:
            proc.send_signal(sig)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass


def _running(proc: psutil.Process) -> bool:
    """Whether ``proc`` still runs (a zombie has ended: only its parent's wait is missing)."""
    try:
        return proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _wait_gone(procs: list[psutil.Process], timeout: float) -> list[psutil.Process]:
    """Wait until each of ``procs`` has ended (gone or a zombie); those still running.

    psutil.wait_procs cannot be used: it waits on a zombie it is not the parent of for
    its whole timeout.
    """
    deadline = time.monotonic() + timeout
    alive = [p for p in procs if _running(p)]
    while alive and time.monotonic() < deadline:
        time.sleep(0.02)
        alive = [p for p in alive if _running(p)]
    return alive


def _signal_group(pid: int, sig: int) -> None:
    try:
        group = os.getpgid(pid)
        if group != os.getpgrp():  # never our own group: we would stop ourselves
            os.killpg(group, sig)
    except (ProcessLookupError, PermissionError):
        pass


# -- liveness ------------------------------------------------------------------------------
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
        return marker is not None and any(marker in part for part in _cmdline(proc))
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def _cmdline(proc: psutil.Process) -> list[str]:
    """``proc``'s command line; read again a moment later while it is empty (a process in
    the middle of ``exec`` has none yet)."""
    for _ in range(20):
        found = proc.cmdline()
        if found:
            return found
        time.sleep(0.005)
    return []


def process_start_time(pid: int) -> float | None:
    """The unix time process ``pid`` started, or None when it is gone."""
    try:
        return psutil.Process(pid).create_time()
    except psutil.NoSuchProcess:
        return None
