"""The Docker compute target: each step runs in a container through docker-py.

This package's ``__init__`` imports nothing, because the whole ``jupyter_pipelines``
folder is mounted into step containers, where docker-py is not installed
(``nbrunner`` runs there). Import ``DockerExecutor`` from ``.executor``.
"""
