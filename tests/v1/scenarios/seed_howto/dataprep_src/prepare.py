# prepare.py of the seed how-to's data_prep_step: arguments=["--input", ds_input.as_download(),
# "--output", output_data1]. The how-to does not show it; a user's data preparation: one CSV
# row per PGM image (label from the file name, then the pixels).
import argparse
import csv
import os

from jupyter_pipelines import Run

parser = argparse.ArgumentParser()
parser.add_argument("--input", required=True)
parser.add_argument("--output", required=True)
args = parser.parse_args()

rows = []
for root, _, names in os.walk(args.input):
    for name in sorted(names):
        if name.endswith(".pgm"):
            with open(os.path.join(root, name)) as f:
                pixels = [int(v) for v in f.read().split()[4:]]
            rows.append([name.split("_")[0], name, *pixels])

os.makedirs(args.output, exist_ok=True)
with open(os.path.join(args.output, "images.csv"), "w", newline="") as f:
    csv.writer(f).writerows([["label", "name", *[f"p{i}" for i in range(16)]], *sorted(rows)])
print(f"prepared {len(rows)} images into {args.output}")
Run.get_context().log("images", len(rows))
