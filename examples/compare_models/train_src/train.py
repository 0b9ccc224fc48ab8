"""Training of the compare-models example: a least-squares polynomial of ``--degree``.

Solves the normal equations by Gaussian elimination (standard library only), then writes
``model.json`` (coefficients, lowest power first) and ``metrics.json`` (test RMSE and MAE)
into ``--training_results`` and logs the metrics.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os

from jupyter_pipelines import Run  # v1: from azureml.core import Run


def load(path: str) -> list[tuple[float, float]]:
    with open(path, newline="") as handle:
        return [(float(r["x"]), float(r["y"])) for r in csv.DictReader(handle)]


def solve(a: list[list[float]], b: list[float]) -> list[float]:
    """Solve ``a x = b`` by Gaussian elimination with partial pivoting."""
    n = len(b)
    m = [[*row, b[i]] for i, row in enumerate(a)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(m[r][col]))
        m[col], m[pivot] = m[pivot], m[col]
        for r in range(col + 1, n):
            factor = m[r][col] / m[col][col]
            for c in range(col, n + 1):
                m[r][c] -= factor * m[col][c]
    x = [0.0] * n
    for r in reversed(range(n)):
        x[r] = (m[r][n] - sum(m[r][c] * x[c] for c in range(r + 1, n))) / m[r][r]
    return x


def fit(points: list[tuple[float, float]], degree: int) -> list[float]:
    size = degree + 1
    a = [[sum(x ** (i + j) for x, _ in points) for j in range(size)] for i in range(size)]
    b = [sum(y * x**i for x, y in points) for i in range(size)]
    return solve(a, b)


def predict(coefficients: list[float], x: float) -> float:
    return sum(c * x**i for i, c in enumerate(coefficients))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--prepped_data", required=True)
    parser.add_argument("--degree", type=int, required=True)
    parser.add_argument("--training_results", required=True)
    args = parser.parse_args()

    train = load(os.path.join(args.prepped_data, "train.csv"))
    test = load(os.path.join(args.prepped_data, "test.csv"))
    coefficients = fit(train, args.degree)
    errors = [y - predict(coefficients, x) for x, y in test]
    metrics = {
        "degree": args.degree,
        "rmse": math.sqrt(sum(e * e for e in errors) / len(errors)),
        "mae": sum(abs(e) for e in errors) / len(errors),
    }

    os.makedirs(args.training_results, exist_ok=True)
    with open(os.path.join(args.training_results, "model.json"), "w") as handle:
        json.dump({"degree": args.degree, "coefficients": coefficients}, handle)
    with open(os.path.join(args.training_results, "metrics.json"), "w") as handle:
        json.dump(metrics, handle)
    run = Run.get_context()
    run.log("rmse", metrics["rmse"])
    run.log("mae", metrics["mae"])
    print(f"degree {args.degree}: test RMSE {metrics['rmse']:.3f}, MAE {metrics['mae']:.3f}")


if __name__ == "__main__":
    main()
