"""Split step of the iris example: hold out a share of each species for testing.

The registered ``iris`` TabularDataset arrives as ``input_datasets['iris_data']`` (the v1
way); the rows go to ``--train`` and ``--test`` as ``train.csv`` and ``test.csv``.
"""

from __future__ import annotations

import argparse
import os

import pandas as pd

from jupyter_pipelines import Run  # v1: from azureml.core import Run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--test_fraction", type=float, required=True)
    parser.add_argument("--train", required=True)
    parser.add_argument("--test", required=True)
    args = parser.parse_args()
    if not 0.0 < args.test_fraction < 1.0:
        parser.error(f"--test_fraction must be between 0 and 1, got {args.test_fraction}")

    run_context = Run.get_context()
    iris_dataset = run_context.input_datasets["iris_data"]
    dataframe = iris_dataset.to_pandas_dataframe()

    test_parts, train_parts = [], []
    for _, rows in dataframe.groupby("species", sort=True):
        rows = rows.sample(frac=1.0, random_state=0)  # a fixed shuffle
        n_test = max(1, round(len(rows) * args.test_fraction))
        test_parts.append(rows.iloc[:n_test])
        train_parts.append(rows.iloc[n_test:])

    train = pd.concat(train_parts).sort_index()
    test = pd.concat(test_parts).sort_index()

    os.makedirs(args.train, exist_ok=True)
    os.makedirs(args.test, exist_ok=True)
    train.to_csv(os.path.join(args.train, "train.csv"), index=False)
    test.to_csv(os.path.join(args.test, "test.csv"), index=False)
    print(f"{len(dataframe)} rows: {len(train)} for training, {len(test)} for testing")
    run_context.log("train_rows", len(train))
    run_context.log("test_rows", len(test))


if __name__ == "__main__":
    main()
