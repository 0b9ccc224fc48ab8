"""The README's "Your first pipeline", run as written: its shell block makes the scripts,
its Python block is the pipeline, and the commands after it give what the README says
(reused when nothing changed, rerun on a parameter, reused again when it is set back,
rerun when the code folder changed)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

README = Path(__file__).resolve().parents[2] / "README.md"


def _blocks() -> list[tuple[str, str]]:
    text = README.read_text()
    section = text[text.index("## Your first pipeline") : text.index("## The SDK, v1 style")]
    return re.findall(r"```(\w+)\n(.*?)```", section, re.S)


def test_the_readme_first_pipeline_runs_as_written(tmp_path: Path) -> None:
    (setup, _), (_, program), (commands, _) = _blocks()[:3]
    assert (setup, commands) == ("bash", "bash")
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    env.pop("JUPYTER_PIPELINES_WORKSPACE", None)
    subprocess.run(["bash", "-c", _blocks()[0][1]], cwd=tmp_path, env=env, check=True)
    first = tmp_path / "first"
    (first / "pipeline.py").write_text(program)

    def run(*argv: str) -> str:
        done = subprocess.run(argv, cwd=first, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout + done.stderr

    assert "{'total': 45}" in run(sys.executable, "pipeline.py")
    assert run("jupyter-pipelines", "run", "first.pipeline.yaml").count("(reused ") == 2
    again = run("jupyter-pipelines", "run", "first.pipeline.yaml", "-p", "rows=20")
    assert "(reused " not in again and "total 190" in again
    back = run("jupyter-pipelines", "run", "first.pipeline.yaml")
    assert back.count("(reused ") == 2 and "total 45" not in back
    total = first / "src" / "total.py"
    total.write_text(total.read_text().replace('print("total", total)', 'print("sum", total)'))
    edited = run("jupyter-pipelines", "run", "first.pipeline.yaml")
    assert "(reused " not in edited and "sum 45" in edited
