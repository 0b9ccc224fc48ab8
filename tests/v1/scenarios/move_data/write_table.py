# The train.py of the OutputFileDatasetConfig reference example: writes a delimited file into
# the output that read_delimited_files().register_on_complete('foo') registers as a table.
import os
import sys

output_path = sys.argv[1]
os.makedirs(output_path, exist_ok=True)
with open(os.path.join(output_path, "scores.csv"), "w") as f:
    f.write("name,score\nalpha,1.5\nbeta,2.5\ngamma,4.0\n")
