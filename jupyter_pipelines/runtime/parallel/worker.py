"""A worker process of ParallelRunStep: loads the entry script, calls ``init()`` once, then
``run(mini_batch)`` for each mini-batch the runner sends, answering with what it returned.

Started as ``python -m jupyter_pipelines.runtime.parallel.worker JSON`` in the step's working
folder, with its stdout and stderr going to its own log. ``sys.argv`` is the entry script
followed by the step's arguments, so that argparse in the script reads them as in v1.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import sys
import time
import traceback
from types import ModuleType
from typing import Any

from .protocol import encode, read_frame, write_all


def load_entry_script(path: str, arguments: list[str]) -> ModuleType:
    """Import the entry script as a module named after its file (not ``__main__``)."""
    folder = os.path.dirname(os.path.abspath(path))
    for entry in (os.getcwd(), folder):
        if entry not in sys.path:
            sys.path.insert(0, entry)
    sys.argv = [path, *arguments]
    name = os.path.splitext(os.path.basename(path))[0] or "entry_script"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load entry script {path!r}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # so that pickled objects of the script find their classes
    spec.loader.exec_module(module)
    if not callable(getattr(module, "run", None)):
        raise AttributeError(
            f"entry script {path!r} has no run(mini_batch) function; ParallelRunStep calls "
            "init() once per process, then run() with each mini-batch"
        )
    return module


def result_rows(result: Any, append: bool) -> tuple[list[str] | None, int]:
    """What ``run()`` returned as output lines (for ``append_row``) and its element count.

    A list (or any iterable) gives one line per element; a pandas DataFrame one line per
    row, its values separated by spaces, as v1 writes them.
    """
    if result is None:
        raise TypeError(
            "run() returned None; return a list or a pandas DataFrame with one element per "
            "input it processed"
        )
    if hasattr(result, "to_csv") and hasattr(result, "columns"):
        count = len(result)
        if not append:
            return None, count
        text = result.to_csv(sep=" ", header=False, index=False, lineterminator="\n")
        return text.splitlines(), count
    items = [result] if isinstance(result, str | bytes) else list(result)
    if not append:
        return None, len(items)
    return [_text(item) for item in items], len(items)


def _text(item: Any) -> str:
    if isinstance(item, bytes):
        return item.decode("utf-8", errors="replace")
    return str(item)


def _call(module: ModuleType, task: dict[str, Any], append: bool) -> dict[str, Any]:
    start = time.perf_counter()
    try:
        result = module.run(task["mini_batch"])
        lines, count = result_rows(result, append)
    except BaseException:
        return {
            "t": "error",
            "id": task["id"],
            "error": traceback.format_exc(),
            "seconds": time.perf_counter() - start,
        }
    return {
        "t": "done",
        "id": task["id"],
        "lines": lines,
        "count": count,
        "seconds": time.perf_counter() - start,
    }


def serve(settings: dict[str, Any]) -> int:
    """Run the worker loop until the runner closes the task pipe."""
    tasks = os.fdopen(settings["task_fd"], "rb")
    answers = settings["answer_fd"]
    append = settings["output_action"] == "append_row"
    print(f"worker {settings['worker']} (pid {os.getpid()}) starting", flush=True)
    level = str(settings.get("logging_level") or "INFO").upper()
    logging.basicConfig(
        level=getattr(logging, level, logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        module = load_entry_script(settings["entry_script"], settings["arguments"])
        init = getattr(module, "init", None)
        if callable(init):
            init()
    except BaseException:
        error = traceback.format_exc()
        print(error, file=sys.stderr, flush=True)
        write_all(answers, encode({"t": "init_error", "error": error}))
        return 1
    write_all(answers, encode({"t": "ready", "pid": os.getpid()}))
    while True:
        task = read_frame(tasks)
        if task is None:
            break
        answer = _call(module, task, append)
        if answer["t"] == "error":
            print(
                f"mini-batch {task['id']} failed:\n{answer['error']}", file=sys.stderr, flush=True
            )
        write_all(answers, encode(answer))
    shutdown = getattr(module, "shutdown", None)
    if callable(shutdown):
        shutdown()
    return 0


def main(argv: list[str]) -> int:
    return serve(json.loads(argv[0]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
