"""A step run's outputs, as v1 hands them out: ``StepRunOutput`` and ``PortDataReference``.

Where an output lives is said as v1 says it, a datastore and a path on it: where the step
run put it when it succeeded (its record's ``delivered``; see ``output_delivery``):

- an output with a destination (``OutputFileDatasetConfig(destination=...)``) is there;
- any other output is where v1 keeps it: ``azureml/<step run id>/<name>`` on its
  ``PipelineData``'s datastore or the default one (``dataset/<step run id>/<name>`` for
  an output dataset config), which on a local datastore holds the run folder's own files.

A reused step run reports the place of the run it reused. An output recorded before
outputs had a place (or whose datastore was unregistered since) is reported in the
workspace's run folder, ``.pipelines/runs/``, as the datastore ``workspaceartifactstore``
(v1's name for the store of run artifacts, registered on first use), at
``<pipeline run id>/<step>/outputs/<output name>``.

A PortDataReference is a ``DataReference``, so it is also an input of a later pipeline:
``arguments=["--data", ref], inputs=[ref]``, or ``ref.as_download()`` / ``ref.as_mount()``.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import DatastoreError
from ..model.data import DataReference

if TYPE_CHECKING:
    from ..stores.datastores import Datastore
    from ..stores.workspace import Workspace
    from .step_run import StepRun

#: The datastore name of the workspace's run folder (v1: the run artifacts' datastore).
ARTIFACT_STORE = "workspaceartifactstore"


def artifact_datastore(workspace: Workspace) -> Datastore:
    """The workspace's run folder as the datastore ``workspaceartifactstore``, registered the
    first time it is needed (so that a later pipeline can read step outputs through it)."""
    from ..stores.datastores import Datastore

    try:
        return Datastore.get(workspace, ARTIFACT_STORE)
    except DatastoreError:
        pass
    try:
        return Datastore.register(workspace, ARTIFACT_STORE, str(workspace.runs_dir))
    except DatastoreError:  # registered by another process meanwhile
        return Datastore.get(workspace, ARTIFACT_STORE)


def output_location(workspace: Workspace, entry: dict[str, Any]) -> tuple[Datastore, str]:
    """The datastore and path on it of a step output (its record ``entry``)."""
    from ..stores.datastores import Datastore

    delivered = entry.get("delivered") or {}
    if delivered.get("datastore") and delivered.get("path") is not None:
        try:
            return Datastore.get(workspace, delivered["datastore"]), str(delivered["path"])
        except DatastoreError:
            pass  # unregistered since: the copy in the run folder is still there
    relative = os.path.relpath(Path(entry["path"]).resolve(), workspace.runs_dir.resolve())
    return artifact_datastore(workspace), Path(relative).as_posix()


class StepRunOutput:
    """An output of a step run (v1 ``StepRunOutput``): ``get_port_data_reference()`` gives
    its data."""

    def __init__(
        self, context: Any, pipeline_run_id: str, step_run: StepRun, name: str, step_output: Any
    ) -> None:
        #: What v1 calls the graph context: here, the step run's experiment.
        self.context = context
        #: The pipeline run that made the output (for a reused step: the run it reused).
        self.pipeline_run_id = pipeline_run_id
        self.step_run = step_run
        self.name = name
        #: The output's record: ``path`` (its local folder), ``hash``, ``delivered``.
        self.step_output = step_output

    def get_port_data_reference(self) -> PortDataReference:
        """The output's data: where it is, to download it or feed it to another pipeline."""
        datastore, path = output_location(self.step_run.workspace, self.step_output)
        reference = DataReference(datastore, data_reference_name=self.name, path_on_datastore=path)
        return PortDataReference(self.context, self.pipeline_run_id, reference, self.step_run)

    def __repr__(self) -> str:
        return f"StepRunOutput(name={self.name!r}, step={self.step_run.name!r})"


class PortDataReference(DataReference):
    """The data of a finished step's output (v1 ``PortDataReference``): a datastore and a
    path on it; ``download()`` copies it, and it can be a later pipeline's input."""

    def __init__(
        self, context: Any, pipeline_run_id: str, data_reference: Any, step_run: Any = None
    ) -> None:
        self._context = context
        self.pipeline_run_id = pipeline_run_id
        self._data_reference = data_reference
        self._step_run = step_run
        super().__init__(
            data_reference.datastore,
            data_reference.data_reference_name
            if hasattr(data_reference, "data_reference_name")
            else data_reference.name,
            data_reference.path_on_datastore,
        )

    # v1 has these as read-only properties; the DataReference base sets them when built.
    @property
    def datastore(self) -> Any:
        """The Datastore holding the data."""
        return self._datastore

    @datastore.setter
    def datastore(self, value: Any) -> None:
        self._datastore = value

    @property
    def path_on_datastore(self) -> Any:
        """The data's path on its datastore (a folder for a folder output)."""
        return self._path_on_datastore

    @path_on_datastore.setter
    def path_on_datastore(self, value: Any) -> None:
        self._path_on_datastore = value

    @property
    def data_reference_name(self) -> str:
        """The output's name (v1's name for ``name``)."""
        return str(self.name)

    @property
    def local_path(self) -> Path | None:
        """Where the data is on this machine (None for a remote datastore)."""
        found = self.datastore.local_path(self.path_on_datastore)
        return Path(found) if found is not None else None

    def download(
        self, local_path: str, overwrite: bool | None = None, show_progress: bool | None = None
    ) -> int:
        """Copy the data into ``local_path``, at its path on the datastore (as v1's datastore
        download does: ``local_path/<path_on_datastore>/...``); files already there are
        kept unless ``overwrite``. Returns the number of files copied."""
        prefix = str(self.path_on_datastore).rstrip("/")
        if self.datastore.isdir(prefix):
            prefix += "/"  # only this folder, not its siblings that start with its name
        copied: int = self.datastore.download(
            local_path,
            prefix=prefix,
            overwrite=bool(overwrite),
            show_progress=True if show_progress is None else show_progress,
        )
        return copied

    def create_input_binding(
        self,
        input_name: str | None = None,
        mode: str | None = None,
        path_on_compute: str | None = None,
        overwrite: bool | None = None,
    ) -> PortDataReference:
        """This data as a step input named ``input_name`` (default: the output's name), read
        in place (``mode="mount"``, the default) or copied (``"download"``)."""
        mode = mode or "mount"
        if mode not in ("mount", "download"):
            raise ValueError(f"Input [{input_name or self.name}] has an invalid mode [{mode}]")
        binding = copy.copy(self)
        binding._name = input_name or self.name
        binding.mode = mode
        binding.path_on_compute = path_on_compute
        binding.overwrite = bool(overwrite)
        return binding

    def as_download(  # type: ignore[override]
        self,
        input_name: str | None = None,
        path_on_compute: str | None = None,
        overwrite: bool | None = None,
    ) -> PortDataReference:
        """This data as an input copied next to the step before it starts."""
        return self.create_input_binding(input_name, "download", path_on_compute, overwrite)

    def as_mount(self, input_name: str | None = None) -> PortDataReference:
        """This data as an input read in place."""
        return self.create_input_binding(input_name, "mount")

    def as_input(self, input_name: str) -> PortDataReference:
        """This data as an input named ``input_name`` (read in place)."""
        return self.create_input_binding(input_name)

    def __str__(self) -> str:
        return f"$AZUREML_DATAREFERENCE_{self.name}"

    def __repr__(self) -> str:
        return (
            f"PortDataReference(name={self.name!r}, datastore={self.datastore_name!r}, "
            f"path_on_datastore={self.path_on_datastore!r})"
        )
