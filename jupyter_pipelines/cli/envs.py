"""The CLI's ``envs`` command: list the user's cached step environments and collect the unused.

Built environments live in one per-user cache shared by every workspace (see
docs/environments.md); builds also collect the ones unused for
``$JUPYTER_PIPELINES_ENV_UNUSED`` (30 days by default).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable

Command = Callable[[str, str], argparse.ArgumentParser]


def add_parsers(command: Command) -> None:
    """Add ``envs list`` and ``envs gc`` (``command(name, help)`` makes a sub-parser)."""
    p = command("envs", "list the cached step environments, or remove the unused ones")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    text = "list the cached environments: key, last used, size, path"
    one = actions.add_parser("list", help=text, description=text)
    one.add_argument("--json", action="store_true", help="print JSON")
    text = "remove the environments unused for longer than --older-than"
    gc = actions.add_parser("gc", help=text, description=text)
    gc.add_argument(
        "--older-than",
        default="30d",
        metavar="AGE",
        help="unused for longer than this: 30d (default), 12h, 90m, 2w, or 0 for all",
    )
    gc.add_argument("--dry-run", action="store_true", help="only say what would be removed")
    gc.add_argument("--json", action="store_true", help="print JSON")


def cmd_envs(args: argparse.Namespace) -> int:
    """``envs list`` and ``envs gc``."""
    from ..errors import ParameterError
    from ..executors import env_cache

    if args.action == "list":
        return _list(args)
    try:
        age = env_cache.parse_age(args.older_than)
    except ValueError as exc:
        raise ParameterError(f"--older-than: {exc}") from None
    if age is None:
        raise ParameterError("--older-than: give an age (30d, 12h, ...), not 'never'")
    said: list[str] = []
    removed = env_cache.collect(age, said.append, dry_run=args.dry_run)
    if args.json:
        print(json.dumps({"removed": [str(p) for p in removed], "dry_run": args.dry_run}))
        return 0
    verb = "would remove" if args.dry_run else "removed"
    for path in removed:
        print(f"{verb} {path}")
    kept = len(env_cache.entries())
    print(f"{verb} {len(removed)} environment(s); {kept} kept in {env_cache.cache_dir()}")
    return 0


def _list(args: argparse.Namespace) -> int:
    from ..executors.env_cache import cache_dir, entries

    found = entries()
    if args.json:
        rows = [
            {"key": e.key, "path": str(e.path), "last_used": e.last_used, "bytes": e.size_bytes}
            for e in found
        ]
        print(json.dumps({"cache": str(cache_dir()), "environments": rows}, indent=2))
        return 0
    print(f"{len(found)} environment(s) in {cache_dir()}")
    for e in found:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(e.last_used))
        print(f"{e.key}  last used {when}  {e.size_bytes / 1e6:8.1f} MB  {e.path}")
    return 0
