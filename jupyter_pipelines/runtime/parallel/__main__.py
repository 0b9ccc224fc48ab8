"""``python -m jupyter_pipelines.runtime.parallel --config JSON``: run a ParallelRunStep."""

from __future__ import annotations

import sys

from .runner import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
