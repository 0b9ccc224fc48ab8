"""How fast ``jupyter-pipelines --help`` answers (the CLI imports almost nothing up front)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from common import median, percentile, print_figures, time_command

TARGETS = {"help_median_ms": ("<=", 300.0)}


def main() -> dict[str, Any]:
    cli = str(Path(sys.executable).with_name("jupyter-pipelines"))
    runs = time_command([cli, "--help"], times=15)
    figures = {
        "help_median_ms": median(runs) * 1000,
        "help_p90_ms": percentile(runs, 90) * 1000,
        "import_package_median_ms": median(
            time_command([sys.executable, "-c", "import jupyter_pipelines"], times=15)
        )
        * 1000,
    }
    print_figures("CLI --help latency", figures)
    return figures


if __name__ == "__main__":
    main()
