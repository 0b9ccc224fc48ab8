"""Scoring step of the batch-scoring example: price every apartment of one batch.

``--input_data`` is the folder the ``input_datapath`` parameter points to (every ``*.csv``
in it is scored), ``--model`` the downloaded model folder (``model.json``, a linear price
model). Writes ``scores.csv`` (``id, area_m2, rooms, price``) into ``--output``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os

from jupyter_pipelines import Run  # v1: from azureml.core import Run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--input_data", required=True, help="folder of CSV files to score")
    parser.add_argument("--model", required=True, help="folder holding model.json")
    parser.add_argument("--output", required=True, help="folder to write scores.csv to")
    args = parser.parse_args()

    with open(os.path.join(args.model, "model.json")) as handle:
        model = json.load(handle)
    rows = []
    for name in sorted(os.listdir(args.input_data)):
        if not name.endswith(".csv"):
            continue
        with open(os.path.join(args.input_data, name), newline="") as handle:
            for row in csv.DictReader(handle):
                area, rooms = float(row["area_m2"]), int(row["rooms"])
                price = model["intercept"] + model["per_m2"] * area + model["per_room"] * rooms
                rows.append([row["id"], area, rooms, round(price, 2)])

    os.makedirs(args.output, exist_ok=True)
    with open(os.path.join(args.output, "scores.csv"), "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "area_m2", "rooms", "price"])
        writer.writerows(rows)
    print(f"scored {len(rows)} apartments from {args.input_data}")
    Run.get_context().log("scored", len(rows))


if __name__ == "__main__":
    main()
