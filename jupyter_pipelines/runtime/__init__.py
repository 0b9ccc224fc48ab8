"""The step runtime: what runs inside a step (Run.get_context(), the manifest); stdlib only."""
