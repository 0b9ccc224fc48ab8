"""The run widget's renderers on hand-made snapshots: DAG, colours, table, charts, logs."""

from __future__ import annotations

from pathlib import Path

from jupyter_pipelines.stores import status as st
from jupyter_pipelines.widgets import render
from jupyter_pipelines.widgets.snapshot import REUSED, LogFollower, RunSnapshot, StepView


def snapshot(*steps: StepView, status: str = st.RUNNING) -> RunSnapshot:
    return RunSnapshot(
        run_id="r1", name="demo", experiment="exp", status=status, started=100.0,
        ended=None, error=None, steps=list(steps),
    )  # fmt: skip


def diamond() -> RunSnapshot:
    return snapshot(
        StepView("split", st.FINISHED, [], started=1.0, ended=3.5),
        StepView("left", st.RUNNING, ["split"], started=4.0),
        StepView("right", st.FINISHED, ["split"], reused_from="abc123"),
        StepView("merge", st.NOT_STARTED, ["left", "right"]),
    )


def test_layout_puts_topological_generations_in_columns() -> None:
    pos = render.layout(diamond().steps)
    assert pos["split"][0] < pos["left"][0] == pos["right"][0] < pos["merge"][0]
    assert pos["left"][1] < pos["right"][1]  # pipeline order within a column


def test_dag_svg_colours_each_step_by_state() -> None:
    svg = render.dag_svg(diamond())
    for name, state in [
        ("split", st.FINISHED),
        ("left", st.RUNNING),
        ("right", REUSED),
        ("merge", st.NOT_STARTED),
    ]:
        group = svg.split(f'data-step="{name}"', 1)[1].split("</g>", 1)[0]
        assert f'data-status="{state}"' in group
        assert f'fill="{render.colour(state)}"' in group
    assert svg.count("jp-run-edge") == 4  # one edge per dependency
    assert 'class="jp-run-step jp-run-reused"' in svg
    assert len(set(render.COLOURS[s] for s in (st.RUNNING, st.FINISHED, st.FAILED, REUSED))) == 4


def test_steps_table_shows_status_duration_and_reuse() -> None:
    table = render.steps_table(diamond())
    split = table.split('data-step="split"', 1)[1].split("</tr>", 1)[0]
    assert "Finished" in split and "2.5 s" in split
    right = table.split('data-step="right"', 1)[1].split("</tr>", 1)[0]
    assert "abc123" in right and "jp-run-reused" in table


def test_steps_table_shows_the_dask_worker_and_dashboard() -> None:
    table = render.steps_table(
        snapshot(
            StepView("remote", st.FINISHED, [], worker="tcp://10.0.0.7:40123",
                     dashboard_link="http://127.0.0.1:8787/status"),
            StepView("odd", st.FINISHED, [], worker="tcp://h:1", dashboard_link="javascript:x"),
            StepView("local", st.FINISHED, []),
        )
    )  # fmt: skip
    remote = table.split('data-step="remote"', 1)[1].split("</tr>", 1)[0]
    assert "ran on tcp://10.0.0.7:40123" in remote
    assert '<a href="http://127.0.0.1:8787/status" target="_blank" rel="noopener">' in remote
    odd = table.split('data-step="odd"', 1)[1].split("</tr>", 1)[0]
    assert "ran on tcp://h:1" in odd and "<a " not in odd  # only http(s) links
    assert "jp-run-placement" not in table.split('data-step="local"', 1)[1]


def test_names_and_errors_are_escaped() -> None:
    snap = snapshot(StepView("<b>x</b>", st.FAILED, [], error="boom <script>"), status=st.FAILED)
    page = render.static_html(snap)
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page
    assert "<script>" not in page


def test_metrics_scalars_as_table_and_lists_as_charts() -> None:
    snap = diamond()
    snap.steps[0].metrics = {"acc": 0.9, "loss": [1.0, 0.5, 0.25], "t": {"a": [1, 2], "b": [3, 4]}}
    html = render.metrics_html(snap)
    assert 'data-metric="acc"' in html and "0.9" in html
    assert 'class="jp-run-chart" data-metric="split.loss"' in html
    assert "0.25 (min 0.25, max 1)" in html
    assert "table a, b (2 rows)" in html
    assert "No metrics" in render.metrics_html(snapshot())


def test_a_cycle_still_draws(tmp_path: Path) -> None:
    snap = snapshot(StepView("a", st.QUEUED, ["b"]), StepView("b", st.QUEUED, ["a"]))
    assert render.dag_svg(snap).count("<g class=") == 2


def test_log_follower_reads_only_new_text(tmp_path: Path) -> None:
    out, err = tmp_path / "out.txt", tmp_path / "err.txt"
    out.write_text("one\n")
    follower = LogFollower(limit=1000)
    paths = {"stdout": str(out), "stderr": str(err)}
    assert follower.read(paths) and follower.text == "one\n"
    assert not follower.read(paths)
    with out.open("a") as fh:
        fh.write("two\n")
    err.write_text("bad\n")
    assert follower.read(paths)
    assert follower.text == "one\ntwo\n[stderr] bad\n"
    follower.reset()
    assert follower.text == "" and follower.read(paths) and follower.text.startswith("one")


def test_log_follower_keeps_the_tail(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    out.write_text("x" * 50 + "END")
    follower = LogFollower(limit=10)
    follower.read({"stdout": str(out)})
    assert follower.text.endswith("END") and len(follower.text) == 11


def test_log_follower_waits_for_a_character_cut_between_reads(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    encoded = "héllo\n".encode()
    out.write_bytes(encoded[:2])  # "h" and the first byte of "é"
    follower = LogFollower()
    follower.read({"stdout": str(out)})
    out.write_bytes(encoded)
    follower.read({"stdout": str(out)})
    assert follower.text == "héllo\n"
