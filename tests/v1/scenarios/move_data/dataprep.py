# The how-to's dataprep.py: arguments=[input_dataset.as_named_input('raw_data').as_mount(),
# dataprep_output]. Lists the mounted images into the output.
import os
import sys

mounted_input_path = sys.argv[1]
output_path = sys.argv[2]
os.makedirs(output_path, exist_ok=True)

images = sorted(
    os.path.relpath(os.path.join(root, name), mounted_input_path)
    for root, _, names in os.walk(mounted_input_path)
    for name in names
)
print("images:", images)
with open(os.path.join(output_path, "images.txt"), "w") as f:
    f.write("\n".join(images) + "\n")
