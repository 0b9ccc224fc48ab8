"""The store of published pipelines and pipeline endpoints (stores/published.py) on a real
workspace database: records round-trip, versions count up from "0", every change is one
transaction (a refused change leaves nothing behind)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from jupyter_pipelines.errors import StoreError
from jupyter_pipelines.stores.published import ACTIVE, DISABLED, PublishedRecord, PublishedStore
from jupyter_pipelines.stores.workspace import Workspace


@pytest.fixture
def store(tmp_path: Path) -> PublishedStore:
    return PublishedStore(Workspace.at(tmp_path).dir)


def record(pipeline_id: str, name: str = "train") -> PublishedRecord:
    return PublishedRecord(
        id=pipeline_id,
        name=name,
        graph_id=f"graph-{pipeline_id}",
        total_run_steps=2,
        pipeline={"version": 1, "steps": {"a": {"type": "python_script", "script": "a.py"}}},
        base_dir="/project",
        code={"a": {"snapshot": "abc", "git": {"commit": "123"}}},
        description="first",
        version="1.0",
        continue_on_step_failure=True,
        source={"file": "/project/p.pipeline.yaml"},
    )


def test_a_published_pipeline_round_trips_and_only_its_status_changes(
    store: PublishedStore,
) -> None:
    store.create(record("p1"))
    got = store.get("p1")
    assert got is not None
    assert (got.name, got.version, got.status, got.continue_on_step_failure) == (
        "train",
        "1.0",
        ACTIVE,
        True,
    )
    assert got.code == {"a": {"snapshot": "abc", "git": {"commit": "123"}}}
    assert got.pipeline["steps"]["a"]["script"] == "a.py"
    assert got.source == {"file": "/project/p.pipeline.yaml"}
    assert got.created > 0

    store.set_status("p1", DISABLED)
    assert store.get("p1").status == DISABLED  # type: ignore[union-attr]
    assert [r.id for r in store.all()] == ["p1"]
    assert store.all(active_only=True) == []
    with pytest.raises(StoreError, match="'Paused' is not one of Active, Disabled"):
        store.set_status("p1", "Paused")
    with pytest.raises(StoreError, match="published pipeline 'nope' does not exist"):
        store.set_status("nope", ACTIVE)
    assert store.get("nope") is None


def test_a_second_record_with_the_same_id_is_refused_and_the_first_is_untouched(
    store: PublishedStore,
) -> None:
    store.create(record("p1"))
    with pytest.raises(StoreError, match="cannot publish pipeline 'other'"):
        store.create(record("p1", name="other"))
    assert store.get("p1").name == "train"  # type: ignore[union-attr]
    assert len(store.all()) == 1


def test_endpoint_versions_count_up_from_zero_and_the_default_moves(
    store: PublishedStore,
) -> None:
    for pid in ("p1", "p2", "p3"):
        store.create(record(pid))
    endpoint = store.create_endpoint("e1", "scoring", "the scorer", "p1")
    assert (endpoint.default_version, endpoint.versions) == ("0", {"0": "p1"})
    assert endpoint.pipeline_id() == "p1"

    assert store.add_version("e1", "p2", make_default=False) == "1"
    assert store.add_version("e1", "p3", make_default=True) == "2"
    # A pipeline already in the endpoint keeps its version; make_default still applies.
    assert store.add_version("e1", "p2", make_default=True) == "1"
    endpoint = store.get_endpoint("e1")
    assert endpoint is not None
    assert endpoint.versions == {"0": "p1", "1": "p2", "2": "p3"}
    assert endpoint.default_version == "1"
    assert endpoint.pipeline_id("2") == "p3"
    assert endpoint.pipeline_id("9") is None
    assert store.endpoints_of("p2") == [("e1", "1")]

    store.update_endpoint("e1", default_version="0", description="changed")
    endpoint = store.get_endpoint(name="scoring")
    assert endpoint is not None
    assert (endpoint.default_version, endpoint.description) == ("0", "changed")
    with pytest.raises(StoreError, match="has no version '7'; its versions: 0, 1, 2"):
        store.update_endpoint("e1", default_version="7")


def test_endpoint_names_are_unique_and_refusals_record_nothing(store: PublishedStore) -> None:
    store.create(record("p1"))
    store.create_endpoint("e1", "scoring", "", "p1")
    with pytest.raises(StoreError, match="a pipeline endpoint named 'scoring' already exists"):
        store.create_endpoint("e2", "scoring", "", "p1")
    with pytest.raises(StoreError, match="published pipeline 'missing' does not exist"):
        store.create_endpoint("e3", "other", "", "missing")
    assert [e.id for e in store.endpoints()] == ["e1"]
    with pytest.raises(StoreError, match="published pipeline 'missing' does not exist"):
        store.add_version("e1", "missing", make_default=True)
    assert store.get_endpoint("e1").versions == {"0": "p1"}  # type: ignore[union-attr]

    store.create_endpoint("e2", "batch", "", "p1")
    with pytest.raises(StoreError, match="named 'scoring' already exists"):
        store.update_endpoint("e2", name="scoring")
    store.update_endpoint("e2", status=DISABLED, name="batch-old")
    assert [e.name for e in store.endpoints(active_only=True)] == ["scoring"]
    with pytest.raises(StoreError, match="pipeline endpoint 'nope' does not exist"):
        store.update_endpoint("nope", name="x")


def test_the_tables_live_in_the_workspace_database(store: PublishedStore) -> None:
    store.create(record("p1"))
    with sqlite3.connect(store.db_path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"published_pipelines", "pipeline_endpoints", "pipeline_endpoint_versions"} <= tables
    assert {"runs", "step_runs"} <= tables  # the run store's own schema is there too
