"""Step reuse in whole runs: what is reused, what reruns and why, and bad input around it."""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from jupyter_pipelines import (
    Experiment,
    NotebookStep,
    Pipeline,
    PipelineData,
    PipelineParameter,
    PipelineRun,
    PythonScriptStep,
)
from jupyter_pipelines.engine.submit import start_driver, submit_pipeline
from jupyter_pipelines.reuse import snapshot as snapshot_module
from jupyter_pipelines.reuse.snapshot import SnapshotError
from jupyter_pipelines.stores import status as st
from tests.integration.reuse_support import Chain, describe_failure, ran, reason
from tests.integration.support import Project, steps_by_name, wait_until

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def chain(project: Project) -> Chain:
    return Chain(project)


# -- full reuse --------------------------------------------------------------------------
def test_a_second_submit_is_fully_reused_without_a_driver(
    chain: Chain, project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    exp = project.experiment("reuse")
    first = exp.submit(chain.pipeline())
    assert first.wait_for_completion(show_output=False) == st.FINISHED
    printed = capsys.readouterr().out
    assert "gen: will run (no earlier run of this step)" in printed
    assert "use: will run unless reused" in printed

    second = exp.submit(chain.pipeline())
    printed = capsys.readouterr().out
    # Decided at submit: finished at once, and no driver was started.
    record = project.ws.run_store.get_run(second.id)
    assert record.status == st.FINISHED and record.driver_pid is None
    assert not (project.ws.runs_dir / second.id / "driver.log").exists()

    old, new = steps_by_name(first), steps_by_name(second)
    for name in ("gen", "use"):
        step = new[name]
        assert step.status == st.FINISHED
        assert step.is_reused and step.reused_from == old[name].id
        assert f"{name}: reuses step run {old[name].id}" in printed
        assert step.get_logs() == old[name].get_logs()
        assert step.get_metrics() == old[name].get_metrics()
        info = step.get_reuse_info()
        assert info["reused"] and info["source_run"] == first.id
        assert info["fingerprint"] == old[name].get_reuse_info()["fingerprint"]
    assert "gen wrote a" in new["gen"].get_logs()["stdout"]
    assert new["gen"].get_metrics() == {"value": "a"}
    assert new["use"].get_metrics() == {"length": 1}
    # Outputs by reference: the reused step points at the source's folders.
    assert new["use"].get_output_path("result") == old["use"].get_output_path("result")
    assert (new["use"].get_output_path("result") / "result.txt").read_text() == "A"
    # A reused step is not a source of its own: a third run points at the original.
    third = exp.submit(chain.pipeline(), show_output=False)
    assert steps_by_name(third)["gen"].reused_from == old["gen"].id


def test_a_reused_notebook_step_and_a_changed_notebook_parameter(project: Project) -> None:
    project.notebook("nb/square.ipynb", "alpha = 2\n", "print('square', alpha * alpha)\n")

    def pipeline() -> Pipeline:
        alpha = PipelineParameter("alpha", 2)
        step = NotebookStep(
            "square.ipynb", source_directory="nb", name="square", parameters={"alpha": alpha}
        )
        return Pipeline(steps=[step], name="nb")

    exp = project.experiment("nb")
    first = exp.submit(pipeline(), show_output=False)
    first.wait_for_completion(show_output=False)
    again = exp.submit(pipeline(), show_output=False)
    assert again.get_status() == st.FINISHED and ran(again) == {"square": False}
    assert "square 4" in again.get_step_run("square").get_logs()["stdout"]
    changed = exp.submit(pipeline(), pipeline_parameters={"alpha": 3}, show_output=False)
    changed.wait_for_completion(show_output=False)
    assert ran(changed) == {"square": True}
    assert "square 9" in changed.get_step_run("square").get_logs()["stdout"]
    [diff] = changed.get_step_run("square").get_reuse_info()["differences"]
    assert (diff["component"], diff["old"], diff["new"]) == ("parameters.alpha", 2, 3)


# -- what makes a step rerun -------------------------------------------------------------
def test_a_code_change_reruns_that_step_and_unchanged_output_cuts_off_downstream(
    chain: Chain, project: Project
) -> None:
    first = chain.run(report=True)
    gen_py = project.root / "gen" / "gen.py"
    gen_py.write_text(gen_py.read_text() + "# a comment changes the code, not the output\n")
    second = chain.run(report=True)
    assert ran(second) == {"gen": True, "use": False, "report": False}
    info = second.get_step_run("gen").get_reuse_info()
    assert info["reason"] == "the code changed (changed: gen.py)"
    assert [d["component"] for d in info["differences"]] == ["code"]
    assert info["compared_with"]["run_id"] == first.id
    # Early cutoff: gen's output is identical, so use is reused from the first run.
    assert second.get_step_run("use").reused_from == first.get_step_run("use").id
    assert "reuses step run" in reason(second, "use")
    # ... and so is the step after it, decided in turn once use is settled.
    assert second.get_step_run("report").reused_from == first.get_step_run("report").id

    (project.root / "gen" / "helper.py").write_text("X = 1\n")
    third = chain.run(report=True)
    assert ran(third) == {"gen": True, "use": False, "report": False}
    assert reason(third, "gen") == "the code changed (added: helper.py)"


def test_a_changed_parameter_reruns_and_changed_content_reruns_downstream(
    chain: Chain, project: Project
) -> None:
    chain.run()
    second = chain.run(pipeline_parameters={"value": "b"})
    assert ran(second) == {"gen": True, "use": True}
    gen_diffs = second.get_step_run("gen").get_reuse_info()["differences"]
    assert [d["component"] for d in gen_diffs] == ["parameters.value"]
    assert gen_diffs[0]["detail"] == "parameter 'value' changed: 'a' -> 'b'"
    use_info = second.get_step_run("use").get_reuse_info()
    assert use_info["reason"].startswith("input 'data' changed content:")
    assert [d["component"] for d in use_info["differences"]] == ["inputs.data"]
    assert (second.get_step_run("use").get_output_path("result") / "result.txt").read_text() == "B"

    third = chain.run(pipeline_parameters={"value": "b", "mode": "slow"})
    assert ran(third) == {"gen": True, "use": False}  # same data: downstream cut off
    [diff] = third.get_step_run("gen").get_reuse_info()["differences"]
    assert diff["detail"] == "parameter 'mode' changed: 'fast' -> 'slow'"
    assert "mode slow" in third.get_step_run("gen").get_logs()["stdout"]


def test_a_changed_literal_argument_reruns(chain: Chain) -> None:
    chain.run(note="x")
    second = chain.run(note="y")
    assert ran(second) == {"gen": True, "use": False}
    [diff] = second.get_step_run("gen").get_reuse_info()["differences"]
    assert diff["component"] == "arguments"
    assert diff["old"][-2:] == ["--note", "x"] and diff["new"][-2:] == ["--note", "y"]


def test_allow_reuse_false_always_runs(chain: Chain, project: Project) -> None:
    first = chain.run(gen_reuse=False)
    second = project.experiment("reuse").submit(chain.pipeline(gen_reuse=False), show_output=False)
    assert project.ws.run_store.get_run(second.id).status != st.FINISHED  # a driver runs it
    assert second.wait_for_completion(show_output=False) == st.FINISHED
    assert ran(second) == {"gen": True, "use": False}
    assert reason(second, "gen") == "allow_reuse=False"
    assert second.get_step_run("use").reused_from == first.get_step_run("use").id


def test_regenerate_outputs_runs_everything(chain: Chain, project: Project) -> None:
    chain.run()
    second = chain.run(regenerate_outputs=True)
    assert ran(second) == {"gen": True, "use": True}
    assert reason(second, "gen") == "regenerate_outputs=True"
    assert reason(second, "use") == "regenerate_outputs=True"
    # Its results are reuse sources like any other.
    third = project.experiment("reuse").submit(chain.pipeline(), show_output=False)
    assert third.get_step_run("gen").reused_from == second.get_step_run("gen").id


def test_hash_paths_let_steps_share_a_source_folder(project: Project) -> None:
    project.script("shared/one.py", "print('one', 1)\n")
    project.script("shared/two.py", "print('two', 1)\n")

    def pipeline() -> Pipeline:
        kwargs = {"source_directory": "shared"}
        one = PythonScriptStep("one.py", name="one", hash_paths=["one.py"], **kwargs)
        two = PythonScriptStep("two.py", name="two", hash_paths=["two.py"], **kwargs)
        return Pipeline(steps=[one, two], name="shared")

    exp = project.experiment("shared")
    exp.submit(pipeline(), show_output=False).wait_for_completion(show_output=False)
    (project.root / "shared" / "two.py").write_text("print('two', 2)\n")
    second = exp.submit(pipeline(), show_output=False)
    second.wait_for_completion(show_output=False)
    assert ran(second) == {"one": False, "two": True}
    assert "two 2" in second.get_step_run("two").get_logs()["stdout"]
    # The step runs from the whole snapshot: both files are in its code folder.
    code = second.get_step_run("two").step_dir / "code"
    assert sorted(p.name for p in code.iterdir()) == ["one.py", "two.py"]


def test_ignored_files_do_not_rerun_a_step(project: Project) -> None:
    project.script("a/a.py", "import os; print(sorted(os.listdir('.')))\n")
    project.script("a/.amlignore", "data/\n")
    project.script("a/data/big.csv", "1,2\n")
    project.script("b/b.py", "import os; print(sorted(os.listdir('.')))\n")
    project.script("b/.gitignore", "*.log\n")
    project.script("b/run.log", "log 1\n")

    def pipeline() -> Pipeline:
        return Pipeline(
            steps=[
                PythonScriptStep("a.py", name="a", source_directory="a"),
                PythonScriptStep("b.py", name="b", source_directory="b"),
            ]
        )

    exp = project.experiment("ignore")
    first = exp.submit(pipeline(), show_output=False)
    first.wait_for_completion(show_output=False)
    assert "['.amlignore', 'a.py']" in first.get_step_run("a").get_logs()["stdout"]
    assert "['.gitignore', 'b.py']" in first.get_step_run("b").get_logs()["stdout"]
    (project.root / "a/data/big.csv").write_text("3,4,5\n")
    (project.root / "a/data/new.csv").write_text("6\n")
    (project.root / "b/run.log").write_text("log 2\n")
    second = exp.submit(pipeline(), show_output=False)
    assert second.get_status() == st.FINISHED and ran(second) == {"a": False, "b": False}
    (project.root / "b/notes.txt").write_text("not ignored\n")
    third = exp.submit(pipeline(), show_output=False)
    third.wait_for_completion(show_output=False)
    assert ran(third) == {"a": False, "b": True}
    assert reason(third, "b") == "the code changed (added: notes.txt)"


SLOW = """\
    import os, sys, time
    started, go = sys.argv[1], sys.argv[2]
    open(started, "w").close()
    deadline = time.time() + 30
    while not os.path.exists(go) and time.time() < deadline:
        time.sleep(0.02)
    import helper
    print("message:", open("message.txt").read().strip(), "helper:", helper.VALUE)
"""


def test_editing_source_files_during_a_run_does_not_affect_the_running_step(
    project: Project, tmp_path: Path
) -> None:
    project.script("slow/slow.py", SLOW)
    project.script("slow/message.txt", "before\n")
    project.script("slow/helper.py", "VALUE = 'old'\n")
    started, go = tmp_path / "started", tmp_path / "go"

    def pipeline() -> Pipeline:
        step = PythonScriptStep(
            "slow.py", name="slow", source_directory="slow", arguments=[str(started), str(go)]
        )
        return Pipeline(steps=[step])

    exp = project.experiment("slow")
    run = exp.submit(pipeline(), show_output=False)
    wait_until(started.exists, timeout=30, what="the step to start")
    (project.root / "slow/message.txt").write_text("after\n")
    (project.root / "slow/helper.py").write_text("VALUE = 'new'\n")
    go.touch()
    assert run.wait_for_completion(show_output=False) == st.FINISHED
    assert "message: before helper: old" in run.get_step_run("slow").get_logs()["stdout"]
    # The next submit snapshots the edits: the step reruns and sees them.
    started.unlink()
    again = exp.submit(pipeline(), show_output=False)
    assert again.wait_for_completion(show_output=False) == st.FINISHED
    assert "message: after helper: new" in again.get_step_run("slow").get_logs()["stdout"]
    assert reason(again, "slow") == "the code changed (changed: helper.py, message.txt)"


# -- only good results are reused --------------------------------------------------------
def test_a_failed_step_is_not_a_reuse_source(chain: Chain, project: Project) -> None:
    flag = project.root.parent / "fail-flag"
    flag.touch()
    exp = project.experiment("reuse")
    failed = exp.submit(chain.pipeline(fail_if=flag), show_output=False)
    assert failed.wait_for_completion(show_output=False, raise_on_error=False) == st.FAILED
    assert failed.get_step_run("gen").status == st.FAILED
    flag.unlink()
    # The very same fingerprint: a failure is never reused, the step runs.
    second = chain.run(fail_if=flag)
    assert ran(second) == {"gen": True, "use": True}
    assert (
        second.get_step_run("gen").get_reuse_info()["fingerprint"]
        == (failed.get_step_run("gen").get_reuse_info()["fingerprint"])
    )
    assert reason(second, "gen") == "the earlier result with the same fingerprint is not available"
    third = exp.submit(chain.pipeline(fail_if=flag), show_output=False)
    assert third.get_step_run("gen").reused_from == second.get_step_run("gen").id


def test_concurrent_identical_runs_compute_once_and_a_third_reuses(
    chain: Chain, project: Project
) -> None:
    exp = project.experiment("reuse")
    runs = [exp.submit(chain.pipeline(), show_output=False) for _ in range(2)]
    for run in runs:
        assert run.wait_for_completion(show_output=False) == st.FINISHED, describe_failure(run)
    # Neither result existed at submit, yet one computed it: the other waited for that
    # computation (same fingerprint, in flight) and reused it.
    assert sorted(ran(run)["gen"] for run in runs) == [False, True]
    gens = [r.get_step_run("gen") for r in runs]
    fingerprints = {g.get_reuse_info()["fingerprint"] for g in gens}
    assert len(fingerprints) == 1
    candidates = project.ws.run_store.reuse_candidates(fingerprints.pop())
    assert {c.id for c in candidates} == {g.id for g in gens if g.reused_from is None}
    third = exp.submit(chain.pipeline(), show_output=False)
    assert third.get_status() == st.FINISHED and ran(third) == {"gen": False, "use": False}
    assert third.get_step_run("gen").reused_from in {g.id for g in gens}
    produced = {r.get_step_run("use").reused_from or r.get_step_run("use").id for r in runs}
    assert third.get_step_run("use").reused_from in produced


# -- damage ------------------------------------------------------------------------------
def test_a_deleted_output_folder_is_a_miss_and_the_step_reruns(
    chain: Chain, project: Project, caplog: pytest.LogCaptureFixture
) -> None:
    first = chain.run()
    shutil.rmtree(first.get_step_run("gen").get_output_path("data"))
    with caplog.at_level(logging.WARNING):
        second = chain.run()
    assert ran(second) == {"gen": True, "use": False}
    assert "outputs are gone" in caplog.text
    assert reason(second, "gen") == "the earlier result with the same fingerprint is not available"
    data = second.get_step_run("gen").get_output_path("data") / "data.txt"
    assert data.read_text() == "a"


def _manifest(project: Project, run: PipelineRun, step: str) -> Path:
    snapshot_id = project.ws.run_store.get_step(run.id, step).snapshot_id
    assert snapshot_id
    return project.ws.snapshots_dir / "manifests" / f"{snapshot_id}.json"


def test_a_corrupt_snapshot_manifest_is_rewritten_at_the_next_submit(
    chain: Chain, project: Project
) -> None:
    first = chain.run()
    manifest = _manifest(project, first, "gen")
    manifest.write_text('{"version": 1, "files": {"gen.py": ["0000", 1, false]}}')
    second = chain.run(pipeline_parameters={"value": "b"})  # gen must run
    assert ran(second) == {"gen": True, "use": True}
    assert "gen wrote b" in second.get_step_run("gen").get_logs()["stdout"]
    assert json.loads(manifest.read_text())["files"]["gen.py"][0] != "0000"


def test_a_snapshot_damaged_before_the_step_starts_fails_the_run_clearly(
    chain: Chain, project: Project
) -> None:
    chain.run()
    run_id = submit_pipeline(
        project.ws,
        "reuse",
        chain.pipeline(),
        pipeline_parameters={"value": "b"},
        start=False,
    )
    run = PipelineRun(Experiment(project.ws, "reuse"), run_id)
    manifest = _manifest(project, run, "gen")
    manifest.write_text("{damaged")
    start_driver(project.ws, run_id)
    assert run.wait_for_completion(show_output=False, raise_on_error=False) == st.FAILED
    messages = " ".join(
        [run.error or ""] + [s.error or "" for s in run.get_steps()]
    )  # on the run or on the step
    assert f"snapshot {manifest.stem[:12]} is missing or corrupt" in messages
    gen = run.get_step_run("gen")
    assert gen.status != st.FINISHED and not gen.is_reused
    assert not (gen.step_dir / "stdout.txt").exists()  # the step never started


def test_a_corrupt_reuse_record_is_a_logged_miss(
    chain: Chain, project: Project, caplog: pytest.LogCaptureFixture
) -> None:
    first = chain.run()
    with sqlite3.connect(project.ws.run_store.path) as conn:
        conn.execute(
            "UPDATE step_runs SET outputs_json = '{broken' WHERE id = ?",
            (first.get_step_run("gen").id,),
        )
        conn.execute(
            "UPDATE step_runs SET fingerprint_json = '[1, 2]' WHERE id = ?",
            (first.get_step_run("use").id,),
        )
    with caplog.at_level(logging.WARNING):
        second = chain.run()
    assert ran(second) == {"gen": True, "use": True}
    assert "damaged record" in caplog.text
    third = project.experiment("reuse").submit(chain.pipeline(), show_output=False)
    assert third.get_step_run("gen").reused_from == second.get_step_run("gen").id


# -- snapshot bad input ------------------------------------------------------------------
def test_a_dangling_symlink_in_a_source_folder_is_skipped(
    chain: Chain, project: Project, caplog: pytest.LogCaptureFixture
) -> None:
    (project.root / "gen" / "latest.csv").symlink_to(project.root / "gen" / "nowhere.csv")
    with caplog.at_level(logging.WARNING):
        run = chain.run()
    assert "dangling symlink 'latest.csv'" in caplog.text
    code = run.get_step_run("gen").step_dir / "code"
    assert sorted(p.name for p in code.iterdir()) == ["gen.py"]


def test_a_too_big_source_folder_is_refused_at_submit(chain: Chain, project: Project) -> None:
    limit = snapshot_module.DEFAULT_MAX_FILES  # 2000 unless the environment changes it
    if limit > 5000:
        pytest.skip(f"JUPYTER_PIPELINES_SNAPSHOT_MAX_FILES={limit} is too many files to write")
    for i in range(limit):
        (project.root / "use" / f"row{i:05}.txt").write_text("x")
    (project.root / "use" / "model.bin").write_bytes(b"0" * 3_000_000)
    with pytest.raises(SnapshotError) as info:
        project.experiment("reuse").submit(chain.pipeline(), show_output=False)
    message = str(info.value)
    assert message.startswith("step 'use': source directory")
    assert f"too big to snapshot: {limit + 2} files" in message
    assert "Biggest: model.bin (3.0 MB)" in message
    project.assert_nothing_recorded()


NOBODY_SUBMIT = textwrap.dedent(
    """
    import sys
    from jupyter_pipelines import Experiment, Pipeline, PythonScriptStep, Workspace
    from jupyter_pipelines.errors import PipelinesError
    ws = Workspace.at(sys.argv[1])
    step = PythonScriptStep("train.py", name="train", source_directory=sys.argv[2])
    try:
        Experiment(ws, "x").submit(Pipeline(steps=[step]), show_output=False)
    except PipelinesError as exc:
        print(type(exc).__name__ + ":", exc)
        print("runs:", len(ws.run_store.list_runs()))
        sys.exit(3)
    print("submitted")
    """
)


@pytest.fixture
def open_dir() -> Iterator[Path]:
    """A folder every user may write (``nobody`` cannot enter pytest's tmp_path)."""
    path = Path(tempfile.mkdtemp(prefix="jp-reuse-"))
    path.chmod(0o777)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_an_unreadable_file_fails_the_submit_naming_step_and_file(open_dir: Path) -> None:
    user = "nobody" if os.geteuid() == 0 else None
    site = [p for p in sys.path if p.endswith("site-packages")]
    env = {"PYTHONPATH": os.pathsep.join([str(REPO_ROOT), *site]), "PATH": "/usr/bin:/bin"}
    python = None
    for candidate in (
        sys.executable,
        f"/usr/bin/python{sys.version_info[0]}.{sys.version_info[1]}",
    ):
        try:
            probe = subprocess.run(
                [candidate, "-c", "import jupyter_pipelines.engine.submit"],
                user=user,
                env=env,
                capture_output=True,
                cwd="/",
                timeout=60,
            )
        except (OSError, subprocess.SubprocessError):
            continue
        if probe.returncode == 0:
            python = candidate
            break
    if python is None:
        pytest.skip("no interpreter usable by 'nobody' imports this package (needed as root)")
    src = open_dir / "src"
    src.mkdir()
    (src / "train.py").write_text("print(1)\n")
    (src / "labels.csv").write_text("secret\n")
    (src / "labels.csv").chmod(0o000)
    workspace = open_dir / "ws"
    workspace.mkdir(mode=0o777)
    workspace.chmod(0o777)
    done = subprocess.run(
        [python, "-c", NOBODY_SUBMIT, str(workspace), str(src)],
        user=user,
        env=env,
        capture_output=True,
        text=True,
        cwd=str(open_dir),
        timeout=60,
    )
    assert done.returncode == 3, done.stdout + done.stderr
    assert "SnapshotError: step 'train': cannot read" in done.stdout
    assert "labels.csv" in done.stdout and "list it in .amlignore" in done.stdout
    assert "runs: 0" in done.stdout


# -- git, why ----------------------------------------------------------------------------
def _git(root: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    done = subprocess.run(
        ["git", "-C", str(root), *args], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_git_information_is_recorded(chain: Chain, project: Project) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    not_a_repo = chain.run()
    assert not_a_repo.get_step_run("gen").get_reuse_info()["git"] == {}
    _git(project.root, "init", "-q", "-b", "main")
    _git(project.root, "add", "gen", "use")
    _git(project.root, "commit", "-q", "-m", "first")
    commit = _git(project.root, "rev-parse", "HEAD")
    clean = chain.run(regenerate_outputs=True)
    expected = {
        "repository": str(project.root.resolve()),
        "branch": "main",
        "commit": commit,
        "dirty": False,
    }
    assert clean.get_step_run("gen").get_reuse_info()["git"] == expected
    gen_py = project.root / "gen" / "gen.py"
    gen_py.write_text(gen_py.read_text() + "# local edit\n")
    dirty = chain.run()
    assert dirty.get_step_run("gen").get_reuse_info()["git"] == {**expected, "dirty": True}
    # Dirtiness is per source folder: use/ is still clean.
    assert dirty.get_step_run("use").get_reuse_info()["git"] == expected
    why = chain.project.cli("why", dirty.id, "gen", check=0).stdout
    assert f"git: main {commit[:12]} (dirty)" in why


def test_why_explains_a_rerun_and_a_reuse(chain: Chain, project: Project) -> None:
    first = chain.run()
    gen_py = project.root / "gen" / "gen.py"
    gen_py.write_text(gen_py.read_text() + "# edited\n")
    second = chain.run(pipeline_parameters={"value": "b"})
    third = project.experiment("reuse").submit(
        chain.pipeline(), pipeline_parameters={"value": "b"}, show_output=False
    )
    out = project.cli("why", second.id[:8], "gen", check=0).stdout
    assert out.startswith(
        "gen: ran (the code changed (changed: gen.py); parameter 'value' changed: 'a' -> 'b')"
    )
    assert f"differences from step run {first.get_step_run('gen').id} (run {first.id}):" in out
    assert "    - the code changed (changed: gen.py)" in out
    assert "    - parameter 'value' changed: 'a' -> 'b'" in out
    out = project.cli("why", second.id, "use", check=0).stdout
    assert "use: ran (input 'data' changed content:" in out
    out = project.cli("why", third.id, "use", check=0).stdout
    source = second.get_step_run("use").id
    assert out.startswith(f"use: reused step run {source} (of run {second.id})")
    doc = project.cli_json("why", third.id, "gen")
    assert doc["reused"] is True and doc["reused_from"] == second.get_step_run("gen").id
    assert doc["differences"] == []
    proc = project.cli("why", third.id, "nope", check=3)
    assert "has no step 'nope'" in proc.stderr


def test_get_reuse_info_on_a_first_run(chain: Chain) -> None:
    run = chain.run()
    info = run.get_step_run("gen").get_reuse_info()
    assert info["reused"] is False and info["decision"] == "ran"
    assert info["reason"] == "no earlier run of this step"
    assert info["differences"] == [] and "compared_with" not in info
    assert info["fingerprint"].startswith("v2-")


def test_step_inputs_from_a_reused_step_are_linked_for_a_step_that_runs(
    chain: Chain, project: Project
) -> None:
    first = chain.run()
    (project.root / "use" / "use.py").write_text(
        (project.root / "use" / "use.py").read_text() + "# edited\n"
    )
    second = chain.run()
    assert ran(second) == {"gen": False, "use": True}
    assert "use read a" in second.get_step_run("use").get_logs()["stdout"]
    planned = Path(project.ws.run_store.get_step(second.id, "use").spec["inputs"]["data"]["path"])
    assert planned.is_symlink()
    assert planned.resolve() == first.get_step_run("gen").get_output_path("data").resolve()


def test_a_pipeline_with_data_and_parameters_in_one_step(project: Project) -> None:
    """A step that has both an upstream input and outputs is decided in the driver."""
    project.script("p/produce.py", "import sys; open(sys.argv[1] + '/x.txt', 'w').write('x')\n")
    project.script(
        "c/consume.py",
        "import sys; print(open(sys.argv[1] + '/x.txt').read(), sys.argv[3])\n"
        "open(sys.argv[2] + '/y.txt', 'w').write('y')\n",
    )

    def pipeline() -> Pipeline:
        x, y = PipelineData("x"), PipelineData("y")
        produce = PythonScriptStep(
            "produce.py", name="produce", source_directory="p", arguments=[x]
        )
        consume = PythonScriptStep(
            "consume.py",
            name="consume",
            source_directory="c",
            arguments=[x.as_input(), y, PipelineParameter("k", 1)],
        )
        return Pipeline(steps=[produce, consume])

    exp = project.experiment("pc")
    exp.submit(pipeline(), show_output=False).wait_for_completion(show_output=False)
    second = exp.submit(pipeline(), pipeline_parameters={"k": 2}, show_output=False)
    # produce is reused at submit; consume's input is known then, so it is decided too.
    assert second.get_step_run("produce").is_reused
    assert reason(second, "consume") == "parameter 'k' changed: 1 -> 2"
    second.wait_for_completion(show_output=False)
    assert "x 2" in second.get_step_run("consume").get_logs()["stdout"]
