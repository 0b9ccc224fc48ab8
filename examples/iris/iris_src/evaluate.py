"""Evaluate step of the iris example: score the naive Bayes model on the test table.

Reads ``model.json`` from ``--model`` and the test rows from ``input_datasets['iris_test']``;
logs the accuracy on this step and on the pipeline run, and prints the confusions.
"""

from __future__ import annotations

import argparse
import json
import math
import os

from jupyter_pipelines import Run  # v1: from azureml.core import Run


def log_likelihood(params: dict, values: list[float]) -> float:
    total = math.log(params["prior"])
    for x, mean, var in zip(values, params["mean"], params["var"], strict=True):
        total -= 0.5 * (math.log(2 * math.pi * var) + (x - mean) ** 2 / var)
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", required=True, help="folder holding model.json")
    args = parser.parse_args()

    with open(os.path.join(args.model, "model.json")) as handle:
        model = json.load(handle)
    run_context = Run.get_context()
    test = run_context.input_datasets["iris_test"].to_pandas_dataframe()

    correct = 0
    for _, row in test.iterrows():
        values = [float(row[f]) for f in model["features"]]
        scores = {c: log_likelihood(p, values) for c, p in model["classes"].items()}
        predicted = max(scores, key=scores.__getitem__)
        correct += predicted == row["species"]
        if predicted != row["species"]:
            print(f"confused {row['species']} with {predicted}: {values}")
    accuracy = correct / len(test)
    print(f"accuracy {accuracy:.3f} on {len(test)} test rows")
    run_context.log("accuracy", accuracy)
    run_context.log("test_rows", len(test))
    run_context.parent.log("accuracy", accuracy)


if __name__ == "__main__":
    main()
