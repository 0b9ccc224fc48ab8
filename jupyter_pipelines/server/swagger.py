"""The OpenAPI description of one pipeline endpoint's run request (v1's ``swaggerurl``): the
v1 body, with the endpoint's parameters, their types and defaults."""

from __future__ import annotations

from typing import Any

#: Pipeline file parameter types as JSON Schema.
_TYPES = {"string": "string", "int": "integer", "float": "number", "bool": "boolean"}


def _assignments(parameters: dict[str, Any], kinds: set[str], schema: dict[str, Any]) -> Any:
    chosen = {n: p for n, p in parameters.items() if (p or {}).get("type") in kinds}
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {n: {**schema, "description": (p or {}).get("description", "")}
                       for n, p in chosen.items()},
    }  # fmt: skip


def endpoint_openapi(name: str, url: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """An OpenAPI 3 document with the one POST operation of the endpoint at ``url``."""
    scalars = {
        n: {"type": _TYPES[p["type"]], "default": p.get("default")}
        for n, p in parameters.items()
        if isinstance(p, dict) and p.get("type") in _TYPES
    }
    datapath = {
        "type": "object",
        "properties": {"DataStoreName": {"type": "string"}, "RelativePath": {"type": "string"}},
    }
    dataset = {
        "type": "object",
        "properties": {
            "SavedDataSetReference": {"type": "object", "properties": {"Id": {"type": "string"}}}
        },
    }
    body = {
        "type": "object",
        "required": ["ExperimentName"],
        "properties": {
            "ExperimentName": {"type": "string"},
            "Description": {"type": "string"},
            "RunSource": {"type": "string"},
            "PipelineVersion": {"type": "string"},
            "ParameterAssignments": {
                "type": "object",
                "additionalProperties": False,
                "properties": scalars,
            },
            "DataPathAssignments": _assignments(parameters, {"datapath"}, datapath),
            "DataSetDefinitionValueAssignments": _assignments(parameters, {"dataset"}, dataset),
        },
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": f"pipeline endpoint {name}", "version": "1.0"},
        "servers": [{"url": url}],
        "paths": {
            "/": {
                "post": {
                    "summary": f"Run pipeline endpoint {name!r}",
                    "security": [{"bearer": []}],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": body}},
                    },
                    "responses": {
                        "200": {"description": "the run started: {Id, Status, ...}"},
                        "400": {"description": "a field of the body is wrong"},
                        "404": {"description": "no such endpoint, version or dataset"},
                        "409": {"description": "the endpoint or its pipeline is Disabled"},
                    },
                }
            }
        },
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }
