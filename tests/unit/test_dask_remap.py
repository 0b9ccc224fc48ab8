"""How a Dask worker rewrites a step's driver paths (executors/dask/worker_side.Remap)."""

from __future__ import annotations

from jupyter_pipelines.executors.dask.worker_side import Remap


def test_known_paths_and_paths_under_them_move_under_the_root() -> None:
    remap = Remap("/tmp/jp-dask-1", ["/ws/runs/r/a", "/ws/runs/r/b/outputs/x"])
    assert remap.text("/ws/runs/r/a") == "/tmp/jp-dask-1/ws/runs/r/a"
    assert (
        remap.text("--out=/ws/runs/r/a/outputs/y") == "--out=/tmp/jp-dask-1/ws/runs/r/a/outputs/y"
    )
    assert remap.text("a;/ws/runs/r/b/outputs/x b") == "a;/tmp/jp-dask-1/ws/runs/r/b/outputs/x b"
    assert remap.path("/ws/runs/r/a") == "/tmp/jp-dask-1/ws/runs/r/a"


def test_longer_names_and_other_paths_stay() -> None:
    remap = Remap("/tmp/jp-dask-1", ["/ws/runs/r/a"])
    for text in ("/ws/runs/r/ab", "/ws/runs/r/a.bak", "/x/ws/runs/r/a", "/ws/runs/r", "rel/a"):
        assert remap.text(text) == text


def test_nested_values_and_the_way_back() -> None:
    remap = Remap("/tmp/jp-dask-1", ["/ws/s"])
    value = {"argv": ["python", "/ws/s/code/x.py"], "n": 3, "env": {"M": "/ws/s/manifest.json"}}
    moved = remap.value(value)
    assert moved == {
        "argv": ["python", "/tmp/jp-dask-1/ws/s/code/x.py"],
        "n": 3,
        "env": {"M": "/tmp/jp-dask-1/ws/s/manifest.json"},
    }
    assert (
        remap.back("File /tmp/jp-dask-1/ws/s/code/x.py, line 1") == "File /ws/s/code/x.py, line 1"
    )


def test_no_known_paths_changes_nothing() -> None:
    assert Remap("/tmp/r", ["", "relative"]).text("/ws/a") == "/ws/a"
