"""The watcher of an interactive run: a small process recorded as the run's driver.

An interactive run is logged to by a kernel or script, which must not be recorded as the
run's driver: canceling a run signals its driver, and that would stop the user's kernel.
This process stands in for it. It ends the run as ``Canceled`` when it is asked to stop
(``PipelineRun.cancel``, the sidebar's Cancel), as ``Failed`` when the process that started
the run exits before completing it, and exits by itself once the run has ended.

    python -m jupyter_pipelines.engine.interactive_watch WORKSPACE_DB RUN_ID PARENT_PID
"""

from __future__ import annotations

import os
import signal
import sys
import time
from types import FrameType

from ..errors import PipelinesError
from ..stores import status as st
from ..stores.runstore import RunStore

POLL_SECONDS = 0.25
#: The line the watcher prints once it handles SIGTERM.
READY = "watching"
_ACTIVE = set(st.ALL) - st.TERMINAL


def watch(store: RunStore, run_id: str, parent_pid: int) -> str:
    """Watch run ``run_id`` until it ends; the reason the watch ended."""
    stop: list[int] = []

    def on_term(signum: int, frame: FrameType | None) -> None:
        stop.append(signum)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # an interrupted kernel keeps its run
    # Tell the starter that a cancel can be handled from now on; stdout then joins the log.
    sys.stdout.write(f"{READY}\n")
    sys.stdout.flush()
    os.dup2(2, 1)
    while True:
        if stop:
            store.set_run_status_if(
                run_id, _ACTIVE, "run canceled", status=st.CANCELED, ended=time.time()
            )
            return "canceled"
        if os.getppid() != parent_pid:
            reason = (
                f"the process that started this interactive run (pid {parent_pid}) exited "
                "before completing it"
            )
            store.set_run_status_if(
                run_id, _ACTIVE, reason, status=st.FAILED, ended=time.time(), error=reason
            )
            return "orphaned"
        if store.get_run(run_id).status in st.TERMINAL:
            return "ended"
        time.sleep(POLL_SECONDS)


def main(argv: list[str]) -> int:
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    db, run_id, parent = argv[1], argv[2], int(argv[3])
    try:
        outcome = watch(RunStore(db), run_id, parent)
    except PipelinesError as exc:
        print(f"interactive run {run_id}: watcher stopped: {exc}", file=sys.stderr)
        return 1
    print(f"interactive run {run_id}: watch ended ({outcome})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
