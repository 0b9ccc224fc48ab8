"""Not in the pipeline yet: drag this file onto the editor's canvas to add it as a step.

Connect the output ``summary`` of the step 'summarize' to it: it reads ``summary.json`` from
its input (whatever the input is named: ``Run.get_context().input_datasets`` has it) and
says whether any day was warmer than 25 °C.
"""

from __future__ import annotations

import json
import os

from jupyter_pipelines import Run  # v1: from azureml.core import Run

inputs = Run.get_context().input_datasets
if not inputs:
    raise SystemExit("connect the output 'summary' of the step 'summarize' to this step")
folder = next(iter(inputs.values()))
with open(os.path.join(folder, "summary.json")) as handle:
    summary = json.load(handle)
hot = summary["warmest"] > 25
print(f"warmest day: {summary['warmest']} °C: {'heat alert!' if hot else 'no alert'}")
