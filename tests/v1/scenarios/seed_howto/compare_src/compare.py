# compare.py of the seed how-to's compare_step ("compare_step definition not shown"): reads the
# training results and reports how far apart the labels' means are.
import argparse
import json
import os

parser = argparse.ArgumentParser()
parser.add_argument("--training_results", required=True)
args = parser.parse_args()

with open(os.path.join(args.training_results, "model.json")) as f:
    means = json.load(f)["means"]
spread = max(means.values()) - min(means.values())
print(f"compared {len(means)} labels; spread of means {spread:.2f}")
