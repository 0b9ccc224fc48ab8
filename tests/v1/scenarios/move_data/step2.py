# The how-to's step2.py: "use ArgumentParser to add an argument of --pd in your script to
# access the data" written by step1.py.
import argparse

parser = argparse.ArgumentParser()
parser.add_argument('--pd', dest='pd', required=True)
args = parser.parse_args()

with open(args.pd) as f:
    print("step2 read:", f.read())
