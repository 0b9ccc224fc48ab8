"""Comparison step of the compare-models example: keep the model with the lowest error.

Each ``--results`` folder holds ``model.json`` and ``metrics.json`` of one trained model;
``--metric`` (a pipeline parameter: ``rmse`` or ``mae``) says which error decides. The
winner's files and a ``comparison.json`` ranking go to ``--best_model``; the best degree and
error are logged on the pipeline run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil

from jupyter_pipelines import Run  # v1: from azureml.core import Run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--metric", choices=["rmse", "mae"], required=True)
    parser.add_argument("--best_model", required=True)
    parser.add_argument("--results", nargs="+", required=True)
    args = parser.parse_args()

    candidates = []
    for folder in args.results:
        with open(os.path.join(folder, "metrics.json")) as handle:
            candidates.append((json.load(handle), folder))
    candidates.sort(key=lambda c: c[0][args.metric])
    best, folder = candidates[0]

    os.makedirs(args.best_model, exist_ok=True)
    shutil.copy(os.path.join(folder, "model.json"), args.best_model)
    ranking = {"metric": args.metric, "ranking": [m for m, _ in candidates]}
    with open(os.path.join(args.best_model, "comparison.json"), "w") as handle:
        json.dump(ranking, handle, indent=2)

    run = Run.get_context()
    run.log("best_degree", best["degree"])
    run.parent.log("best_degree", best["degree"])
    run.parent.log(f"best_{args.metric}", best[args.metric])
    print(f"best by {args.metric}: degree {best['degree']} ({best[args.metric]:.3f})")


if __name__ == "__main__":
    main()
