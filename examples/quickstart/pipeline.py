"""The quickstart pipeline, written as Azure ML SDK v1 code with ``jupyter_pipelines`` imports.

    prepare.py (script) -> train.ipynb (notebook) -> evaluate.py (script) -> report (command)

Run it with ``python examples/quickstart/pipeline.py``: it builds the pipeline, saves it to
``quickstart.pipeline.yaml`` next to this file, submits it to the workspace in this folder
(``.pipelines/``) and follows the run to its end.
"""

from __future__ import annotations

import os

# In v1 these came from azureml.core, azureml.data, azureml.pipeline.core and
# azureml.pipeline.steps; here every public name is importable from the package itself.
from jupyter_pipelines import (
    CommandStep,
    Experiment,
    NotebookStep,
    OutputFileDatasetConfig,
    Pipeline,
    PipelineParameter,
    PipelineRun,
    PythonScriptStep,
    Workspace,
)

project_folder = os.path.dirname(os.path.abspath(__file__))
pipeline_file = os.path.join(project_folder, "quickstart.pipeline.yaml")


def build_pipeline(ws: Workspace) -> Pipeline:
    """The four steps, wired by their data: each output passed on is an input of the next."""
    rows_param = PipelineParameter(name="rows", default_value=100)
    regularization_param = PipelineParameter(name="regularization", default_value=0.0)
    tolerance_param = PipelineParameter(name="tolerance", default_value=1.0)

    prepared_data = OutputFileDatasetConfig(name="prepared_data")
    model = OutputFileDatasetConfig(name="model")
    evaluation = OutputFileDatasetConfig(name="evaluation")

    prepare_step = PythonScriptStep(
        name="prepare",
        script_name="prepare.py",
        source_directory=project_folder,
        arguments=["--rows", rows_param, "--output", prepared_data],
        allow_reuse=True,
    )
    # Inputs and outputs of a notebook step are injected into its parameters cell, under
    # their names, as folder paths: here ``prepared_data`` and ``model``.
    train_step = NotebookStep(
        name="train",
        notebook="train.ipynb",
        source_directory=project_folder,
        parameters={"regularization": regularization_param},
        inputs=[prepared_data.as_input()],
        outputs=[model],
    )
    evaluate_step = PythonScriptStep(
        name="evaluate",
        script_name="evaluate.py",
        source_directory=project_folder,
        arguments=[
            "--data",
            prepared_data.as_input(),
            "--model",
            model.as_input(),
            "--output",
            evaluation,
        ],
        params={"tolerance": tolerance_param},  # the script reads AML_PARAMETER_tolerance
    )
    report_step = CommandStep(
        name="report",
        command=(
            "cat ${{inputs.model}}/model.json ${{inputs.evaluation}}/evaluation.json"
            " && cd ${{inputs.prepared_data}} && wc -l *.csv"
        ),
        source_directory=project_folder,
        inputs=[prepared_data.as_input(), model.as_input(), evaluation.as_input()],
    )

    return Pipeline(
        workspace=ws,
        steps=[prepare_step, train_step, evaluate_step, report_step],
        description="Quickstart: prepare data, train a line in a notebook, evaluate, report",
    )


def main(rows: int = 200, ws: Workspace | None = None) -> PipelineRun:
    """Build, save, submit and follow the pipeline in ``ws``; return its run."""
    # v1: ws = Workspace.from_config(). A local workspace is a .pipelines/ folder; by
    # default this one is kept next to this file (`make demo` passes the demo workspace,
    # examples/.pipelines, the one `make lab` shows).
    ws = ws or Workspace.at(project_folder)
    pipeline = build_pipeline(ws)

    for issue in pipeline.validate():
        print(issue)
    pipeline.save(pipeline_file)

    pipeline_run = Experiment(ws, "quickstart").submit(pipeline, pipeline_parameters={"rows": rows})
    pipeline_run.wait_for_completion(show_output=True)
    return pipeline_run


if __name__ == "__main__":
    main()
