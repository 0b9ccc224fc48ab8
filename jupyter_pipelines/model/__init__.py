"""The pure pipeline model: steps, data references, parameters, the DAG, files and validation."""
