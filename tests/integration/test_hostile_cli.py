"""Hostile pipeline files through the command line: exit 2 quickly with a message naming the
file and the line or field, never a hang or a traceback; nothing is recorded."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.integration.support import CLI, Project
from tests.unit.test_hostile_documents import billion_laughs

pytestmark = pytest.mark.integration

ELYRA = Path(__file__).parent.parent / "fixtures" / "elyra" / "three_nodes.pipeline"
COMMANDS = ("validate", "describe", "submit", "run")
#: The commands tried on each file but the bomb (each start of the CLI costs a second).
SOME = ("validate", "run")


#: Runs a command and prints the peak memory (KiB) of it and its children: the test
#: process's own RUSAGE_CHILDREN would count every child of the session (servers, clusters).
_PEAK = (
    "import resource, subprocess, sys; done = subprocess.run(sys.argv[1:]); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
    "sys.exit(done.returncode)"
)


def cli_peak_mib(project: Project, *args: str) -> float:
    """The peak memory of ``jupyter-pipelines ARGS`` run alone (it must exit 2)."""
    proc = subprocess.run(
        [sys.executable, "-c", _PEAK, CLI, *args],
        cwd=project.root, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    return int(proc.stderr.strip().splitlines()[-1]) / 1024


def assert_refused(
    project: Project, name: str, expected: str, commands: tuple[str, ...] = SOME
) -> float:
    """Each command exits 2 on ``name`` naming ``expected``; the slowest one's seconds."""
    slowest = 0.0
    for command in commands:
        started = time.perf_counter()
        proc = project.cli(command, name, check=2, timeout=30)
        slowest = max(slowest, time.perf_counter() - started)
        assert expected in proc.stderr, (command, proc.stderr)
        assert "Traceback" not in proc.stderr
    project.assert_nothing_recorded()
    return slowest


def test_a_billion_laughs_file_exits_2_naming_the_alias_budget(project: Project) -> None:
    (project.root / "bomb.pipeline.yaml").write_text(billion_laughs())
    slowest = assert_refused(project, "bomb.pipeline.yaml", "(the alias budget)", COMMANDS)
    proc = project.cli("validate", "bomb.pipeline.yaml", check=2)
    assert "bomb.pipeline.yaml' at line 10, column 12: aliases expand" in proc.stderr
    peak = cli_peak_mib(project, "validate", "bomb.pipeline.yaml")
    print(f"\nbomb: every command exits 2, slowest {slowest:.2f} s, peak child {peak:.0f} MiB")
    assert slowest < 10  # a CLI start; the refusal itself takes a millisecond
    assert peak < 500


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("steps: " + "[" * 100_000 + "]" * 100_000, "at line 1"),
        ("steps:\n" + "".join(" " * i + "- \n" for i in range(1, 200)), "deeper than 64 levels"),
        (
            'version: 1\nsteps: {s: {type: command, command: "a\\0b"}}',
            "line 2, column 37: the value holds a NUL",
        ),
    ],
    ids=["flow", "block", "nul"],
)
def test_deep_or_odd_yaml_exits_2(project: Project, text: str, expected: str) -> None:
    (project.root / "odd.pipeline.yaml").write_text(text)
    assert_refused(project, "odd.pipeline.yaml", expected)


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        ({"source_directory": "a\0b"}, "line 4, column 23: the value holds a NUL"),
        ({"source_directory": "d" * 300}, "'steps.s.source_directory' holds a name of 300"),
        ({"hash_paths": ["h" * 256]}, "'steps.s.hash_paths[0]' holds a name of 256"),
    ],
    ids=["nul", "long", "hash_paths"],
)
def test_paths_no_file_system_accepts_exit_2(
    project: Project, step: dict[str, object], expected: str
) -> None:
    doc = {"version": 1, "steps": {"s": {"type": "command", "command": "true", **step}}}
    (project.root / "p.pipeline.yaml").write_text(yaml.safe_dump(doc))
    assert_refused(project, "p.pipeline.yaml", expected)


def test_hostile_elyra_files_exit_2(project: Project) -> None:
    doc = json.loads(ELYRA.read_text())
    doc["pipelines"][0]["nodes"][0]["op"] = ["execute-notebook-node"]
    (project.root / "op.pipeline").write_text(json.dumps(doc))
    assert_refused(project, "op.pipeline", "has op ['execute-notebook-node']")
    (project.root / "deep.pipeline").write_text("[" * 100_000 + "]" * 100_000)
    assert_refused(project, "deep.pipeline", "nests lists and objects deeper than 64 levels")


def test_counts_out_of_range_are_usage_errors(project: Project) -> None:
    for args in (
        ("runs", "--limit", "9" * 30),
        ("runs", "-n", "-5"),
        ("logs", "r", "--tail", "-1"),
    ):
        proc = project.cli(*args, check=2)
        assert "invalid count value" in proc.stderr and "Traceback" not in proc.stderr
