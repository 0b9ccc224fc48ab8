"""Loading Elyra ``.pipeline`` files (pipeline-flow v3) into Pipelines."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from jupyter_pipelines.errors import PipelineFileError
from jupyter_pipelines.model.elyra import load_elyra_text
from jupyter_pipelines.model.fileformat import load_pipeline
from jupyter_pipelines.model.pipeline import Pipeline
from jupyter_pipelines.model.steps import NotebookStep, PythonScriptStep

FIXTURES = Path(__file__).parent.parent / "fixtures" / "elyra"
PIPELINE_FILE = FIXTURES / "three_nodes.pipeline"
LOAD, TRAIN, REPORT = (f"5b1d7c2e-4f0a-4c51-9d0e-0a1b2c3d4e0{i}" for i in (1, 2, 3))


@pytest.fixture
def doc() -> dict[str, Any]:
    """A fresh copy of the fixture document, to change per test."""
    return copy.deepcopy(json.loads(PIPELINE_FILE.read_text()))


def nodes(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return doc["pipelines"][0]["nodes"]


def load_doc(doc: dict[str, Any], tmp_path: Path, name: str = "edited.pipeline") -> Pipeline:
    path = tmp_path / name
    path.write_text(json.dumps(doc, indent=2))
    return load_pipeline(path)


@pytest.fixture
def pipeline() -> Pipeline:
    return load_pipeline(PIPELINE_FILE)


# -- a realistic file -----------------------------------------------------------------------
def test_dag_edges_follow_links(pipeline: Pipeline) -> None:
    assert set(pipeline.graph.edges) == {
        ("Load data", "Train model"),
        ("Load data", "Write report"),
    }
    assert pipeline.topological_order()[0] == "Load data"
    assert pipeline.step("Train model").run_after_steps == [pipeline.step("Load data")]


def test_step_types_and_files(pipeline: Pipeline) -> None:
    load, train, report = (pipeline.step(n) for n in ("Load data", "Train model", "Write report"))
    assert isinstance(load, NotebookStep) and load.notebook == "load_data.ipynb"
    assert isinstance(train, NotebookStep) and train.notebook == "notebooks/train.ipynb"
    assert isinstance(report, PythonScriptStep) and report.script_name == "report.py"
    for step in (load, train, report):
        assert step.source_path == FIXTURES.resolve()


def test_pipeline_name_description_and_source(pipeline: Pipeline) -> None:
    assert pipeline.name == "train-and-report"
    assert pipeline.description == "Load data, then train a model and write a report"
    assert pipeline.source_path == str(PIPELINE_FILE)
    assert Pipeline.load(PIPELINE_FILE).name == "train-and-report"


def test_env_vars_merge_defaults_and_node_wins(pipeline: Pipeline) -> None:
    assert pipeline.step("Load data").environment_variables == {
        "DATA_DIR": "data",
        "LOG_LEVEL": "info",
    }
    assert pipeline.step("Train model").environment_variables == {
        "DATA_DIR": "data",
        "LOG_LEVEL": "debug",
        "EPOCHS": "3",
    }
    assert pipeline.step("Write report").environment_variables["REPORT_FORMAT"] == "md"


def test_resources_only_where_set(pipeline: Pipeline) -> None:
    assert pipeline.step("Train model").resources == {"cpu": 2, "gpu": 1, "memory": 4}
    assert pipeline.step("Load data").resources == {}


def test_layout_keeps_node_positions(pipeline: Pipeline) -> None:
    assert pipeline.layout == {
        "nodes": {
            "Load data": {"x": 120, "y": 80},
            "Train model": {"x": 380, "y": 20},
            "Write report": {"x": 380, "y": 160.5},
        }
    }


def test_elyra_settings_kept_on_steps(pipeline: Pipeline) -> None:
    load, train = pipeline.step("Load data"), pipeline.step("Train model")
    assert vars(load)["elyra_outputs"] == ["data.csv"]
    assert vars(train)["elyra_outputs"] == ["model.pkl"]
    assert vars(train)["elyra_runtime_image"] == "quay.io/jupyter/scipy-notebook:2024-05-27"
    assert vars(load)["elyra_runtime_image"] == "continuumio/anaconda3:2024.02-1"  # default
    assert vars(load)["elyra_dependencies"] == ["lookup.csv"]
    assert vars(load)["elyra_node_id"] == LOAD
    assert load.hash_paths == ["load_data.ipynb", "lookup.csv"]
    assert train.hash_paths == ["notebooks/train.ipynb"]


def test_fixture_validates_cleanly(pipeline: Pipeline) -> None:
    assert pipeline.validate() == []


def test_missing_file_is_left_to_validation(doc: dict[str, Any], tmp_path: Path) -> None:
    loaded = load_doc(doc, tmp_path)  # tmp_path holds none of the notebooks or scripts
    issues = loaded.validate()
    assert {(i.step, i.field) for i in issues} == {
        ("Load data", "notebook"),
        ("Train model", "notebook"),
        ("Write report", "script_name"),
    }


def test_copied_next_to_its_files_still_runs_them(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES, tmp_path / "copy")
    loaded = load_pipeline(tmp_path / "copy" / "three_nodes.pipeline")
    assert loaded.validate() == []
    assert loaded.step("Train model").source_path == (tmp_path / "copy").resolve()


# -- names ----------------------------------------------------------------------------------
def test_label_falls_back_to_ui_label_then_file_stem(doc: dict[str, Any], tmp_path: Path) -> None:
    report = nodes(doc)[2]["app_data"]
    report["label"] = ""
    report["ui_data"].pop("label")
    loaded = load_doc(doc, tmp_path)
    assert "Train model" in [s.name for s in loaded.steps]  # from ui_data.label
    assert isinstance(loaded.step("report"), PythonScriptStep)  # from report.py


def test_duplicate_labels_get_suffixes(doc: dict[str, Any], tmp_path: Path) -> None:
    for node in nodes(doc):
        node["app_data"]["label"] = "Step"
    loaded = load_doc(doc, tmp_path)
    assert [s.name for s in loaded.steps] == ["Step", "Step (2)", "Step (3)"]
    assert set(loaded.graph.edges) == {("Step", "Step (2)"), ("Step", "Step (3)")}
    assert set(loaded.layout["nodes"]) == {"Step", "Step (2)", "Step (3)"}


def test_name_falls_back_to_file_stem(doc: dict[str, Any], tmp_path: Path) -> None:
    del doc["pipelines"][0]["app_data"]["properties"]["name"]
    assert load_doc(doc, tmp_path, "nightly.pipeline").name == "nightly"


def test_older_version_with_key_value_env_strings(doc: dict[str, Any], tmp_path: Path) -> None:
    app_data = doc["pipelines"][0]["app_data"]
    app_data["version"] = 7
    app_data["properties"]["pipeline_defaults"]["env_vars"] = ["DATA_DIR=data", "LOG_LEVEL=info"]
    nodes(doc)[1]["app_data"]["component_parameters"]["env_vars"] = ["LOG_LEVEL=debug", "EMPTY"]
    env = load_doc(doc, tmp_path).step("Train model").environment_variables
    assert env == {"DATA_DIR": "data", "LOG_LEVEL": "debug", "EMPTY": ""}


def test_version_3_parameters_in_app_data(doc: dict[str, Any], tmp_path: Path) -> None:
    doc["pipelines"][0]["app_data"]["version"] = 3
    for node in nodes(doc):
        app_data = node["app_data"]
        app_data.update(app_data.pop("component_parameters"))
        app_data.pop("label")
    loaded = load_doc(doc, tmp_path)
    assert loaded.step("Train model").resources == {"cpu": 2, "gpu": 1, "memory": 4}
    assert vars(loaded.step("Load data"))["elyra_outputs"] == ["data.csv"]


# -- errors ---------------------------------------------------------------------------------
def test_unknown_op_names_node_and_op(doc: dict[str, Any], tmp_path: Path) -> None:
    nodes(doc)[2]["op"] = "execute-r-node"
    with pytest.raises(PipelineFileError, match=r"node 'Write report'.*op 'execute-r-node'"):
        load_doc(doc, tmp_path)


def test_custom_component_op_is_refused(doc: dict[str, Any], tmp_path: Path) -> None:
    nodes(doc)[0]["op"] = "elyra-kfp-examples-catalog:61e6f4141f65"
    with pytest.raises(PipelineFileError, match=r"'Load data'.*elyra-kfp-examples-catalog"):
        load_doc(doc, tmp_path)


def test_supernode_is_refused(doc: dict[str, Any], tmp_path: Path) -> None:
    nodes(doc)[1]["type"] = "super_node"
    with pytest.raises(PipelineFileError, match=r"type 'super_node'"):
        load_doc(doc, tmp_path)


def test_bad_json_names_file_line_and_column(tmp_path: Path) -> None:
    text = PIPELINE_FILE.read_text().replace('"op": "execute-python-node",', '"op": ,', 1)
    line = text[: text.index('"op": ,')].count("\n") + 1
    path = tmp_path / "broken.pipeline"
    path.write_text(text)
    with pytest.raises(PipelineFileError, match=rf"broken\.pipeline.*line {line}, column \d+"):
        load_pipeline(path)


def test_unknown_link_names_node(doc: dict[str, Any], tmp_path: Path) -> None:
    nodes(doc)[1]["inputs"][0]["links"][0]["node_id_ref"] = "no-such-node"
    with pytest.raises(PipelineFileError, match=r"node 'Train model'.*unknown node id 'no-such"):
        load_doc(doc, tmp_path)


@pytest.mark.parametrize("version", [2, 9])
def test_unsupported_version_is_named(doc: dict[str, Any], tmp_path: Path, version: int) -> None:
    doc["pipelines"][0]["app_data"]["version"] = version
    with pytest.raises(PipelineFileError, match=rf"Elyra pipeline version {version} is not"):
        load_doc(doc, tmp_path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(doc_type="flow"), r"field 'doc_type'"),
        (lambda d: d.update(pipelines=[]), r"field 'pipelines'"),
        (lambda d: d.update(primary_pipeline="other"), r"field 'primary_pipeline'"),
        (lambda d: d["pipelines"][0].update(nodes={}), r"field 'pipelines\[0\]\.nodes'"),
        (
            lambda d: d["pipelines"][0]["app_data"].pop("version"),
            r"field 'pipelines\[0\]\.app_data\.version'",
        ),
        (
            lambda d: d["pipelines"][0]["nodes"][0]["app_data"]["component_parameters"].update(
                env_vars="A=1"
            ),
            r"field 'pipelines\[0\]\.nodes\[0\]\.app_data\.component_parameters\.env_vars'",
        ),
        (
            lambda d: d["pipelines"][0]["nodes"][2]["app_data"]["component_parameters"].pop(
                "filename"
            ),
            r"'Write report'.*component_parameters\.filename",
        ),
    ],
)
def test_wrong_shape_names_the_field(
    doc: dict[str, Any], tmp_path: Path, change: Any, message: str
) -> None:
    change(doc)
    with pytest.raises(PipelineFileError, match=message):
        load_doc(doc, tmp_path)


def test_not_an_object(tmp_path: Path) -> None:
    with pytest.raises(PipelineFileError, match=r"x\.pipeline.*JSON object"):
        load_elyra_text("[1, 2]", tmp_path / "x.pipeline")
