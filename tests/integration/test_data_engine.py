"""Datastores, datasets, environments and compute targets as the engine uses them."""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_pipelines import (
    AmlCompute,
    CommandStep,
    ComputeTarget,
    CondaDependencies,
    Dataset,
    Datastore,
    OutputFileDatasetConfig,
    Pipeline,
    PipelineParameter,
    PythonScriptStep,
    RunConfiguration,
)
from jupyter_pipelines.errors import PipelineValidationError
from jupyter_pipelines.executors.env_cache import cache_dir
from jupyter_pipelines.model.data import DataPath, DataPathComputeBinding
from jupyter_pipelines.stores import status as st
from tests.integration.support import Project

pytestmark = pytest.mark.integration

LIST_INPUT = """\
    import os, sys
    root = sys.argv[1]
    found = sorted(os.path.relpath(os.path.join(d, f), root)
                   for d, _, fs in os.walk(root) for f in fs)
    print("files:", found, "root:", root)
    """


def upload(project: Project, folder: str, files: dict[str, str]) -> Datastore:
    store = project.ws.get_default_datastore()
    for name, text in files.items():
        path = project.root / "data" / folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    store.upload(
        str(project.root / "data" / folder), target_path=folder, overwrite=True, show_progress=False
    )
    return store


def run_ok(project: Project, pipeline: Pipeline, **kw: object):
    run = project.experiment("data").submit(pipeline, show_output=False, **kw)
    status = run.wait_for_completion(show_output=False, raise_on_error=False)
    assert status == st.FINISHED, [(s.name, s.error) for s in run.get_steps()]
    return run


def test_datastore_paths_mount_in_place_download_into_the_step_and_decide_reuse(
    project: Project,
) -> None:
    store = upload(project, "raw", {"a.csv": "1\n", "sub/b.csv": "2\n"})
    project.script("src/ls.py", LIST_INPUT)
    mounted = PythonScriptStep(
        "ls.py", name="mounted", source_directory="src", arguments=[store.path("raw").as_mount()]
    )
    copied = PythonScriptStep(
        "ls.py", name="copied", source_directory="src", arguments=[store.path("raw").as_download()]
    )
    run = run_ok(project, Pipeline(steps=[mounted, copied]))
    out = {s.name: s.get_logs()["stdout"] for s in run.get_steps()}
    for name in ("mounted", "copied"):
        assert "files: ['a.csv', 'sub/b.csv']" in out[name]
    # mount reads the datastore folder itself; download reads a copy in the step's folder
    assert f"root: {store.local_path('raw')}" in out["mounted"]
    assert "/copied/inputs/raw" in out["copied"]

    again = run_ok(project, Pipeline(steps=[mounted, copied]))
    assert all(s.is_reused for s in again.get_steps())
    upload(project, "raw", {"a.csv": "changed\n", "sub/b.csv": "2\n"})
    third = run_ok(project, Pipeline(steps=[mounted, copied]))
    assert not any(s.is_reused for s in third.get_steps())
    detail = third.get_step_run("mounted").get_reuse_info()["reason"]
    assert detail.startswith("input 'raw' changed content")


def test_outputs_go_to_their_destination_and_register_only_on_success(project: Project) -> None:
    store = project.ws.get_default_datastore()
    project.script(
        "src/write.py",
        """\
        import os, sys
        open(os.path.join(sys.argv[1], "rows.csv"), "w").write("x,y\\n1,2\\n3,4\\n")
        if sys.argv[2] == "fail":
            raise SystemExit(3)
        """,
    )
    mode = PipelineParameter("mode", "ok")
    out = OutputFileDatasetConfig("rows", destination=(store, "prepared/{run-id}/{output-name}"))
    out.register_on_complete("prepared_rows", description="rows", tags={"k": "v"})
    step = PythonScriptStep("write.py", name="write", source_directory="src", arguments=[out, mode])
    run = run_ok(project, Pipeline(steps=[step]))
    delivered = run.get_step_run("write")._record.outputs["rows"]["delivered"]
    step_run_id = run.get_step_run("write").id
    assert delivered["path"] == f"prepared/{step_run_id}/rows"
    assert (store.local_path(delivered["path"]) / "rows.csv").read_text().startswith("x,y")
    assert delivered["registered"] == {"name": "prepared_rows", "version": 1}
    registered = Dataset.get_by_name(project.ws, "prepared_rows")
    assert registered.version == 1 and registered.tags == {"k": "v"}

    failed = project.experiment("data").submit(
        Pipeline(steps=[step]), pipeline_parameters={"mode": "fail"}, show_output=False
    )
    assert failed.wait_for_completion(show_output=False, raise_on_error=False) == st.FAILED
    assert Dataset.get_by_name(project.ws, "prepared_rows").version == 1  # nothing registered
    failed_id = failed.get_step_run("write").id
    assert not store.exists(f"prepared/{failed_id}")  # and nothing delivered


def test_tabular_dataset_input_and_a_dataset_parameter_swapped_at_submit(
    project: Project,
) -> None:
    store = upload(project, "tables", {"one.csv": "x,y\n1,2\n3,4\n", "two.csv": "x,y\n5,6\n"})
    first = Dataset.Tabular.from_delimited_files([(store, "tables/one.csv")]).register(
        project.ws, "table"
    )
    second = Dataset.Tabular.from_delimited_files([(store, "tables/two.csv")])
    project.script(
        "src/read.py",
        """\
        from jupyter_pipelines import Run
        table = Run.get_context().input_datasets["table"]
        print("rows", len(table.to_records()), type(table).__name__)
        """,
    )
    param = PipelineParameter("table_param", first)
    from jupyter_pipelines.model.data import DatasetConsumptionConfig

    step = PythonScriptStep(
        "read.py",
        name="read",
        source_directory="src",
        inputs=[DatasetConsumptionConfig("table", param)],
    )
    run = run_ok(project, Pipeline(steps=[step]))
    assert "rows 2 TabularDataset" in run.get_step_run("read").get_logs()["stdout"]
    swapped = run_ok(project, Pipeline(steps=[step]), pipeline_parameters={"table_param": second})
    assert "rows 1 TabularDataset" in swapped.get_step_run("read").get_logs()["stdout"]


def test_datapath_parameter_with_a_compute_binding(project: Project) -> None:
    store = upload(project, "p1", {"f.txt": "one"})
    upload(project, "p2", {"g.txt": "two", "h.txt": "three"})
    project.script("src/ls.py", LIST_INPUT)
    path_param = PipelineParameter("input_path", DataPath(store, "p1"))
    step = PythonScriptStep(
        "ls.py",
        name="ls",
        source_directory="src",
        arguments=["${{inputs.input_path}}"],
        inputs=[(path_param, DataPathComputeBinding(mode="download"))],
    )
    run = run_ok(project, Pipeline(steps=[step]))
    assert "files: ['f.txt']" in run.get_step_run("ls").get_logs()["stdout"]
    other = run_ok(
        project, Pipeline(steps=[step]), pipeline_parameters={"input_path": "workspaceblobstore:p2"}
    )
    assert "files: ['g.txt', 'h.txt']" in other.get_step_run("ls").get_logs()["stdout"]


def test_unknown_datastores_and_escaping_destinations_record_nothing(project: Project) -> None:
    project.script("src/s.py", "pass\n")
    from jupyter_pipelines.model.data import DataReference

    bad = PythonScriptStep(
        "s.py", name="s", source_directory="src", inputs=[DataReference("nosuchstore", "x", "raw")]
    )
    with pytest.raises(PipelineValidationError, match=r"unknown datastore 'nosuchstore'"):
        project.experiment().submit(Pipeline(steps=[bad]), show_output=False)
    store = project.ws.get_default_datastore()
    escaping = OutputFileDatasetConfig("o", destination=(store, "../../outside/{run-id}"))
    step = PythonScriptStep("s.py", name="s", source_directory="src", arguments=[escaping])
    with pytest.raises(
        PipelineValidationError, match=r"outputs\.o\.destination.*'\.\./\.\./outside/"
    ):
        project.experiment().submit(Pipeline(steps=[step]), show_output=False)
    project.assert_nothing_recorded()


def test_aml_compute_target_and_an_environment_with_packages(project: Project) -> None:
    config = AmlCompute.provisioning_configuration(vm_size="STANDARD_D2_V2", max_nodes=1)
    target = ComputeTarget.create(project.ws, "cpu-cluster", config)
    target.wait_for_completion(show_output=False)
    project.script(
        "src/s.py",
        """\
        import sys, time, six
        print("six", six.__version__, sys.executable)
        time.sleep(0.5)
        """,
    )
    runconfig = RunConfiguration()
    runconfig.target = target
    runconfig.environment.python.conda_dependencies = CondaDependencies.create(
        pip_packages=["six", "azureml-defaults"]
    )
    steps = [
        PythonScriptStep(
            "s.py", name=f"s{i}", source_directory="src", runconfig=runconfig, arguments=[str(i)]
        )
        for i in range(2)
    ]
    run = run_ok(project, Pipeline(steps=steps))
    done = run.get_steps()
    cache = str(cache_dir())  # the user's environment cache (the session's, in tests)
    assert all(f"{cache}/" in s.get_logs()["stdout"] for s in done)
    # max_nodes=1: the two steps of this target ran one after the other
    first, second = sorted(done, key=lambda s: s.start_time)
    assert first.end_time <= second.start_time
    # an unknown target is refused before anything runs
    stray = PythonScriptStep("s.py", name="x", source_directory="src", compute_target="gpu")
    with pytest.raises(PipelineValidationError, match=r"unknown compute target 'gpu'"):
        project.experiment().submit(Pipeline(steps=[stray]), show_output=False)
    # a changed environment changes the fingerprint and says so
    runconfig.environment.python.conda_dependencies.add_pip_package("packaging")
    again = run_ok(project, Pipeline(steps=steps))
    assert "environment changed" in again.get_step_run("s0").get_reuse_info()["reason"]


def test_command_step_reads_a_datastore_path(project: Project) -> None:
    store = upload(project, "c", {"n.txt": "42"})
    step = CommandStep("cat ${{inputs.c}}/n.txt", name="cat", inputs=[store.path("c")])
    run = run_ok(project, Pipeline(steps=[step]))
    assert run.get_step_run("cat").get_logs()["stdout"].strip() == "42"


def test_step_run_files_output_data_and_details_with_logs(project: Project, tmp_path) -> None:
    project.script(
        "src/w.py",
        """\
        import os, sys
        from jupyter_pipelines import Run
        open(os.path.join(sys.argv[1], "model.txt"), "w").write("weights")
        Run.get_context().upload_file("reports/summary.txt", __file__)
        print("done")
        """,
    )

    def pipeline() -> Pipeline:
        out = OutputFileDatasetConfig("model")
        return Pipeline(
            steps=[PythonScriptStep("w.py", name="w", source_directory="src", arguments=[out])]
        )

    run = run_ok(project, pipeline())
    step = run.get_step_run("w")
    names = step.get_file_names()
    # an upload is named as it was uploaded (v1), the step's logs by their path
    assert {"stdout.txt", "stderr.txt", "manifest.json", "reports/summary.txt"} <= set(names)
    assert not any(n.startswith(("code/", "inputs/", "files/")) for n in names)
    copied = step.download_file("reports/summary.txt", str(tmp_path / "s.txt"))
    assert "upload_file" in Path(copied).read_text()
    got = step.download_files(prefix="reports/", output_directory=str(tmp_path / "all"))
    assert got == [str(tmp_path / "all" / "reports/summary.txt")]
    data = step.get_output_data("model")
    # as v1's datastore download: the files land at local_path/<path_on_datastore>/
    assert data.download(str(tmp_path / "dl")) == 1
    assert (tmp_path / "dl" / data.path_on_datastore / "model.txt").read_text() == "weights"
    assert data.download(str(tmp_path / "dl")) == 0  # existing files are kept
    details = step.get_details_with_logs()
    assert details["logFiles"]["stdout.txt"].strip() == "done"
    with pytest.raises(Exception, match=r"no file 'nope.txt'"):
        step.download_file("nope.txt")
    with pytest.raises(Exception, match=r"no output 'modl'.*did you mean \"model\""):
        step.get_output_data("modl")
    # a reused step run serves the files of the run it reused
    again = run_ok(project, pipeline())
    assert again.get_step_run("w").is_reused
    assert again.get_step_run("w").get_file_names() == names
