"""Data prep of the compare-models example: split the points into training and test rows.

``--input`` is the mounted FileDataset (a folder holding ``points.csv``); every third row
goes to ``test.csv``, the others to ``train.csv``, both in ``--output``.
"""

from __future__ import annotations

import argparse
import csv
import os

from jupyter_pipelines import Run  # v1: from azureml.core import Run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--input", required=True, help="folder holding points.csv")
    parser.add_argument("--output", required=True, help="folder to write the split to")
    args = parser.parse_args()

    with open(os.path.join(args.input, "points.csv"), newline="") as handle:
        rows = list(csv.DictReader(handle))
    splits = {
        "train": [r for i, r in enumerate(rows) if i % 3 != 2],
        "test": [r for i, r in enumerate(rows) if i % 3 == 2],
    }
    os.makedirs(args.output, exist_ok=True)
    for name, chosen in splits.items():
        with open(os.path.join(args.output, f"{name}.csv"), "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=["x", "y"])
            writer.writeheader()
            writer.writerows(chosen)
    print(f"{len(splits['train'])} training and {len(splits['test'])} test points")
    Run.get_context().log("points", len(rows))


if __name__ == "__main__":
    main()
