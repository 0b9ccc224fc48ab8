"""The mini-batch runner of ParallelRunStep: what runs inside the step.

``python -m jupyter_pipelines.runtime.parallel --config JSON`` cuts the step's inputs into
mini-batches, starts worker processes that call the entry script's ``init()`` once and
``run(mini_batch)`` for each mini-batch they take, retries what fails, writes the results in
input order and keeps logs and progress in the step's folder. Standard library only (pandas is
imported for tabular inputs), so that it runs in any image; see docs/batch-scoring.md.
"""
