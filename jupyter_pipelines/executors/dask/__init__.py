"""The ``dask`` compute target: steps as tasks of a dask.distributed cluster, no shared disk."""
