"""Step 1 of the quickstart: generate a small regression data set and split it into CSV files.

Writes ``train.csv`` and ``test.csv`` (columns ``x`` and ``y``, with ``y = 3x + 2`` plus noise)
into the folder given as ``--output``, an OutputFileDatasetConfig of the pipeline. Standard
library only.
"""

from __future__ import annotations

import argparse
import csv
import os
import random

from jupyter_pipelines import Run  # v1: from azureml.core import Run

SLOPE, INTERCEPT, NOISE = 3.0, 2.0, 0.5


def generate(rows: int, seed: int) -> list[tuple[float, float]]:
    """``rows`` points on the line ``y = SLOPE * x + INTERCEPT`` with Gaussian noise."""
    rng = random.Random(seed)
    points = []
    for _ in range(rows):
        x = rng.uniform(0.0, 10.0)
        points.append((round(x, 4), round(SLOPE * x + INTERCEPT + rng.gauss(0.0, NOISE), 4)))
    return points


def write_csv(path: str, points: list[tuple[float, float]]) -> None:
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["x", "y"])
        writer.writerows(points)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, required=True, help="number of rows to generate")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", required=True, help="folder to write the CSV files to")
    args = parser.parse_args()
    if args.rows < 10:
        parser.error(f"--rows must be at least 10, got {args.rows}")

    points = generate(args.rows, args.seed)
    split = int(len(points) * 0.8)
    os.makedirs(args.output, exist_ok=True)
    write_csv(os.path.join(args.output, "train.csv"), points[:split])
    write_csv(os.path.join(args.output, "test.csv"), points[split:])
    print(f"wrote {split} training and {len(points) - split} test rows to {args.output}")

    run = Run.get_context()
    run.log("rows", args.rows)
    run.log("train_rows", split)


if __name__ == "__main__":
    main()
