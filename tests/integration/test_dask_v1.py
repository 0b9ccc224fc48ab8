"""A v1 pipeline moved to Dask by its compute target alone: Microsoft's getting-started
notebook (tests/v1/scenarios/getting_started), whose ``AmlCompute.provisioning_configuration
(vm_size=..., min_nodes=1, max_nodes=4)`` becomes ``DaskCompute.provisioning_configuration``
with the same arguments. Its three steps (one with a conda Environment, built on the
worker) run on the LocalCluster the target starts, scaled adaptively from 1 to 4 workers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip(
    "distributed", reason="dask is not installed: pip install 'jupyter_pipelines[dask]'"
)

from jupyter_pipelines.stores import status as st
from tests.v1.scenario_support import Scenario, copy_scenario, describe, internet, step_stdout

pytestmark = [pytest.mark.integration, pytest.mark.dask]


@pytest.fixture
def scenario(tmp_path: Path) -> Iterator[Scenario]:
    with internet() as served:
        copy = copy_scenario("getting_started", tmp_path / "getting_started", served.url)
        yield copy
        copy.stop_everything()


def test_a_v1_pipeline_runs_on_dask_by_changing_its_compute_target(scenario: Scenario) -> None:
    scenario.edit(
        "script.py",
        "from jupyter_pipelines import ComputeTarget, AmlCompute\n",
        "from jupyter_pipelines import ComputeTarget, AmlCompute, DaskCompute\n",
    )
    scenario.edit(
        "script.py",
        "AmlCompute.provisioning_configuration(",
        "DaskCompute.provisioning_configuration(",
    )
    scenario.run(timeout=300)
    ws = scenario.ws
    assert ws.compute_targets["cpu-cluster"].type == "DaskCompute"
    for experiment in ("Hello_World1", "Hello_World2"):
        (run,) = scenario.runs(experiment)
        status = run.wait_for_completion(
            show_output=False, timeout_seconds=240, raise_on_error=False
        )
        assert status == st.FINISHED, describe(run)
    (run,) = scenario.runs("Hello_World1")
    steps = {s.name: s for s in run.get_steps()}
    assert "In extract.py" in step_stdout(steps["extract_step"])
    records = {r.name: r for r in ws.run_store.get_steps(run.id)}
    assert all(r.worker and r.worker.startswith("tcp://") for r in records.values()), records
    # extract_step's conda Environment was made on its worker (and its log came back).
    build_log = Path(records["extract_step"].step_dir, "environment_build.txt").read_text()
    assert f"on {records['extract_step'].worker}" in build_log, build_log
