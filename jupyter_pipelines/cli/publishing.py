"""The CLI's publishing commands: ``publish``, ``published``, ``endpoints`` and ``serve``.

Only argparse is needed to build their parsers; each command imports what it uses. A
published pipeline or endpoint shown alone comes with its URL and a ``curl`` command line
carrying the token of the server that serves the workspace (started in the background when
none does), so it can be run from any shell.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Callable
from typing import Any

Command = Callable[[str, str], argparse.ArgumentParser]


def add_parsers(command: Command) -> None:
    """Add the publishing commands to the CLI (``command(name, help)`` makes a sub-parser)."""
    p = command("publish", "publish a pipeline file: frozen with its code, runnable over REST")
    p.add_argument("file", help="NAME.pipeline.yaml (or an Elyra .pipeline file)")
    p.add_argument("--name", "-n", required=True, help="the published pipeline's name")
    p.add_argument("--version", "-v", help="a version label (free text)")
    p.add_argument("--description", "-d", help="a description")
    p.add_argument("--endpoint", "-e", help="also add it to this pipeline endpoint (made if new)")
    p.add_argument(
        "--not-default",
        action="store_true",
        help="with --endpoint: add it without making it the endpoint's default version",
    )
    p.add_argument("--continue-on-step-failure", action="store_true", default=None)
    p.add_argument("--json", action="store_true", help="print JSON")

    p = command("published", "list published pipelines, or show one with its URL")
    p.add_argument("id", nargs="?", help="a published pipeline's id (a unique prefix is enough)")
    p.add_argument("--all", "-a", action="store_true", help="include Disabled ones")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = command("endpoints", "list pipeline endpoints, or show one with its URLs")
    p.add_argument("endpoint", nargs="?", help="an endpoint's name or id")
    p.add_argument("--all", "-a", action="store_true", help="include Disabled ones")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = command("serve", "run the workspace's Jupyter server (REST endpoints) in the foreground")
    p.add_argument(
        "--stop", action="store_true", help="stop the workspace's background server instead"
    )
    p.add_argument("--json", action="store_true", help="print JSON")


def _workspace(args: argparse.Namespace) -> Any:
    from ..engine.workspace import Workspace

    return Workspace.at(args.workspace) if args.workspace else Workspace.from_config()


def _print_json(doc: Any) -> None:
    print(json.dumps(doc, indent=2, default=str))


def _server(ws: Any) -> Any:
    """The server serving ``ws`` (started in the background if none does), or None when
    none may be started; a note says why."""
    from pathlib import Path

    from ..errors import StoreError
    from ..stores.background import ensure_server

    try:
        return ensure_server(Path(ws.root))
    except StoreError as exc:
        print(f"note: no URL: {exc}", file=sys.stderr)
        return None


def curl_command(url: str, token: str, experiment: str) -> str:
    """A shell command line that posts v1's run request to ``url``."""
    body = json.dumps({"ExperimentName": experiment, "ParameterAssignments": {}})
    parts = ["curl", "-sS", "-X", "POST", url]
    if token:
        parts += ["-H", f"Authorization: Bearer {token}"]
    parts += ["-H", "Content-Type: application/json", "-d", body]
    return " ".join(shlex.quote(p) for p in parts)


def _with_curl(doc: dict[str, Any], server: Any, experiment: str) -> dict[str, Any]:
    if server is not None and doc.get("endpoint"):
        doc["token"] = server.token
        doc["curl"] = curl_command(doc["endpoint"], server.token, experiment)
    return doc


def cmd_publish(args: argparse.Namespace) -> int:
    from ..engine import published_runs as pr
    from ..engine.published_docs import endpoint_document, published_document
    from ..model.pipeline import Pipeline

    ws = _workspace(args)
    pipeline = Pipeline.load(args.file, workspace=ws)
    record = pr.publish(
        ws,
        pipeline,
        args.name,
        args.description,
        args.version,
        args.continue_on_step_failure,
        source={"file": str(pipeline.source_path)},
    )
    endpoint = _add_to_endpoint(ws, args, record.id) if args.endpoint else None
    server = _server(ws)
    api = server.api if server is not None else None
    store = pr.store_of(ws)
    doc = _with_curl(published_document(store, record, api), server, pr.sanitized_name(args.name))
    if endpoint is not None:
        doc["endpoint_added"] = endpoint_document(store, endpoint, api)
    if args.json:
        _print_json(doc)
        return 0
    label = f" version {record.version}" if record.version else ""
    print(f"Published {record.name!r}{label}: {record.id}")
    if endpoint is not None:
        print(f"  in endpoint {endpoint.name!r} as version {_version_of(endpoint, record.id)}")
    _print_urls(doc)
    return 0


def _add_to_endpoint(ws: Any, args: argparse.Namespace, pipeline_id: str) -> Any:
    import uuid

    from ..engine import published_runs as pr

    store = pr.store_of(ws)
    current = store.get_endpoint(name=args.endpoint)
    if current is None:
        return store.create_endpoint(str(uuid.uuid4()), args.endpoint, "", pipeline_id)
    store.add_version(current.id, pipeline_id, make_default=not args.not_default)
    return store.get_endpoint(current.id)


def _version_of(endpoint: Any, pipeline_id: str) -> str:
    return next((v for v, p in endpoint.versions.items() if p == pipeline_id), "?")


def _print_urls(doc: dict[str, Any]) -> None:
    if doc.get("endpoint"):
        print(f"  POST {doc['endpoint']}")
    if doc.get("curl"):
        print(f"  {doc['curl']}")


def cmd_published(args: argparse.Namespace) -> int:
    from ..engine import published_runs as pr
    from ..engine.published_docs import published_document

    ws = _workspace(args)
    store = pr.store_of(ws)
    if args.id:
        record = pr.get_published(ws, _by_prefix(args.id, [r.id for r in store.all()]))
        server = _server(ws)
        api = server.api if server is not None else None
        doc = _with_curl(published_document(store, record, api), server, "published")
        if args.json:
            _print_json(doc)
        else:
            _print_published(doc)
        return 0
    docs = [published_document(store, r, None) for r in store.all(active_only=not args.all)]
    if args.json:
        _print_json({"published": docs})
        return 0
    rows = [
        {
            "id": d["id"],
            "name": d["name"],
            "version": d["version"] or "-",
            "status": d["status"],
            "steps": d["total_run_steps"],
            "parameters": ", ".join(d["parameters"]) or "-",
            "endpoints": ", ".join(f"{e['id'][:8]}/v{e['version']}" for e in d["endpoints"]) or "-",
        }
        for d in docs
    ]
    _table(rows, ["id", "name", "version", "status", "steps", "parameters", "endpoints"])
    return 0


def _print_published(doc: dict[str, Any]) -> None:
    print(f"{doc['name']} ({doc['id']})")
    for key in ("version", "status", "description", "total_run_steps", "graph_id"):
        if doc.get(key) not in (None, ""):
            print(f"  {key.replace('_', ' ')}: {doc[key]}")
    for name, spec in doc["parameters"].items():
        print(f"  parameter {name}: {spec.get('type')} = {spec.get('default')!r}")
    _print_urls(doc)


def cmd_endpoints(args: argparse.Namespace) -> int:
    from ..engine import published_runs as pr
    from ..engine.published_docs import endpoint_document

    ws = _workspace(args)
    store = pr.store_of(ws)
    if args.endpoint:
        record = store.get_endpoint(args.endpoint) or pr.get_endpoint(ws, name=args.endpoint)
        server = _server(ws)
        doc = endpoint_document(store, record, server.api if server is not None else None)
        doc = _with_curl(doc, server, pr.sanitized_name(record.name))
        if args.json:
            _print_json(doc)
            return 0
        head = f"{doc['name']} ({doc['id']}): {doc['status']}"
        print(f"{head}, default version {doc['default_version']}")
        for v in doc["versions"]:
            mark = " (default)" if v["default"] else ""
            print(f"  version {v['version']}{mark}: {v['pipeline_name']} ({v['pipeline_id']})")
            if v["endpoint"]:
                print(f"    POST {v['endpoint']}")
        _print_urls(doc)
        return 0
    docs = [endpoint_document(store, e, None) for e in store.endpoints(active_only=not args.all)]
    if args.json:
        _print_json({"endpoints": docs})
        return 0
    rows = [
        {
            "id": d["id"],
            "name": d["name"],
            "status": d["status"],
            "default": d["default_version"],
            "versions": ", ".join(f"{v['version']}:{v['pipeline_name']}" for v in d["versions"]),
        }
        for d in docs
    ]
    _table(rows, ["id", "name", "status", "default", "versions"])
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import os
    from pathlib import Path

    from ..stores import background as bg

    ws = _workspace(args)
    root = Path(ws.root)
    if args.stop:
        pid = bg.stop_server(ws.dir)
        if args.json:
            _print_json({"stopped": pid})
        elif pid is None:
            print(f"no background server runs for the workspace in {str(root)!r}")
        else:
            print(f"stopped the workspace's server (pid {pid})")
        return 0
    running = bg.serving(root)
    if running is not None:
        doc = {"url": running.url, "token": running.token, "root": str(root), "running": True}
        if args.json:
            _print_json(doc)
        else:
            print(f"the workspace in {str(root)!r} is already served at {running.url}")
        return 0
    port = bg.free_port()
    env = bg.server_environment(ws.dir)
    url = f"http://127.0.0.1:{port}/"
    token = Path(env["JUPYTER_TOKEN_FILE"]).read_text().strip()
    if args.json:
        _print_json({"url": url, "token": token, "root": str(root), "running": False})
    else:
        print(f"serving the workspace in {str(root)!r} at {url}?token={token}", file=sys.stderr)
        print("stop it with Ctrl-C or 'jupyter-pipelines serve --stop'", file=sys.stderr)
    sys.stdout.flush()
    command = bg.server_command(root, port)
    os.execve(command[0], command, env)  # the server replaces this process: signals reach it
    return 0  # pragma: no cover


def _by_prefix(prefix: str, ids: list[str]) -> str:
    """The one id that starts with ``prefix`` (or ``prefix`` itself, for the error)."""
    found = [i for i in ids if i.startswith(prefix)]
    return found[0] if len(found) == 1 else prefix


def _table(rows: list[dict[str, Any]], columns: list[str]) -> None:
    from .output import print_table

    print_table(rows, columns)
