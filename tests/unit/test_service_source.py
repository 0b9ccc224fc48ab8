"""A document sent by the editor is named in messages by the file it is edited from (its
``source``), never by an internal name such as 'request document' (issue 16)."""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_pipelines.server.errors import BadRequestError
from jupyter_pipelines.server.service import PipelinesService


@pytest.fixture
def service(tmp_path: Path) -> PipelinesService:
    root = tmp_path / "project"
    root.mkdir()
    return PipelinesService(root)


def messages(reply: dict) -> str:
    return " | ".join(i["message"] for i in reply["issues"])


def test_a_new_pipeline_is_named_by_its_file(service: PipelinesService) -> None:
    reply = service.format(
        {"document": {"version": 1, "steps": {}}, "source": "fresh/untitled.pipeline.yaml"}
    )
    said = messages(reply)
    assert reply["valid"] is False
    assert "'fresh/untitled.pipeline.yaml' has no steps" in said, said
    assert "request document" not in said


def test_without_a_source_it_is_the_pipeline(service: PipelinesService) -> None:
    said = messages(service.format({"document": {"version": 1, "steps": {}}}))
    assert "'the pipeline' has no steps" in said and "request document" not in said, said


def test_a_step_problem_names_the_file(service: PipelinesService) -> None:
    doc = {"version": 1, "steps": {"s": {"type": "python_script", "script": "missing.py"}}}
    reply = service.validate({"document": doc, "source": "work/a.pipeline.yaml"})
    assert reply["valid"] is False
    assert "request document" not in str(reply["issues"])


def test_a_source_that_is_not_a_string_is_refused(service: PipelinesService) -> None:
    with pytest.raises(BadRequestError, match="'source'"):
        service.format({"document": {"version": 1, "steps": {}}, "source": ["x"]})
