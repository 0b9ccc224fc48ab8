"""Train step of the iris example: a Gaussian naive Bayes, fitted with pandas.

The split step's ``train_data`` output, declared with ``read_delimited_files()``, arrives as
a TabularDataset in ``input_datasets['iris_train']``. The model (per species: prior, and the
mean and variance of each measurement) is written to ``--model`` as ``model.json``.
"""

from __future__ import annotations

import argparse
import json
import os

from jupyter_pipelines import Run  # v1: from azureml.core import Run

FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", required=True, help="folder to write model.json to")
    args = parser.parse_args()

    run_context = Run.get_context()
    dataframe = run_context.input_datasets["iris_train"].to_pandas_dataframe()
    grouped = dataframe.groupby("species")[FEATURES]
    model = {
        "features": FEATURES,
        "classes": {
            species: {
                "prior": len(rows) / len(dataframe),
                "mean": rows.mean().tolist(),
                # A small floor keeps a constant measurement from dividing by zero.
                "var": (rows.var(ddof=0) + 1e-3).tolist(),
            }
            for species, rows in grouped
        },
    }
    os.makedirs(args.model, exist_ok=True)
    with open(os.path.join(args.model, "model.json"), "w") as handle:
        json.dump(model, handle, indent=2)
    print(f"trained on {len(dataframe)} rows of {len(model['classes'])} species")
    run_context.log("train_rows", len(dataframe))


if __name__ == "__main__":
    main()
