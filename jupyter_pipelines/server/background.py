"""The workspace server program: ``python -m jupyter_pipelines.server.background ROOT --port N``
runs a real Jupyter server (jupyter_server's ServerApp) with this package's extension, on
127.0.0.1, for the workspace at ROOT, and keeps the workspace's server record while it runs.

``stores/background.py`` starts it detached when a script needs an endpoint and no server
serves the workspace; ``jupyter-pipelines serve`` runs it in the foreground. Its token comes
from the file named by ``JUPYTER_TOKEN_FILE`` (made 0600 by whoever starts it). Only this
package's extension is loaded: it is the workspace's REST server, not a JupyterLab.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from ..stores.background import remove_record, write_record
from ..stores.workspace_config import WORKSPACE_DIRNAME


def server_arguments(root: Path, port: int) -> list[str]:
    """The ServerApp settings of a workspace server."""
    return [
        f"--ServerApp.root_dir={root}",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        "--ServerApp.open_browser=False",
        "--ServerApp.allow_root=True",
        "--ServerApp.answer_yes=True",
        "--ServerApp.jpserver_extensions={'jupyter_pipelines': True}",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the workspace's server until it is stopped (SIGTERM, or Ctrl-C in a terminal)."""
    parser = argparse.ArgumentParser(prog="python -m " + __spec__.name if __spec__ else None)
    parser.add_argument("root", help="the workspace's project folder")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    root = Path(args.root).expanduser().resolve()
    workspace_dir = root / WORKSPACE_DIRNAME
    if not os.environ.get("JUPYTER_TOKEN_FILE"):
        print("JUPYTER_TOKEN_FILE must name the server's token file", file=sys.stderr)
        return 2

    from jupyter_server.serverapp import ServerApp

    app = ServerApp.instance()
    # Only this package's extension: the other installed ones are not needed for the REST API.
    app.initialize(argv=server_arguments(root, args.port), find_extensions=False)
    write_record(workspace_dir, app.connection_url, root)
    try:
        app.start()
    finally:
        remove_record(workspace_dir, os.getpid())
    return 0


if __name__ == "__main__":
    sys.exit(main())
