"""Step fingerprints: golden values, what is in them, what is not, and how changes are explained."""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import pytest

from jupyter_pipelines.engine.reuse import base_fingerprint
from jupyter_pipelines.model.data import OutputFileDatasetConfig, PipelineData
from jupyter_pipelines.model.parameters import PipelineParameter
from jupyter_pipelines.model.steps import PythonScriptStep
from jupyter_pipelines.reuse.fingerprint import (
    FINGERPRINT_VERSION,
    Difference,
    base_document,
    complete_document,
    explain,
    fingerprint,
)
from jupyter_pipelines.reuse.snapshot import SnapshotStore

CODE = "c0de" * 16
ENV = {"kind": "current-interpreter", "python": "3.11"}
LOCAL = {"kind": "local", "image": None}


def script_doc() -> dict[str, Any]:
    """A script step as the pipeline file writes it, volatile fields included."""
    return {
        "type": "python_script",
        "script": "train.py",
        "source_directory": "src",
        "arguments": [
            "--lr",
            "${{parameters.lr}}",
            "--out",
            "${{outputs.model}}",
            "--tag=run-${{parameters.tag}}",
        ],
        "params": {"mode": "${{parameters.mode}}"},
        "inputs": {"data": {"step": "prep", "output": "data"}},
        "outputs": {"model": {"kind": "output_file_dataset"}},
        "timeout": 600,
        "allow_reuse": True,
        "resources": {"cpu": 2},
    }


PARAMS = {"lr": 0.1, "tag": "a", "mode": "fast"}
DATA = "d" * 64


def script_fp(
    step: dict[str, Any] | None = None,
    code: str = CODE,
    params: dict[str, Any] | None = None,
    env: dict[str, Any] | None = None,
    target: dict[str, Any] | None = None,
    inputs: dict[str, str] | None = None,
) -> str:
    base = base_document(
        step if step is not None else script_doc(),
        code,
        params if params is not None else PARAMS,
        env if env is not None else ENV,
        target if target is not None else LOCAL,
    )
    return fingerprint(complete_document(base, inputs if inputs is not None else {"data": DATA}))


# -- golden ------------------------------------------------------------------------------
def test_golden_script_step() -> None:
    base = base_document(script_doc(), CODE, PARAMS, ENV, LOCAL)
    assert base == {
        "version": 2,
        "step": {
            "type": "python_script",
            "script": "train.py",
            "arguments": [
                "--lr",
                "${{parameters.lr}}",
                "--out",
                "${{outputs.model}}",
                "--tag=run-${{parameters.tag}}",
            ],
            "params": {"mode": "${{parameters.mode}}"},
            "outputs": {"model": {"kind": "output_file_dataset"}},
        },
        "parameters": {"lr": 0.1, "mode": "fast", "tag": "a"},
        "code": CODE,
        "inputs": {"data": {"mode": "mount", "content": None}},
        "environment": ENV,
        "target": LOCAL,
    }
    doc = complete_document(base, {"data": DATA})
    assert doc["inputs"] == {"data": {"mode": "mount", "content": DATA}}
    assert base["inputs"]["data"]["content"] is None  # the base is not modified
    assert fingerprint(doc) == "v2-7891d1806b180df32dcd7f901e8b31d3202a835990699da76f43924fced791d8"


def test_golden_notebook_step() -> None:
    step = {
        "type": "notebook",
        "notebook": "train.ipynb",
        "parameters": {"alpha": "${{parameters.alpha}}", "epochs": 3},
        "cell_timeout": 30,
        "log_output": True,
    }
    doc = complete_document(base_document(step, CODE, {"alpha": 0.5}, ENV, LOCAL), {})
    assert doc["step"] == {
        "type": "notebook",
        "notebook": "train.ipynb",
        "parameters": {"alpha": "${{parameters.alpha}}", "epochs": 3},
    }
    assert doc["parameters"] == {"alpha": 0.5}
    assert fingerprint(doc) == "v2-ed65832ea53afc05b2b85498a55c80f5d7f91026009511a8ae29f0a3605e597b"


def test_golden_command_step_on_an_image() -> None:
    step = {
        "type": "command",
        "command": "python score.py ${{inputs.model}} --lr ${{parameters.lr}}",
        "inputs": {"model": {"step": "train", "output": "model", "mode": "download"}},
        "outputs": {"scores": {"mode": "upload"}},
        "environment_variables": {"MODE": "x"},
        "compute_target": "gpu-box",
    }
    target = {"kind": "docker", "image": "python:3.11"}
    doc = complete_document(
        base_document(step, CODE, {"lr": 0.01}, ENV, target), {"model": "e" * 64}
    )
    assert doc["step"]["command"] == "python score.py ${{inputs.model}} --lr ${{parameters.lr}}"
    assert doc["parameters"] == {"lr": 0.01}
    assert doc["inputs"] == {"model": {"mode": "download", "content": "e" * 64}}
    assert fingerprint(doc) == "v2-cc703663fa52e35d0533a00fdd08b9b2c05f31486fce496955bae575fc5733a9"


def test_fingerprint_is_prefixed_with_the_format_version() -> None:
    assert FINGERPRINT_VERSION == 2
    doc = complete_document(base_document(script_doc(), CODE, PARAMS, ENV, LOCAL), {"data": DATA})
    assert fingerprint(doc).startswith("v2-")
    assert fingerprint({**doc, "version": 1}).startswith("v1-")
    assert fingerprint({**doc, "version": 1})[3:] != fingerprint(doc)[3:]


def test_complete_document_needs_every_input() -> None:
    base = base_document(script_doc(), CODE, PARAMS, ENV, LOCAL)
    with pytest.raises(ValueError, match=r"content hash missing for input\(s\) \['data'\]"):
        complete_document(base, {})


# -- what is left out, what is in --------------------------------------------------------
@pytest.mark.parametrize(
    "key, value",
    [
        ("timeout", 5),
        ("allow_reuse", False),
        ("source_directory", "elsewhere/src"),
        ("resources", {"cpu": 64, "memory": "1Ti"}),
        ("compute_target", "big-box"),
        ("hash_paths", ["train.py"]),
        ("run_after", ["other"]),
        ("log_output", False),
        ("cell_timeout", 9),
    ],
)
def test_volatile_fields_do_not_change_the_fingerprint(key: str, value: Any) -> None:
    changed = script_doc()
    changed[key] = value
    assert script_fp(changed) == script_fp()
    removed = script_doc()
    removed.pop(key, None)
    assert script_fp(removed) == script_fp()


def test_the_upstream_step_of_an_input_does_not_matter_only_its_content() -> None:
    changed = script_doc()
    changed["inputs"]["data"] = {"step": "another_prep", "output": "other_name"}
    assert script_fp(changed) == script_fp()


def _variant(change: str) -> str:
    step = script_doc()
    kwargs: dict[str, Any] = {}
    if change == "type":
        step["type"] = "command"
    elif change == "entry":
        step["script"] = "train2.py"
    elif change == "literal argument":
        step["arguments"][0] = "--learning-rate"
    elif change == "argument order":
        step["arguments"] = step["arguments"][2:4] + step["arguments"][:2] + step["arguments"][4:]
    elif change == "param":
        step["params"]["extra"] = "1"
    elif change == "parameter value":
        kwargs["params"] = {**PARAMS, "lr": 0.2}
    elif change == "parameter in a string":
        kwargs["params"] = {**PARAMS, "tag": "b"}
    elif change == "parameter of params":
        kwargs["params"] = {**PARAMS, "mode": "slow"}
    elif change == "code":
        kwargs["code"] = "f" * 64
    elif change == "input content":
        kwargs["inputs"] = {"data": "0" * 64}
    elif change == "input mode":
        step["inputs"]["data"]["mode"] = "download"
    elif change == "input name":
        step["inputs"] = {"data2": step["inputs"]["data"]}
        kwargs["inputs"] = {"data2": DATA}
    elif change == "environment":
        kwargs["env"] = {**ENV, "python": "3.12"}
    elif change == "target kind":
        kwargs["target"] = {"kind": "docker", "image": None}
    elif change == "target image":
        kwargs["target"] = {"kind": "local", "image": "python:3.11"}
    elif change == "output name":
        step["outputs"] = {"model2": step["outputs"]["model"]}
    elif change == "output mode":
        step["outputs"]["model"]["mode"] = "upload"
    elif change == "environment variables":
        step["environment_variables"] = {"SEED": "1"}
    else:
        raise AssertionError(change)
    return script_fp(step, **kwargs)


COMPONENTS = [
    "type",
    "entry",
    "literal argument",
    "argument order",
    "param",
    "parameter value",
    "parameter in a string",
    "parameter of params",
    "code",
    "input content",
    "input mode",
    "input name",
    "environment",
    "target kind",
    "target image",
    "output name",
    "output mode",
    "environment variables",
]


@pytest.mark.parametrize("change", COMPONENTS)
def test_each_real_component_changes_the_fingerprint(change: str) -> None:
    assert _variant(change) != script_fp()


def test_every_component_gives_its_own_fingerprint() -> None:
    prints = [_variant(c) for c in COMPONENTS]
    assert len(set(prints)) == len(prints)


def test_unused_parameters_do_not_change_the_fingerprint() -> None:
    assert script_fp(params={**PARAMS, "unused": 42}) == script_fp()


def test_parameter_references_stay_symbolic_and_only_used_values_count() -> None:
    step = {"type": "command", "command": "echo ${{parameters.nope}} ${{parameters.lr}}"}
    doc = base_document(step, CODE, {"lr": 1, "unused": 5}, ENV, LOCAL)
    assert doc["step"]["command"] == "echo ${{parameters.nope}} ${{parameters.lr}}"
    assert doc["parameters"] == {"lr": 1}
    other = base_document(step, CODE, {"lr": 1, "unused": 6}, ENV, LOCAL)
    assert fingerprint(complete_document(other, {})) == fingerprint(complete_document(doc, {}))


# -- from real steps ---------------------------------------------------------------------
def _real_step(root: Path, script: str = "print('train')\n") -> tuple[PythonScriptStep, Any]:
    src = root / "src"
    src.mkdir(parents=True, exist_ok=True)
    (src / "train.py").write_text(script)
    lr = PipelineParameter("lr", 0.1)
    data = PipelineData("data")
    step = PythonScriptStep(
        "train.py",
        name="train",
        source_directory=str(src),
        arguments=["--lr", lr, "--in", data.as_input(), "--out", OutputFileDatasetConfig()],
        outputs=[OutputFileDatasetConfig()],
        timeout=60,
    )
    snapshot = SnapshotStore(root / "store").take(src)
    return step, snapshot


def test_unnamed_outputs_get_deterministic_names_and_fingerprints(tmp_path: Path) -> None:
    step, snapshot = _real_step(tmp_path)
    assert [o.name for o in step.outputs] == ["output", "output_1"]
    doc = base_fingerprint(step, snapshot, tmp_path, {"lr": 0.1})
    assert doc["step"] == {
        "type": "python_script",
        "script": "train.py",
        "arguments": [
            "--lr",
            "${{parameters.lr}}",
            "--in",
            "${{inputs.data}}",
            "--out",
            "${{outputs.output_1}}",
        ],
        "outputs": {
            "output": {"kind": "output_file_dataset"},
            "output_1": {"kind": "output_file_dataset"},
        },
    }
    assert doc["parameters"] == {"lr": 0.1}
    assert doc["code"] == snapshot.id
    assert doc["environment"] == {
        "kind": "current-interpreter",
        "python": f"{sys.version_info.major}.{sys.version_info.minor}",
    }
    assert doc["target"] == {"kind": "local", "image": None}
    # The same pipeline built again (new objects, new process) fingerprints the same.
    again, snapshot2 = _real_step(tmp_path)
    assert base_fingerprint(again, snapshot2, tmp_path, {"lr": 0.1}) == doc
    elsewhere = tmp_path / "moved"
    moved, snapshot3 = _real_step(elsewhere)
    assert base_fingerprint(moved, snapshot3, elsewhere, {"lr": 0.1}) == doc


def test_hash_paths_narrow_the_code_part_of_a_real_step(tmp_path: Path) -> None:
    step, snapshot = _real_step(tmp_path)
    step.hash_paths = ["train.py"]
    narrow = base_fingerprint(step, snapshot, tmp_path, {"lr": 0.1})
    (tmp_path / "src" / "other_step.py").write_text("print('another step')\n")
    snapshot2 = SnapshotStore(tmp_path / "store").take(tmp_path / "src")
    assert snapshot2.id != snapshot.id
    assert base_fingerprint(step, snapshot2, tmp_path, {"lr": 0.1}) == narrow
    step.hash_paths = []
    assert base_fingerprint(step, snapshot2, tmp_path, {"lr": 0.1})["code"] == snapshot2.id


# -- explain -----------------------------------------------------------------------------
def full(step: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
    base = base_document(
        step or script_doc(),
        kw.get("code", CODE),
        kw.get("params", PARAMS),
        kw.get("env", ENV),
        kw.get("target", LOCAL),
    )
    return complete_document(base, kw.get("inputs", {"data": DATA}))


def test_explain_finds_nothing_between_equal_documents() -> None:
    assert explain(full(), full()) == []
    assert explain(full(), copy.deepcopy(full()), {"a": "1"}, {"a": "1"}) == []


def test_explain_names_changed_added_and_removed_files() -> None:
    old_files = {"train.py": "1", "util.py": "2", "old.py": "3"}
    new_files = {"train.py": "1", "util.py": "22", "new.py": "4"}
    [diff] = explain(full(), full(code="f" * 64), old_files, new_files)
    assert diff.component == "code"
    assert diff.old == {"changed": ["util.py"], "added": ["new.py"], "removed": ["old.py"]}
    assert str(diff) == "the code changed (changed: util.py; added: new.py; removed: old.py)"
    [bare] = explain(full(), full(code="f" * 64))
    assert str(bare) == "the code changed"


def test_explain_shortens_long_file_lists() -> None:
    old_files = {f"f{i:02}.py": "0" for i in range(12)}
    new_files = {f"f{i:02}.py": "1" for i in range(12)}
    [diff] = explain(full(), full(code="f" * 64), old_files, new_files)
    assert str(diff).startswith("the code changed (changed: f00.py, f01.py")
    assert "f09.py ..." in str(diff) and "f10.py" not in str(diff)


def test_explain_names_the_changed_argument_and_parameter_value() -> None:
    [value] = explain(full(), full(params={**PARAMS, "lr": 0.2}))
    assert (value.component, value.old, value.new) == ("parameters.lr", 0.1, 0.2)
    assert str(value) == "parameter 'lr' changed: 0.1 -> 0.2"
    [mode] = explain(full(), full(params={**PARAMS, "mode": "slow"}))
    assert str(mode) == "parameter 'mode' changed: 'fast' -> 'slow'"
    literal = script_doc()
    literal["arguments"] = ["--lr", "0.5"]
    args, lr, tag = explain(full(), full(literal))
    assert args.component == "arguments"
    assert str(args).startswith("arguments changed: ['--lr', '${{parameters.lr}}'")
    assert str(lr) == "parameter 'lr' changed: 0.1 -> '(not used)'"
    assert tag.component == "parameters.tag"
    literal["params"] = {"mode": "fixed"}
    diffs = explain(full(), full(literal))
    assert "params.mode changed: '${{parameters.mode}}' -> 'fixed'" in [str(d) for d in diffs]


def test_explain_names_inputs() -> None:
    [content] = explain(full(), full(inputs={"data": "0" * 64}))
    assert content.component == "inputs.data"
    assert str(content) == f"input 'data' changed content: {'d' * 12} -> {'0' * 12}"
    moded = script_doc()
    moded["inputs"]["data"]["mode"] = "download"
    [mode] = explain(full(), full(moded))
    assert str(mode) == "input 'data' changed mode: mount -> download"
    renamed = script_doc()
    renamed["inputs"] = {"other": renamed["inputs"]["data"]}
    diffs = explain(full(), full(renamed, inputs={"other": DATA}))
    assert [str(d) for d in diffs] == ["input 'data' was removed", "input 'other' is new"]


def test_explain_names_environment_target_step_fields_and_version() -> None:
    changed = script_doc()
    changed["script"] = "train2.py"
    old = full()
    new = full(
        changed,
        env={**ENV, "python": "3.12"},
        target={"kind": "docker", "image": "x"},
    )
    new["version"] = 3
    diffs = explain(old, new)
    assert [d.component for d in diffs] == ["version", "script", "environment", "target"]
    assert str(diffs[0]) == "the fingerprint format changed"
    assert str(diffs[1]) == "script changed: 'train.py' -> 'train2.py'"
    assert diffs[2].new == {**ENV, "python": "3.12"}


def test_difference_text_defaults_to_old_and_new() -> None:
    assert str(Difference("x", 1, 2)) == "x changed: 1 -> 2"
    assert str(Difference("x", 1, 2, "custom")) == "custom"
