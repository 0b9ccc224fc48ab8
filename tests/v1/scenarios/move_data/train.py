# The how-to's "train.py script referenced from the PythonScriptStep", for the step that gets
# the train and test subsets as named inputs. Its code follows the how-to's sections "Access
# datasets within your script" (Run.get_context().input_datasets[...]) and the registered
# dataset read through the run's workspace (Dataset.get_by_name(workspace=ws, ...)).
import argparse

from jupyter_pipelines import Dataset, Run

parser = argparse.ArgumentParser()
# Retrieve the dataset passed as an argument (none is, for this step)
parser.add_argument('--training-folder', type=str, dest='train_folder', help='training data folder mounting point')
args = parser.parse_args()
training_data_folder = args.train_folder

run = Run.get_context()
train = run.input_datasets['train'].to_pandas_dataframe()
test = run.input_datasets['test'].to_pandas_dataframe()
print("train rows:", len(train), "test rows:", len(test))
print("species:", sorted(set(train['species']) | set(test['species'])))
run.log('train_rows', len(train))
run.log('test_rows', len(test))

ws = run.experiment.workspace
ds = Dataset.get_by_name(workspace=ws, name='raw_data')
print("raw_data files:", ds.to_path())
