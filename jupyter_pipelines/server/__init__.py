"""The Jupyter server extension: one PipelinesService per server, REST routes, run events and
the scheduler loop."""

from __future__ import annotations

from typing import Any

SETTINGS_KEY = "jupyter_pipelines"


def _load_jupyter_server_extension(serverapp: Any) -> None:
    """Build the service for the server's root folder and register the routes."""
    from .routes import setup_routes
    from .service import PipelinesService

    web_app = serverapp.web_app
    service = PipelinesService(serverapp.root_dir)
    web_app.settings[SETTINGS_KEY] = service
    setup_routes(web_app)
    serverapp.log.info("jupyter_pipelines: workspace %s", service.workspace.dir)
    from .scheduler import start_scheduler

    start_scheduler(web_app, service.workspace)


load_jupyter_server_extension = _load_jupyter_server_extension
