# train.py of the seed how-to's train_step: arguments=["--prepped_data", output_data1.as_input(),
# "--training_results", training_results]. The how-to does not show it: a nearest-mean model.
import argparse
import csv
import json
import os

from jupyter_pipelines import Run

parser = argparse.ArgumentParser()
parser.add_argument("--prepped_data", required=True)
parser.add_argument("--training_results", required=True)
args = parser.parse_args()

with open(os.path.join(args.prepped_data, "images.csv")) as f:
    rows = list(csv.DictReader(f))
means: dict[str, float] = {}
for label in sorted({r["label"] for r in rows}):
    values = [int(r[f"p{i}"]) for r in rows if r["label"] == label for i in range(16)]
    means[label] = sum(values) / len(values)

os.makedirs(args.training_results, exist_ok=True)
with open(os.path.join(args.training_results, "model.json"), "w") as f:
    json.dump({"means": means}, f, sort_keys=True)
print("trained on", len(rows), "images:", means)
Run.get_context().log("labels", len(means))
