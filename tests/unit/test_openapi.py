"""The OpenAPI file of the server extension describes exactly the routes of its table."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

pytest.importorskip("jupyter_server")

from jupyter_pipelines.server import routes

SPEC = Path(routes.__file__).with_name("openapi.yaml")
VERBS = {"get", "post", "put", "patch", "delete"}


def test_every_route_is_described_and_every_description_is_a_route() -> None:
    spec = yaml.safe_load(SPEC.read_text())
    described = {
        (verb.upper(), path)
        for path, item in spec["paths"].items()
        for verb in item
        if verb in VERBS
    }
    table = {(m, "/" + r.path) for r in routes.ROUTES for m in r.methods}
    assert described == table


def test_every_route_method_has_a_handler() -> None:
    for route in routes.ROUTES:
        for method in route.methods:
            assert hasattr(route.handler, method.lower()), (route.path, method)


def test_path_parameters_become_named_groups() -> None:
    assert routes.path_pattern("runs/{run_id}/steps/{step}/files/{file_path}") == (
        "runs/(?P<run_id>[^/]+)/steps/(?P<step>[^/]+)/files/(?P<file_path>.+)"
    )
