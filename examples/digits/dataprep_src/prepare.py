"""Data prep of the digits example: images -> feature rows.

``--input`` is the downloaded FileDataset: ``<label>/<name>.pgm`` files, plain-text PGM
images. Each image becomes a row ``label, name, p0 ... pN`` with pixels scaled to [0, 1];
variant ``*_3.pgm`` of each digit is held out as the test set. Writes ``train.csv``,
``test.csv`` and ``labels.txt`` into ``--output`` (an OutputFileDatasetConfig).
"""

from __future__ import annotations

import argparse
import csv
import os

from jupyter_pipelines import Run  # v1: from azureml.core import Run


def read_pgm(path: str) -> list[float]:
    """The pixels of a plain (P2) PGM image, scaled to [0, 1]."""
    with open(path) as handle:
        words = [w for line in handle for w in line.split("#", 1)[0].split()]
    if words[0] != "P2":
        raise ValueError(f"{path}: not a plain PGM image (magic {words[0]!r})")
    width, height, maxval = int(words[1]), int(words[2]), int(words[3])
    pixels = [int(w) / maxval for w in words[4:]]
    if len(pixels) != width * height:
        raise ValueError(f"{path}: expected {width * height} pixels, found {len(pixels)}")
    return pixels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--input", required=True, help="folder of <label>/<image>.pgm files")
    parser.add_argument("--output", required=True, help="folder to write the CSV files to")
    args = parser.parse_args()

    rows = {"train": [], "test": []}
    for label in sorted(os.listdir(args.input)):
        folder = os.path.join(args.input, label)
        for name in sorted(os.listdir(folder)):
            if name.endswith(".pgm"):
                split = "test" if name.endswith("_3.pgm") else "train"
                rows[split].append([label, name, *read_pgm(os.path.join(folder, name))])
    labels = sorted({row[0] for row in rows["train"]})

    os.makedirs(args.output, exist_ok=True)
    for split, found in rows.items():
        with open(os.path.join(args.output, f"{split}.csv"), "w", newline="") as handle:
            writer = csv.writer(handle)
            pixels = len(found[0]) - 2
            writer.writerow(["label", "name", *(f"p{i}" for i in range(pixels))])
            writer.writerows(found)
    with open(os.path.join(args.output, "labels.txt"), "w") as handle:
        handle.write("\n".join(labels) + "\n")
    print(f"{len(rows['train'])} training and {len(rows['test'])} test images, labels {labels}")

    run = Run.get_context()
    run.log("train_images", len(rows["train"]))
    run.log("test_images", len(rows["test"]))


if __name__ == "__main__":
    main()
