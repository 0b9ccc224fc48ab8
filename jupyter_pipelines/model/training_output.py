"""``TrainingOutput`` (the v1 name): which result of an AutoML or HyperDrive step an output holds.

v1 attaches one to a ``PipelineData`` (``training_output=``) so that an AutoML or
HyperDrive step writes its metrics or its best model there. Those steps train on Azure ML
services and do not exist here; the object is kept as data, checked as v1 checks it, so
that v1 code building such outputs runs and a pipeline file can carry it.
"""

from __future__ import annotations

from typing import Any

from ..errors import ModelError

#: The kinds of training output v1 knows, lower-cased.
TRAINING_OUTPUT_TYPES = ("metrics", "model")


class TrainingOutput:
    """A step output that holds training metrics (``type="Metrics"``) or a model (``"Model"``).

    For a model, ``iteration`` or ``metric`` (not both) picks which one; ``model_file``
    names a file of it (HyperDrive).
    """

    def __init__(
        self,
        type: str,
        iteration: int | None = None,
        metric: str | None = None,
        model_file: str | None = None,
    ) -> None:
        kind = type.lower() if isinstance(type, str) else ""
        if kind not in TRAINING_OUTPUT_TYPES:
            raise ModelError(f"TrainingOutput type must be 'Metrics' or 'Model', got {type!r}")
        if kind == "metrics" and (iteration or metric):
            raise ModelError(
                "TrainingOutput(type='Metrics') takes no 'iteration' or 'metric'; "
                "those pick a model (type='Model')"
            )
        if kind == "model" and iteration and metric:
            raise ModelError("TrainingOutput(type='Model') takes 'iteration' or 'metric', not both")
        self._type = type
        self._iteration = iteration
        self._metric = metric
        self._model_file = model_file

    @property
    def type(self) -> str:
        """The kind of output: 'Metrics' or 'Model' (as given)."""
        return self._type

    @property
    def iteration(self) -> int | None:
        """The training iteration whose model is wanted."""
        return self._iteration

    @property
    def metric(self) -> str | None:
        """The metric by which the best model is chosen."""
        return self._metric

    @property
    def model_file(self) -> str | None:
        """The model file to include (HyperDrive)."""
        return self._model_file

    def to_dict(self) -> dict[str, Any]:
        """The fields that are set, for pipeline files and records."""
        fields = {
            "type": self._type,
            "iteration": self._iteration,
            "metric": self._metric,
            "model_file": self._model_file,
        }
        return {k: v for k, v in fields.items() if v is not None}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TrainingOutput) and other.to_dict() == self.to_dict()

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.to_dict().items())))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.to_dict().items())
        return f"TrainingOutput({args})"
