# train.py of the seed how-to's PipelineParameter example: arguments=["--param1", pipeline_param].
import argparse

parser = argparse.ArgumentParser()
parser.add_argument("--param1")
args = parser.parse_args()
print("param1:", args.param1)
