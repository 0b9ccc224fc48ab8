"""The pure parts of ParallelRunStep's runner and planning: cutting inputs into mini-batches,
partitions, tables, what run() returns as rows, the cache, the ordered output, the
configuration and the number of workers."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from jupyter_pipelines.engine.parallel_plan import local_slots, target_slots, worker_count
from jupyter_pipelines.model.data import PipelineData
from jupyter_pipelines.model.environment import Environment
from jupyter_pipelines.model.parallel_run import ParallelRunStep
from jupyter_pipelines.model.parallel_run_config import ParallelRunConfig
from jupyter_pipelines.runtime.parallel.batches import (
    file_batches,
    list_files,
    partition_pattern,
)
from jupyter_pipelines.runtime.parallel.cache import BatchCache
from jupyter_pipelines.runtime.parallel.config import ConfigError, DataInput, RunnerConfig
from jupyter_pipelines.runtime.parallel.hashing import ContentHasher
from jupyter_pipelines.runtime.parallel.pool import exit_description
from jupyter_pipelines.runtime.parallel.report import OrderedOutput
from jupyter_pipelines.runtime.parallel.tables import rows_digest, table_batches
from jupyter_pipelines.runtime.parallel.worker import result_rows


def files(root: Path, names: list[str]) -> Path:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(name)
    return root


def test_files_are_listed_by_their_path_and_cut_per_input(tmp_path: Path) -> None:
    one = files(tmp_path / "one", ["b.txt", "a.txt", "sub/c.txt", "d.txt", "e.txt"])
    two = files(tmp_path / "two", ["x.txt"])
    assert [rel for rel, _ in list_files(str(one))] == [
        "a.txt",
        "b.txt",
        "d.txt",
        "e.txt",
        "sub/c.txt",
    ]
    batches = file_batches([DataInput("one", str(one)), DataInput("two", str(two))], 2)
    assert [(b.index, b.input, b.rel) for b in batches] == [
        (0, "one", ["a.txt", "b.txt"]),
        (1, "one", ["d.txt", "e.txt"]),
        (2, "one", ["sub/c.txt"]),
        (3, "two", ["x.txt"]),  # an input's mini-batches never hold another's files
    ]
    assert batches[0].payload == [str(one / "a.txt"), str(one / "b.txt")]
    single = file_batches([DataInput("f", str(one / "a.txt"))], None)
    assert [b.rel for b in single] == [["a.txt"]]


def test_partition_keys_group_files_by_their_partition_format(tmp_path: Path) -> None:
    root = files(
        tmp_path / "d", ["fr/2020/a.csv", "de/2020/b.csv", "fr/2021/c.csv", "de/2020/d.csv"]
    )
    data = DataInput("sales", str(root), partition_format="/{country}/{year}/*.csv")
    batches = file_batches([data], None, ["country"])
    assert [(b.partition, b.rel) for b in batches] == [
        ({"country": "de"}, ["de/2020/b.csv", "de/2020/d.csv"]),
        ({"country": "fr"}, ["fr/2020/a.csv", "fr/2021/c.csv"]),
    ]
    assert partition_pattern("/{day:yyyy-MM-dd}/**/*.csv").search("/2020-01-02/x/y/z.csv")
    with pytest.raises(ValueError, match="partition key\\(s\\) \\['region'\\] are not in"):
        file_batches([data], None, ["region"])
    with pytest.raises(ValueError, match="need a dataset made with partition_format"):
        file_batches([DataInput("sales", str(root))], None, ["country"])


def test_tables_are_cut_by_size_or_by_partition_keys() -> None:
    frame = pd.DataFrame({"g": ["a", "b"] * 50, "x": range(100)})

    def read(data: DataInput) -> Any:
        return frame

    sized = table_batches([DataInput("t", "", "tabular")], 60, read=read)
    assert sum(b.size for b in sized) == 100 and len(sized) > 5
    assert list(pd.concat([b.frame for b in sized])["x"]) == list(range(100))  # in order
    keyed = table_batches([DataInput("t", "", "tabular")], None, ["g"], read=read)
    assert [(b.partition, b.size) for b in keyed] == [({"g": "a"}, 50), ({"g": "b"}, 50)]
    with pytest.raises(ValueError, match="partition key\\(s\\) \\['h'\\] are not columns"):
        table_batches([DataInput("t", "", "tabular")], None, ["h"], read=read)


def test_rows_digest_follows_values_and_types_not_the_index() -> None:
    frame = pd.DataFrame({"x": [1, 2], "y": ["a", "b"]})
    same = frame.set_axis([7, 8])
    assert rows_digest(frame) == rows_digest(same)
    assert rows_digest(frame) != rows_digest(frame.assign(x=[1, 3]))
    assert rows_digest(frame) != rows_digest(frame.astype({"x": float}))


def test_what_run_returns_becomes_rows() -> None:
    assert result_rows(["a: 1", 2], append=True) == (["a: 1", "2"], 2)
    frame = pd.DataFrame({"name": ["a.png", "b.png"], "label": [3, 5]})
    assert result_rows(frame, append=True) == (["a.png 3", "b.png 5"], 2)
    assert result_rows(frame, append=False) == (None, 2)
    assert result_rows("one row", append=True) == (["one row"], 1)
    with pytest.raises(TypeError, match="run\\(\\) returned None"):
        result_rows(None, append=True)


def test_the_cache_keeps_whole_entries_and_reads_a_corrupt_one_as_a_miss(tmp_path: Path) -> None:
    assert not BatchCache(str(tmp_path / "missing")).enabled  # the engine makes the folder
    cache = BatchCache(str(tmp_path))
    key = "blake3:" + "ab" * 32
    assert cache.get(key) is None
    cache.put(key, {"lines": ["x"], "count": 1})
    assert cache.get(key) == {"lines": ["x"], "count": 1, "key": key}
    path = tmp_path / "ab" / f"{'ab' * 32}.json"
    assert path.is_file() and not [p for p in path.parent.iterdir() if p.name.startswith(".")]
    path.write_text("{not json")
    assert cache.get(key) is None


def test_content_hashes_follow_content_and_tag_the_algorithm(tmp_path: Path) -> None:
    root = files(tmp_path / "d", ["a", "b"])
    hasher = ContentHasher(str(tmp_path / "stat.db"))
    first = hasher.files([str(root / "a"), str(root / "b")])
    assert first[str(root / "a")] != first[str(root / "b")]
    tree = hasher.tree(str(root))
    assert tree.startswith(f"{hasher.algorithm}:")
    (root / "__pycache__").mkdir()
    (root / "__pycache__" / "x.pyc").write_text("compiled")
    assert hasher.tree(str(root)) == tree  # compiled files are not code
    (root / "a").write_text("changed")
    assert hasher.tree(str(root)) != tree


def test_ordered_output_waits_for_earlier_mini_batches(tmp_path: Path) -> None:
    path = tmp_path / "out" / "rows.txt"
    output = OrderedOutput(str(path))
    output.put(1, ["b1", "b2"])
    assert path.read_text() == ""
    output.put(0, ["a1"])
    output.put(3, ["d1"])
    assert path.read_text().splitlines() == ["a1", "b1", "b2"]
    output.put(2, None)  # failed: nothing to write, later ones follow
    assert path.read_text().splitlines() == ["a1", "b1", "b2", "d1"]


def test_the_runner_configuration_is_checked() -> None:
    good = {"step_name": "s", "entry_script": "e.py", "inputs": [{"name": "i", "path": "/x"}]}
    with pytest.raises(ConfigError, match="needs an output folder"):
        RunnerConfig.from_json(json.dumps(good))
    config = RunnerConfig.from_json(json.dumps({**good, "output_action": "summary_only"}))
    assert config.inputs == [DataInput("i", "/x")] and not config.tabular
    assert RunnerConfig.from_json(config.to_json()) == config
    mixed = {**good, "output_action": "summary_only", "inputs": [
        {"name": "a", "path": "", "kind": "tabular"}, {"name": "b", "path": "/x"}]}  # fmt: skip
    with pytest.raises(ConfigError, match="must all be files or all tables"):
        RunnerConfig.from_json(json.dumps(mixed))
    with pytest.raises(ConfigError, match="not JSON"):
        RunnerConfig.from_json("{")


def test_exit_descriptions() -> None:
    assert exit_description(-9) == "killed by signal 9 (SIGKILL)"
    assert exit_description(3) == "exit code 3"


def test_workers_are_nodes_times_processes_but_never_more_than_the_slots(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "score.py").write_text("def run(b):\n    return b\n")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a").write_text("")
    from jupyter_pipelines import Dataset

    def step(**config: Any) -> ParallelRunStep:
        made = ParallelRunConfig(Environment("e"), "score.py", 0, "summary_only", None, **config)
        data = Dataset.File.from_files("in").as_named_input("in")
        return ParallelRunStep("s", made, [data], output=PipelineData("o"))

    monkeypatch.setenv("JUPYTER_PIPELINES_LOCAL_SLOTS", "3")
    assert local_slots() == 3 and target_slots(None, "local") == 3
    same = lambda v: v  # noqa: E731
    assert worker_count(step(node_count=1, process_count_per_node=2), same, "local", None) == 2
    assert worker_count(step(node_count=2, process_count_per_node=2), same, "local", None) == 3
    assert worker_count(step(node_count=1), same, "local", None) == 3  # None: one per slot
    monkeypatch.delenv("JUPYTER_PIPELINES_LOCAL_SLOTS")
    assert local_slots() == (os.cpu_count() or 1)


def test_get_children_can_be_walked_with_next_as_v1s_generator() -> None:
    from jupyter_pipelines.runtime.run_children import RunList

    children = RunList(["first", "second"])  # type: ignore[list-item]
    assert next(children) == "first" and next(children) == "second"
    with pytest.raises(StopIteration):
        next(children)
    assert list(children) == ["first", "second"] and len(children) == 2  # still a list
