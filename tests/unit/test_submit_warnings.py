"""Warnings at submit: each said once, only for steps that will run."""

from __future__ import annotations

from jupyter_pipelines.engine.submit_warnings import GPU_FIELD, attach_warnings
from jupyter_pipelines.model.validation import ValidationIssue
from jupyter_pipelines.stores.records import StepRecord

DOCKER = "environment 'boxed' asks for Docker, but compute target 'local' runs processes"


def record(name: str, position: int, reused: bool = False, target: str = "local") -> StepRecord:
    return StepRecord(
        id=f"id-{name}",
        run_id="run",
        name=name,
        position=position,
        status="Finished" if reused else "NotStarted",
        target=target,
        depends=[],
        spec={},
        step_dir=f"/runs/run/{name}",
        reused_from="earlier" if reused else None,
    )


def gpu_issue(step: str) -> ValidationIssue:
    return ValidationIssue("warning", step, GPU_FIELD, f"step {step!r} asks for 1 GPU: no GPUs")


def test_a_shared_warning_goes_to_the_first_step_that_runs() -> None:
    records = [record("a", 0, reused=True), record("b", 1), record("c", 2)]
    attach_warnings(records, {"a": [DOCKER], "b": [DOCKER], "c": [DOCKER, "other"]})
    assert "warnings" not in records[0].reuse  # reused: it does not run
    assert records[1].reuse["warnings"] == [DOCKER]
    assert records[2].reuse["warnings"] == ["other"]


def test_reused_steps_get_no_warning_at_all() -> None:
    records = [record("a", 0, reused=True), record("b", 1, reused=True)]
    attach_warnings(records, {"a": [DOCKER], "b": [DOCKER]}, [gpu_issue("a"), gpu_issue("b")])
    assert all("warnings" not in r.reuse for r in records)


def test_gpu_fallbacks_are_one_warning_per_target() -> None:
    records = [
        record("a", 0),
        record("b", 1, reused=True),
        record("c", 2),
        record("d", 3, target="gpu"),
    ]
    issues = [gpu_issue("c"), gpu_issue("a"), gpu_issue("b"), gpu_issue("d")]
    issues.append(ValidationIssue("error", "a", GPU_FIELD, "not a warning"))
    attach_warnings(records, {}, issues)
    (note,) = records[0].reuse["warnings"]
    assert note.startswith("steps 'a', 'c' ask for GPUs but compute target 'local' has none")
    assert "warnings" not in records[2].reuse
    assert records[3].reuse["warnings"] == ["step 'd' asks for 1 GPU: no GPUs"]
