# iris_train.py, as the seed how-to shows it, then what a user does with the frame.
from jupyter_pipelines import Run, Dataset

run_context = Run.get_context()
iris_dataset = run_context.input_datasets['iris_data']
dataframe = iris_dataset.to_pandas_dataframe()

# Within a PythonScriptStep

ws = Run.get_context().experiment.workspace

print("rows:", len(dataframe), "columns:", list(dataframe.columns))
print("workspace:", ws.name)
run_context.log("rows", len(dataframe))
