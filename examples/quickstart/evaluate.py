"""Step 3 of the quickstart: score the trained line on the held-out rows.

Reads ``test.csv`` from ``--data`` and ``model.json`` from ``--model``, logs the test RMSE,
R² and an accuracy (the share of predictions within ``tolerance`` of the truth), and writes
them to ``evaluation.json`` in ``--output``. ``tolerance`` comes from the step's ``params``,
which arrive, as in v1, as the environment variable ``AML_PARAMETER_tolerance``.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os

from jupyter_pipelines import Run  # v1: from azureml.core import Run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", required=True, help="folder holding test.csv")
    parser.add_argument("--model", required=True, help="folder holding model.json")
    parser.add_argument("--output", required=True, help="folder to write evaluation.json to")
    args = parser.parse_args()
    # v1 keeps the parameter's own case in the variable name.
    tolerance = float(os.environ.get("AML_PARAMETER_tolerance", "1.0"))  # noqa: SIM112

    with open(os.path.join(args.model, "model.json")) as handle:
        model = json.load(handle)
    with open(os.path.join(args.data, "test.csv"), newline="") as handle:
        rows = [(float(r["x"]), float(r["y"])) for r in csv.DictReader(handle)]

    errors = [y - (model["slope"] * x + model["intercept"]) for x, y in rows]
    mean_y = sum(y for _, y in rows) / len(rows)
    total = sum((y - mean_y) ** 2 for _, y in rows)
    scores = {
        "test_rows": len(rows),
        "test_rmse": math.sqrt(sum(e * e for e in errors) / len(errors)),
        "r2": 1.0 - sum(e * e for e in errors) / total,
        "accuracy": sum(abs(e) <= tolerance for e in errors) / len(errors),
        "tolerance": tolerance,
    }

    run = Run.get_context()
    for name in ("test_rmse", "r2", "accuracy"):
        run.log(name, scores[name])
    run.parent.log("accuracy", scores["accuracy"])  # a metric of the pipeline run, as in v1

    os.makedirs(args.output, exist_ok=True)
    with open(os.path.join(args.output, "evaluation.json"), "w") as handle:
        json.dump(scores, handle, indent=2)
        handle.write("\n")
    print(
        f"test RMSE {scores['test_rmse']:.3f}, R² {scores['r2']:.3f}, accuracy "
        f"{scores['accuracy']:.2f} (share of {len(rows)} test rows within {tolerance:g})"
    )


if __name__ == "__main__":
    main()
