"""Finding the Jupyter server that serves a run's workspace; the code lives in
``jupyter_pipelines.stores.servers`` (shared with the authentication classes)."""

from __future__ import annotations

from ..stores.servers import API_PATH, ServerInfo, find_server, running_servers, serves

__all__ = ["API_PATH", "ServerInfo", "find_server", "running_servers", "serves"]
