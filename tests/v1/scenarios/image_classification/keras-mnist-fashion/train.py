# Stand-in for the sample's keras-mnist-fashion/train.py (a Keras CNN on Fashion-MNIST, from
# MachineLearningNotebooks how-to-use-azureml/work-with-data/datasets-tutorial/
# pipeline-with-datasets; Copyright (c) Microsoft Corporation, MIT License), which needs
# TensorFlow, scikit-learn and matplotlib. Kept from it: every azureml call, unchanged but for
# the import (the input dataset, random_split, to_pandas_dataframe, run.log of 'Loss',
# 'Accuracy', 'Final test loss' and 'Final test accuracy', the model files in
# ./outputs/model). Replaced: the CNN by a nearest-centroid classifier in numpy, the
# train/validation split by numpy, and the plot (run.log_image with matplotlib) left out.
import json
import os

import numpy as np

from jupyter_pipelines import Run

# dataset object from the run
run = Run.get_context()
dataset = run.input_datasets['prepared_fashion_ds']

# split dataset into train and test set
(train_dataset, test_dataset) = dataset.random_split(percentage=0.8, seed=111)

# load dataset into pandas dataframe
data_train = train_dataset.to_pandas_dataframe()
data_test = test_dataset.to_pandas_dataframe()

X = np.array(data_train.iloc[:, 1:], dtype="float32") / 255
y = np.array(data_train.iloc[:, 0])
X_test = np.array(data_test.iloc[:, 1:], dtype="float32") / 255
y_test = np.array(data_test.iloc[:, 0])
print(f"train rows: {len(X)}, test rows: {len(X_test)}")

classes = sorted(set(y.tolist()))
epochs = 3


def evaluate(centroids, X, y):
    distances = ((X[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=2)
    predicted = np.array(classes)[distances.argmin(axis=1)]
    return float(distances.min(axis=1).mean()), float((predicted == y).mean())


# "training": centroids on a growing share of the training rows, one share per epoch
for epoch in range(1, epochs + 1):
    rows = X[: max(len(classes), len(X) * epoch // epochs)]
    labels = y[: len(rows)]
    centroids = np.stack([rows[labels == c].mean(axis=0) if (labels == c).any() else np.zeros(X.shape[1]) for c in classes])
    loss, accuracy = evaluate(centroids, X, y)
    # log a value repeated which creates a list
    run.log('Loss', loss)
    run.log('Accuracy', accuracy)

score = evaluate(centroids, X_test, y_test)

# log a single value
run.log("Final test loss", score[0])
print('Test loss:', score[0])

run.log('Final test accuracy', score[1])
print('Test accuracy:', score[1])

# create a ./outputs/model folder in the compute target
# files saved in the "./outputs" folder are automatically uploaded into run history
os.makedirs('./outputs/model', exist_ok=True)

# serialize the model to JSON
with open('./outputs/model/model.json', 'w') as f:
    json.dump({"classes": [int(c) for c in classes], "kind": "nearest-centroid"}, f)
# save model weights
np.save('./outputs/model/model.npy', centroids)
print("model saved in ./outputs/model folder")
