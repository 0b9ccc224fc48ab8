"""The ipywidgets run view (RunDetails) shown inside notebooks."""
