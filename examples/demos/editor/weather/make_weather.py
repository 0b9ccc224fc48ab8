"""Step 'weather' of the visual editor demo: a month or two of made-up daily temperatures.

Writes ``readings.csv`` (columns ``day`` and ``celsius``) into the folder given as
``--output``. Standard library only.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import random

from jupyter_pipelines import Run  # v1: from azureml.core import Run

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--days", type=int, default=60)
parser.add_argument("--output", required=True)
args = parser.parse_args()

rng = random.Random(42)
os.makedirs(args.output, exist_ok=True)
with open(os.path.join(args.output, "readings.csv"), "w", newline="") as handle:
    writer = csv.writer(handle)
    writer.writerow(["day", "celsius"])
    for day in range(1, args.days + 1):
        season = 8 * math.sin(day / 58)
        writer.writerow([day, round(14 + season + rng.gauss(0, 2.5), 1)])
Run.get_context().log("days", args.days)
print(f"{args.days} days of readings")
