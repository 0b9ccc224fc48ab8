"""The mini-batch runner of ParallelRunStep with real worker processes, without the engine:
dynamic scheduling, retries, timeouts, a killed worker, error thresholds, the cache, logs.

Each test writes an entry script and input files into ``tmp_path`` and runs
``python -m jupyter_pipelines.runtime.parallel --config JSON`` there, as the step does.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration

#: An entry script whose behaviour each test steers through files in ``ctl/``: a file
#: ``fail_once_<name>`` makes the mini-batch holding input ``<name>`` fail on its first
#: attempt, ``fail_<name>`` on every attempt, ``sleep_once_<name>`` sleep past the timeout
#: once, ``kill_once_<name>`` kill its own worker once. Every call is logged in ``calls/``.
ENTRY = """\
import argparse, os, signal, time, uuid

def init():
    global args, ctl
    parser = argparse.ArgumentParser()
    parser.add_argument("--ctl")
    parser.add_argument("--scale", type=int, default=1)
    args, _ = parser.parse_known_args()
    ctl = args.ctl
    open(os.path.join(ctl, "inits", f"{os.getpid()}"), "w").close()

def _once(flag):
    path = os.path.join(ctl, flag)
    if os.path.exists(path):
        os.unlink(path)
        return True
    return False

def run(mini_batch):
    names = [os.path.basename(p) for p in mini_batch]
    with open(os.path.join(ctl, "calls", f"{os.getpid()}-{uuid.uuid4().hex}"), "w") as fh:
        fh.write(" ".join(names))
    for name in names:
        if _once(f"fail_once_{name}"):
            raise ValueError(f"transient failure on {name}")
        if os.path.exists(os.path.join(ctl, f"fail_{name}")):
            raise ValueError(f"permanent failure on {name}")
        if _once(f"sleep_once_{name}"):
            time.sleep(30)
        if _once(f"kill_once_{name}"):
            os.kill(os.getpid(), signal.SIGKILL)
    return [f"{n} {int(open(p).read()) * args.scale}" for n, p in zip(names, mini_batch)]
"""


class Runner:
    """A folder with inputs, an entry script and a control folder; ``run`` runs the runner."""

    def __init__(self, root: Path, files: int = 12) -> None:
        self.root = root
        self.code = root / "code"
        self.inputs = root / "in"
        self.ctl = root / "ctl"
        for folder in (self.code, self.inputs, self.ctl / "calls", self.ctl / "inits"):
            folder.mkdir(parents=True)
        (self.code / "score.py").write_text(ENTRY)
        for i in range(files):
            (self.inputs / f"f{i:03d}").write_text(str(i))
        self.cache = root / "cache"
        self.cache.mkdir()

    def config(self, **changes: Any) -> dict[str, Any]:
        config: dict[str, Any] = {
            "step_name": "score",
            "entry_script": "score.py",
            "inputs": [{"name": "numbers", "path": str(self.inputs)}],
            "output_dir": str(self.root / "out"),
            "arguments": ["--ctl", str(self.ctl)],
            "workers": 2,
            "mini_batch_size": 3,
            "run_invocation_timeout": 20,
            "run_max_try": 3,
            "error_threshold": -1,
            "logs_dir": str(self.root / "logs"),
        }
        config.update(changes)
        return config

    def run(self, **changes: Any) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "jupyter_pipelines.runtime.parallel"]
        argv += ["--config", json.dumps(self.config(**changes))]
        return subprocess.run(
            argv, cwd=self.code, capture_output=True, text=True, timeout=120, check=False
        )

    def flag(self, name: str) -> None:
        (self.ctl / name).write_text("")

    def rows(self) -> list[str]:
        return (self.root / "out" / "parallel_run_step.txt").read_text().splitlines()

    def progress(self) -> dict[str, Any]:
        return json.loads((self.root / "logs" / "progress.json").read_text())

    def calls(self) -> list[str]:
        return sorted(p.read_text() for p in (self.ctl / "calls").iterdir())


@pytest.fixture
def runner(tmp_path: Path) -> Runner:
    return Runner(tmp_path)


def expected(files: int = 12, scale: int = 1, skip: tuple[int, ...] = ()) -> list[str]:
    return [f"f{i:03d} {i * scale}" for i in range(files) if i not in skip]


def test_rows_are_appended_in_input_order_and_init_runs_once_per_worker(runner: Runner) -> None:
    done = runner.run(arguments=["--ctl", str(runner.ctl), "--scale", "7"])
    assert done.returncode == 0, done.stderr
    assert runner.rows() == expected(scale=7)
    inits = {p.name for p in (runner.ctl / "inits").iterdir()}
    callers = {p.name.split("-")[0] for p in (runner.ctl / "calls").iterdir()}
    assert callers <= inits and len(inits) <= 2  # init() once in each worker that ran
    assert len(runner.calls()) == 4  # 12 files, 3 per mini-batch
    progress = runner.progress()
    assert (progress["total"], progress["done"], progress["state"]) == (4, 4, "finished")
    assert progress["rows"] == 12 and progress["workers"] == 2
    assert "mini-batches 4/4" in done.stdout
    logs = runner.root / "logs"
    assert (logs / "user" / "worker_0.txt").is_file() and (logs / "user" / "worker_1.txt").is_file()
    report = (logs / "processed_mini-batches.csv").read_text().splitlines()
    assert report[0].startswith("index,input,items,status") and len(report) == 5


def test_a_mini_batch_that_fails_once_is_retried_and_succeeds(runner: Runner) -> None:
    runner.flag("fail_once_f004")
    done = runner.run()
    assert done.returncode == 0, done.stderr
    assert runner.rows() == expected()
    progress = runner.progress()
    assert (progress["retried"], progress["failed"]) == (1, 0)
    errors = (runner.root / "logs" / "user" / "error.txt").read_text()
    assert "attempt 1" in errors and "transient failure on f004" in errors


def test_a_mini_batch_that_always_fails_within_the_thresholds_is_left_out(runner: Runner) -> None:
    runner.flag("fail_f007")
    done = runner.run(error_threshold=3, run_max_try=2)
    assert done.returncode == 0, done.stderr
    assert runner.rows() == expected(skip=(6, 7, 8))  # its mini-batch holds f006..f008
    progress = runner.progress()
    assert (progress["failed"], progress["failed_items"], progress["retried"]) == (1, 3, 1)
    assert "1 mini-batch(es) failed, within the error thresholds" in done.stdout


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        ({"error_threshold": 2}, "error_threshold 2 exceeded: 3 item(s) failed"),
        ({"allowed_failed_count": 0}, "allowed_failed_count 0 exceeded: 1 mini-batches failed"),
        ({"allowed_failed_percent": 20}, "allowed_failed_percent 20 exceeded: 1 of 4"),
    ],
)
def test_a_mini_batch_that_always_fails_beyond_a_threshold_fails_the_step(
    runner: Runner, limits: dict[str, Any], message: str
) -> None:
    runner.flag("fail_f007")
    done = runner.run(run_max_try=2, **limits)
    assert done.returncode == 1
    assert message in done.stderr
    assert runner.progress()["state"] == "failed"


def test_a_mini_batch_past_its_timeout_is_stopped_and_retried(runner: Runner) -> None:
    runner.flag("sleep_once_f010")
    done = runner.run(run_invocation_timeout=2)
    assert done.returncode == 0, done.stderr
    assert runner.rows() == expected()
    progress = runner.progress()
    assert progress["retried"] == 1 and progress["workers_replaced"] == 1
    errors = (runner.root / "logs" / "user" / "error.txt").read_text()
    assert "run_invocation_timeout (2 s)" in errors
    assert progress["elapsed_s"] < 25  # the sleeping worker did not hold the step for 30 s


def test_a_killed_worker_is_replaced_and_its_mini_batch_retried(runner: Runner) -> None:
    runner.flag("kill_once_f001")
    done = runner.run()
    assert done.returncode == 0, done.stderr
    assert runner.rows() == expected()
    progress = runner.progress()
    assert progress["workers_replaced"] == 1 and progress["retried"] == 1
    errors = (runner.root / "logs" / "user" / "error.txt").read_text()
    assert "killed by signal 9 (SIGKILL)" in errors
    killed = {p.name.split("-")[0] for p in (runner.ctl / "calls").iterdir()}
    assert len(killed) >= 2  # the killed worker's mini-batch ran again in another one


def test_init_that_keeps_failing_fails_the_step_with_its_error(runner: Runner) -> None:
    (runner.code / "score.py").write_text("def init():\n    raise RuntimeError('no model')\n\n"
                                          "def run(b):\n    return b\n")  # fmt: skip
    done = runner.run(run_max_try=2)
    assert done.returncode == 1
    assert "init() of 'score.py' failed 2 times: RuntimeError: no model" in done.stderr


def test_summary_only_counts_rows_and_writes_no_file(runner: Runner) -> None:
    done = runner.run(output_action="summary_only", output_dir=None)
    assert done.returncode == 0, done.stderr
    assert not (runner.root / "out").exists()
    assert runner.progress()["rows"] == 12


def test_the_cache_runs_only_changed_mini_batches_and_keeps_the_order(runner: Runner) -> None:
    first = runner.run(cache_dir=str(runner.cache))
    assert first.returncode == 0, first.stderr
    (runner.inputs / "f005").write_text("50")
    for call in (runner.ctl / "calls").iterdir():
        call.unlink()
    again = runner.run(cache_dir=str(runner.cache))
    assert again.returncode == 0, again.stderr
    assert runner.calls() == ["f003 f004 f005"]  # only the mini-batch holding f005 ran
    assert runner.rows() == [r if r != "f005 5" else "f005 50" for r in expected()]
    assert runner.progress()["from_cache"] == 3
    changed_args = runner.run(
        cache_dir=str(runner.cache), arguments=["--ctl", str(runner.ctl), "--scale", "2"]
    )
    assert changed_args.returncode == 0
    assert runner.progress()["from_cache"] == 0  # other arguments: other results


def test_a_new_model_version_makes_every_mini_batch_run_again(runner: Runner) -> None:
    models = runner.root / "models"
    (models / "inception" / "1").mkdir(parents=True)
    settings = {"cache_dir": str(runner.cache), "models_dir": str(models)}
    assert runner.run(**settings).returncode == 0
    assert runner.run(**settings).returncode == 0
    assert runner.progress()["from_cache"] == 4
    (models / "inception" / "2").mkdir()  # Model.register: a version an init() may load
    assert runner.run(**settings).returncode == 0
    assert runner.progress()["from_cache"] == 0


def test_a_cache_folder_that_is_not_there_means_every_mini_batch_runs(runner: Runner) -> None:
    done = runner.run(cache_dir=str(runner.root / "elsewhere" / "cache"))
    assert done.returncode == 0, done.stderr
    done = runner.run(cache_dir=str(runner.root / "elsewhere" / "cache"))
    assert runner.progress()["from_cache"] == 0 and len(runner.calls()) == 8


def test_a_bad_configuration_is_refused_with_exit_status_2(runner: Runner) -> None:
    argv = [sys.executable, "-m", "jupyter_pipelines.runtime.parallel", "--config", "{}"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "lacks step_name, entry_script, inputs" in done.stderr


def test_entry_script_without_run_is_an_init_failure(runner: Runner) -> None:
    (runner.code / "score.py").write_text(textwrap.dedent("def init():\n    pass\n"))
    done = runner.run(run_max_try=1)
    assert done.returncode == 1
    assert "has no run(mini_batch) function" in done.stderr


def test_a_stat_cache_that_cannot_be_made_here_is_left_out(runner: Runner) -> None:
    """As in a container that mounts the mini-batch cache but not the stat cache's folder
    (making it there fails: here a file stands where its folder should be)."""
    (runner.root / "blocker").write_text("")
    time.sleep(2.1)  # older than the stat cache's racy window: their hashes would be stored
    settings = {"cache_dir": str(runner.cache), "stat_cache": str(runner.root / "blocker/x/s.db")}
    done = runner.run(**settings)
    assert done.returncode == 0, done.stderr
    assert runner.run(**settings).returncode == 0
    assert runner.progress()["from_cache"] == 4 and runner.rows() == expected()


def test_a_link_to_a_file_not_reachable_fails_the_step_naming_it(runner: Runner) -> None:
    """Never a step that finishes without the files it could not see."""
    (runner.inputs / "f100").symlink_to(runner.root / "not-here")
    done = runner.run()
    assert done.returncode == 1
    assert f"{str(runner.inputs / 'f100')!r} is a link to" in done.stderr
    assert "not reachable where the step runs" in done.stderr
    assert runner.calls() == []
