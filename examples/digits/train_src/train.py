"""Training of the digits example: a softmax regression fitted by gradient descent.

Reads ``train.csv``, ``test.csv`` and ``labels.txt`` from ``--prepped_data``, trains for
``--epochs`` full-batch steps of size ``--learning_rate`` (both pipeline parameters), logs
the loss curve and the accuracies, and writes ``model.json`` and ``predictions.csv`` into
``--training_results``. Standard library only.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os

from jupyter_pipelines import Run  # v1: from azureml.core import Run


def load(path: str) -> tuple[list[str], list[list[float]], list[str]]:
    with open(path, newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        rows = list(reader)
    return [r[0] for r in rows], [[float(v) for v in r[2:]] for r in rows], [r[1] for r in rows]


def softmax(scores: list[float]) -> list[float]:
    top = max(scores)
    exps = [math.exp(s - top) for s in scores]
    total = sum(exps)
    return [e / total for e in exps]


def scores_of(weights: list[list[float]], x: list[float]) -> list[float]:
    # The last weight of each class is its bias.
    return [sum(w * v for w, v in zip(ws, x, strict=False)) + ws[-1] for ws in weights]


def fit(xs, ys, labels, learning_rate, epochs, run):
    n_features = len(xs[0])
    weights = [[0.0] * (n_features + 1) for _ in labels]
    for _ in range(epochs):
        grads = [[0.0] * (n_features + 1) for _ in labels]
        loss = 0.0
        for x, y in zip(xs, ys, strict=True):
            probs = softmax(scores_of(weights, x))
            loss -= math.log(max(probs[labels.index(y)], 1e-12))
            for k, label in enumerate(labels):
                err = probs[k] - (1.0 if label == y else 0.0)
                for j, v in enumerate(x):
                    grads[k][j] += err * v
                grads[k][-1] += err
        for k in range(len(labels)):
            for j in range(n_features + 1):
                weights[k][j] -= learning_rate * grads[k][j] / len(xs)
        run.log("loss", loss / len(xs))
    return weights


def predict(weights, labels, x):
    scores = scores_of(weights, x)
    return labels[scores.index(max(scores))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--prepped_data", required=True)
    parser.add_argument("--training_results", required=True)
    parser.add_argument("--learning_rate", type=float, required=True)
    parser.add_argument("--epochs", type=int, required=True)
    args = parser.parse_args()

    run = Run.get_context()
    with open(os.path.join(args.prepped_data, "labels.txt")) as handle:
        labels = handle.read().split()
    train_y, train_x, _ = load(os.path.join(args.prepped_data, "train.csv"))
    test_y, test_x, test_names = load(os.path.join(args.prepped_data, "test.csv"))

    weights = fit(train_x, train_y, labels, args.learning_rate, args.epochs, run)
    pairs = zip(train_x, train_y, strict=True)
    train_acc = sum(predict(weights, labels, x) == y for x, y in pairs) / len(train_y)
    predictions = [predict(weights, labels, x) for x in test_x]
    test_acc = sum(p == y for p, y in zip(predictions, test_y, strict=True)) / len(test_y)
    run.log("learning_rate", args.learning_rate)
    run.log("train_accuracy", train_acc)
    run.log("test_accuracy", test_acc)

    os.makedirs(args.training_results, exist_ok=True)
    model = {
        "labels": labels,
        "weights": weights,
        "learning_rate": args.learning_rate,
        "epochs": args.epochs,
    }
    with open(os.path.join(args.training_results, "model.json"), "w") as handle:
        json.dump(model, handle)
    with open(os.path.join(args.training_results, "predictions.csv"), "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "label", "predicted"])
        writer.writerows(zip(test_names, test_y, predictions, strict=True))
    print(f"train accuracy {train_acc:.2f}, test accuracy {test_acc:.2f}")


if __name__ == "__main__":
    main()
