"""The magics in an in-process IPython shell: registering, bad input, show, save, --run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

import jupyter_pipelines
from jupyter_pipelines import Pipeline, Workspace
from jupyter_pipelines.magics.magics import PipelineMagics


@pytest.fixture
def shell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[InteractiveShell]:
    """A shell with fresh magics, in an empty project folder holding a workspace."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("JUPYTER_PIPELINES_WORKSPACE", raising=False)
    monkeypatch.setenv("JPY_SESSION_NAME", str(tmp_path / "demo.ipynb"))
    Workspace.at(tmp_path)
    config = Config()
    config.HistoryManager.enabled = False
    sh = InteractiveShell.instance(config=config)
    sh.user_ns.pop("__session__", None)
    jupyter_pipelines.load_ipython_extension(sh)
    yield sh
    sh.register_magics(PipelineMagics(sh))  # leave no session behind for the next test


def step(sh: InteractiveShell, line: str, code: str = "pass\n") -> None:
    sh.run_cell_magic("step", line, code)


def pipeline(sh: InteractiveShell, line: str) -> Any:
    return sh.run_line_magic("pipeline", line)


def test_load_ext_registers_both_magics(shell: InteractiveShell) -> None:
    magics = shell.magics_manager.magics
    assert "step" in magics["cell"] and "pipeline" in magics["line"]


def test_step_registers_and_says_what(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    step(shell, "prep --outputs raw --params rows=3 --compute cpu")
    out = capsys.readouterr().out
    assert "step 'prep' registered" in out and "outputs: raw" in out
    assert "params:  rows=3" in out and "compute: cpu" in out
    step(shell, "train --inputs raw model")
    assert "note: no step produces 'model' yet" in capsys.readouterr().out
    pipeline(shell, "steps")
    out = capsys.readouterr().out
    assert "step 'prep'" in out and "step 'train'" in out
    pipeline(shell, "remove train")
    assert capsys.readouterr().out == "step 'train' removed\n"
    pipeline(shell, "steps")
    assert "'train'" not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("magic", "line", "message"),
    [
        ("step", "prep --bogus", "unrecognized arguments: --bogus"),
        ("step", "prep --params rows", "param 'rows' must be written NAME=VALUE"),
        ("step", "", "needs a step name"),
        ("pipeline", "bogus", "invalid choice: 'bogus'"),
        ("pipeline", "", "the following arguments are required: COMMAND"),
        ("pipeline", "run --param rows", "parameter 'rows' must be written NAME=VALUE"),
        ("pipeline", "run --nope", "unrecognized arguments: --nope"),
        ("pipeline", "wait", "no run yet"),
        ("pipeline", "remove ghost", "no step 'ghost'"),
        ("pipeline", "save out.yaml", "must end in .pipeline.yaml"),
        ("pipeline", "run", "no steps yet"),
    ],
)
def test_bad_input_is_one_usage_error(
    shell: InteractiveShell, magic: str, line: str, message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        if magic == "step":
            step(shell, line)
        else:
            pipeline(shell, line)


def test_a_cycle_or_an_orphan_input_is_named_and_nothing_is_submitted(
    shell: InteractiveShell, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    step(shell, "a --inputs y --outputs x")
    step(shell, "b --inputs x --outputs y")
    with pytest.raises(UsageError, match="steps form a cycle: "):
        pipeline(shell, "run")
    pipeline(shell, "validate")
    assert "error: steps form a cycle" in capsys.readouterr().out
    step(shell, "b --inputs x z --outputs y")  # replaces b
    with pytest.raises(UsageError, match="input 'z' is not an output of any step"):
        pipeline(shell, "run")
    with pytest.raises(UsageError, match="input 'z' is not an output of any step"):
        pipeline(shell, "save x.pipeline.yaml")
    assert Workspace.at(tmp_path).run_store.list_runs() == []
    assert not (tmp_path / "x.pipeline.yaml").exists()


def test_show_draws_the_dag_as_svg(
    shell: InteractiveShell, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shown: list[Any] = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    step(shell, "prep --outputs raw")
    step(shell, "train --inputs raw --outputs model")
    step(shell, "report --inputs model raw")
    pipeline(shell, "show")
    (svg,) = shown
    text = svg.data
    assert text.count('class="node"') == 3 and text.count('class="edge"') == 3
    for name in ("prep", "train", "report"):
        assert f'data-step="{name}"' in text
    assert ">model<" in text and "<svg" in text
    step(shell, "loop --inputs model --outputs raw")
    pipeline(shell, "show")  # still drawn, with the problem printed
    assert "problem: output 'raw' is produced by both" in capsys.readouterr().out


def test_save_writes_the_editor_file_and_validate_says_valid(
    shell: InteractiveShell, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    step(shell, "prep --outputs raw --params rows=3")
    step(shell, "train --inputs raw --outputs model --no-reuse")
    pipeline(shell, "validate")
    assert "pipeline 'demo' is valid (2 steps)" in capsys.readouterr().out
    pipeline(shell, "save 'my pipe.pipeline.yaml'")
    loaded = Pipeline.load(tmp_path / "my pipe.pipeline.yaml")
    assert sorted(loaded.graph.edges) == [("prep", "train")]
    assert loaded.step("train").allow_reuse is False
    assert loaded.parameters["rows"].default_value == 3
    notebooks = tmp_path / ".pipeline_cells" / "demo"
    assert (notebooks / "train" / "step.ipynb").is_file()
    pipeline(shell, "status")
    assert "no run yet" in capsys.readouterr().out


def test_run_flag_executes_the_cell_with_scratch_outputs_then_feeds_them_on(
    shell: InteractiveShell, tmp_path: Path
) -> None:
    with pytest.raises(UsageError, match="input 'raw' is not an output of any step"):
        step(shell, "train --inputs raw --outputs model --run")
    step(shell, "prep --outputs raw")
    with pytest.raises(UsageError, match=r"input 'raw' has no result yet.*step 'prep'"):
        step(shell, "train --inputs raw --outputs model --run")
    step(
        shell,
        "prep --outputs raw --params rows=3 --run",
        "open(raw + '/d.txt', 'w').write('x' * rows)\n",
    )
    scratch = tmp_path / ".pipelines" / "scratch" / "demo"
    assert (scratch / "prep" / "raw" / "d.txt").read_text() == "xxx"
    step(
        shell,
        "train --inputs raw --outputs model --run",
        "got = open(raw + '/d.txt').read()\nopen(model + '/m.txt', 'w').write(got * 2)\n",
    )
    assert shell.user_ns["got"] == "xxx" and shell.user_ns["rows"] == 3
    assert shell.user_ns["raw"] == str(scratch / "prep" / "raw")
    assert (scratch / "train" / "model" / "m.txt").read_text() == "xxxxxx"
