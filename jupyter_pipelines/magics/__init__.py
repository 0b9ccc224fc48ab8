"""IPython magics: %%step cells and %pipeline commands build and run pipelines in notebooks."""
