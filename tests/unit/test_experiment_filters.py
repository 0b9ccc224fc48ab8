"""The tag filters and view types of Experiment.list and PipelineDraft.list, and the
experiment and draft stores."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jupyter_pipelines.engine import tag_filters as tf
from jupyter_pipelines.engine.experiment import RunList
from jupyter_pipelines.errors import EngineError, StoreError
from jupyter_pipelines.model.pipeline import Pipeline
from jupyter_pipelines.model.steps import PythonScriptStep
from jupyter_pipelines.stores.drafts import DraftRecord, DraftStore
from jupyter_pipelines.stores.experiments import ExperimentStore
from jupyter_pipelines.stores.runstore import RunStore


@pytest.mark.parametrize(
    ("wanted", "expected"),
    [
        (None, None),
        ("stage", {"stage": None}),
        ({"stage": "a", "n": 1}, {"stage": "a", "n": 1}),
        (["a", "b"], {"a": None, "b": None}),
    ],
)
def test_filters_are_a_name_a_dict_or_a_list_of_names(wanted: Any, expected: Any) -> None:
    assert tf.normalize_filter(wanted, "tags") == expected


def test_a_filter_of_another_shape_is_refused() -> None:
    with pytest.raises(EngineError, match=r"tags filter 42 is not understood"):
        tf.normalize_filter(42, "tags")
    with pytest.raises(EngineError, match=r"tags filter \[1, 2\] is not understood"):
        tf.normalize_filter([1, 2])


def test_a_name_asks_for_the_tag_whatever_its_value() -> None:
    assert tf.matches({"stage": "a"}, {"stage": None})
    assert tf.matches({"stage": ""}, {"stage": None})
    assert not tf.matches({"other": "a"}, {"stage": None})


def test_a_dict_asks_for_every_pair_and_compares_as_text() -> None:
    tags = {"stage": "a", "n": 1}
    assert tf.matches(tags, {"stage": "a"})
    assert tf.matches(tags, {"stage": "a", "n": "1"})  # v1 keeps values as strings
    assert not tf.matches(tags, {"stage": "b"})
    assert not tf.matches(tags, {"stage": "a", "n": 2})
    assert not tf.matches(tags, {"stage": "a", "missing": "x"})
    assert tf.matches({}, None)


def test_view_types_show_active_archived_or_all() -> None:
    assert tf.shown_in_view(False, "ActiveOnly") and not tf.shown_in_view(True, "ActiveOnly")
    assert tf.shown_in_view(True, "ArchivedOnly") and not tf.shown_in_view(False, "ArchivedOnly")
    assert tf.shown_in_view(True, "All") and tf.shown_in_view(False, "All")
    with pytest.raises(EngineError, match="view_type 'Archived' is not one of"):
        tf.check_view_type("Archived")


def test_run_list_indexes_like_a_list_and_steps_like_v1s_generator() -> None:
    runs = RunList(["newest", "older"])
    assert runs[0] == "newest" and len(runs) == 2 and list(runs) == ["newest", "older"]
    assert next(runs) == "newest" and next(runs) == "older"
    with pytest.raises(StopIteration):
        next(runs)


# -- stores ------------------------------------------------------------------------------
@pytest.fixture
def db(tmp_path: Path) -> Path:
    RunStore(tmp_path / "workspace.db")
    return tmp_path / "workspace.db"


def test_experiment_store_keeps_id_tags_and_archived_state(db: Path) -> None:
    store = ExperimentStore(db)
    first = store.get_or_create("exp")
    assert store.get_or_create("exp").id == first.id
    assert store.by_id(first.id) is not None and store.by_id("nope") is None
    tagged = store.update_tags("exp", set_tags={"a": "1", "b": ""})
    assert tagged.tags == {"a": "1", "b": ""}
    assert store.update_tags("exp", remove=["a"]).tags == {"b": ""}
    archived = store.set_archived("exp", True)
    assert archived.archived and archived.archived_time is not None
    assert not store.set_archived("exp", False).archived
    store.delete("exp")
    assert store.get("exp") is None


def test_experiments_known_only_from_runs_get_an_id_when_listed(db: Path) -> None:
    import sqlite3

    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO experiments (name, created) VALUES ('old', 1.0)")
        conn.execute(
            "INSERT INTO runs (id, experiment, status, created, pipeline_json, parameters_json,"
            " tags_json, options_json) VALUES ('r1', 'old', 'Finished', 1.0, '{}', '{}', '{}',"
            " '{}')"
        )
    store = ExperimentStore(db)
    listed = store.all()
    assert [r.name for r in listed] == ["old"] and listed[0].created == 1.0
    assert store.all()[0].id == listed[0].id
    assert store.run_count("old") == 1
    with pytest.raises(StoreError, match=r"experiment 'old' has 1 run\(s\) and cannot be deleted"):
        store.delete("old")
    assert store.get("old") is not None


def _pipeline(folder: Path) -> Pipeline:
    (folder / "a.py").write_text("print('a')\n")
    return Pipeline(steps=[PythonScriptStep("a.py", name="a", source_directory=str(folder))])


def test_a_draft_is_a_row_and_a_pipeline_file_written_together(tmp_path: Path) -> None:
    RunStore(tmp_path / "workspace.db")
    store = DraftStore(tmp_path)
    record = DraftRecord(id="d1", name="n", experiment_name="e", tags={"t": "1"})
    store.create(record, _pipeline(tmp_path))
    path = store.pipeline_path("d1")
    assert path.is_file() and "a.py" in path.read_text()
    assert store.get("d1") == record
    assert list(tmp_path.joinpath("drafts").glob(".*")) == []  # no temporary file left
    changed = store.update("d1", {"name": "m", "continue_on_step_failure": True})
    assert (changed.name, changed.continue_on_step_failure) == ("m", True)
    assert store.get("d1") == changed
    assert store.delete("d1") and not path.exists() and store.get("d1") is None
    assert not store.delete("d1")


def test_a_failed_draft_write_leaves_no_row_and_no_file(tmp_path: Path) -> None:
    RunStore(tmp_path / "workspace.db")
    store = DraftStore(tmp_path)
    store.create(DraftRecord(id="d1", name="n", experiment_name="e"), _pipeline(tmp_path))
    before = store.pipeline_path("d1").read_text()
    with pytest.raises(StoreError, match="cannot save pipeline draft 'd1': UNIQUE"):
        store.create(DraftRecord(id="d1", name="other", experiment_name="e"), _pipeline(tmp_path))
    assert store.get("d1") is not None and store.get("d1").name == "n"  # type: ignore[union-attr]
    assert store.pipeline_path("d1").read_text() == before
    assert [p.name for p in tmp_path.joinpath("drafts").iterdir()] == ["d1.pipeline.yaml"]
