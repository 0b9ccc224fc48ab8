"""The environment registry: registered environments and their versions, in ``workspace.db``.

A version is a number counted per name, starting at 1. Registering a definition equal to
the latest version's returns that version; any change makes a new one. Definitions are
compared by their canonical JSON, without name and version. Labels (``Environment.label``)
name one version each, in the ``environment_labels`` side table.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from pathlib import Path

from ..errors import UnknownEnvironmentError, did_you_mean
from ..model.curated_environments import curated_environment
from ..model.environment import Environment
from .registry_tables import transaction
from .side_tables import side_transaction

log = logging.getLogger(__name__)

_LABELS_SCHEMA = """
CREATE TABLE IF NOT EXISTS environment_labels (
    name    TEXT NOT NULL,
    label   TEXT NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (name, label)
)
"""


def _canonical(environment: Environment) -> str:
    return json.dumps(environment.definition(), sort_keys=True, separators=(",", ":"))


class EnvironmentRegistry:
    """The registered environments of one workspace (``Workspace.environments_registry``)."""

    def __init__(self, db_path: str | Path) -> None:
        self.db_path = Path(db_path)

    def register(self, environment: Environment) -> Environment:
        """Record ``environment`` and return it as registered (with its version)."""
        definition = _canonical(environment)
        with transaction(self.db_path) as conn:
            row = conn.execute(
                "SELECT version, definition_json FROM environments WHERE name = ?"
                " ORDER BY version DESC LIMIT 1",
                (environment.name,),
            ).fetchone()
            if row is not None and row["definition_json"] == definition:
                version = row["version"]
            else:
                version = (row["version"] if row is not None else 0) + 1
                conn.execute(
                    "INSERT INTO environments (name, version, definition_json, created)"
                    " VALUES (?, ?, ?, ?)",
                    (environment.name, version, definition, time.time()),
                )
        return self._environment(environment.name, version, definition)

    def get(self, name: str, version: str | None = None) -> Environment | None:
        """The registered environment ``name`` at ``version`` (default: latest), or None."""
        if version is not None and not str(version).isdigit():
            return None
        with transaction(self.db_path, write=False) as conn:
            if version is None:
                row = conn.execute(
                    "SELECT version, definition_json FROM environments WHERE name = ?"
                    " ORDER BY version DESC LIMIT 1",
                    (name,),
                ).fetchone()
            else:
                row = conn.execute(
                    "SELECT version, definition_json FROM environments"
                    " WHERE name = ? AND version = ?",
                    (name, int(version)),
                ).fetchone()
        if row is None:
            return None
        return self._environment(name, row["version"], row["definition_json"])

    def versions(self, name: str) -> list[str]:
        """The registered versions of ``name``, oldest first."""
        with transaction(self.db_path, write=False) as conn:
            rows = conn.execute(
                "SELECT version FROM environments WHERE name = ? ORDER BY version", (name,)
            ).fetchall()
        return [str(r["version"]) for r in rows]

    def list(self) -> dict[str, Environment]:
        """Name -> latest version of every registered environment, by name."""
        with transaction(self.db_path, write=False) as conn:
            rows = conn.execute(
                "SELECT e.name, e.version, e.definition_json FROM environments e"
                " JOIN (SELECT name, MAX(version) AS version FROM environments GROUP BY name) m"
                " ON e.name = m.name AND e.version = m.version ORDER BY e.name"
            ).fetchall()
        found: dict[str, Environment] = {}
        for row in rows:
            try:
                found[row["name"]] = self._environment(
                    row["name"], row["version"], row["definition_json"]
                )
            except (ValueError, TypeError, AttributeError) as exc:
                log.warning(
                    "environment %s version %s is damaged (%s); skipped",
                    row["name"],
                    row["version"],
                    exc,
                )
        return found

    def label(self, name: str, version: str, labels: Sequence[str]) -> None:
        """Point each of ``labels`` at version ``version`` of the environment ``name``."""
        if not str(version).isdigit() or self.get(name, str(version)) is None:
            versions = self.versions(name)
            raise UnknownEnvironmentError(
                f"environment {name!r} has no registered version {version!r} to label; "
                f"registered versions: {', '.join(versions) or '(none)'}"
            )
        bad = [label for label in labels if not isinstance(label, str) or not label.strip()]
        if bad:
            raise UnknownEnvironmentError(f"labels must be non-empty strings, got {bad!r}")
        with side_transaction(self.db_path, _LABELS_SCHEMA) as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO environment_labels (name, label, version) VALUES (?, ?, ?)",
                [(name, label, int(version)) for label in labels],
            )

    def labels(self, name: str) -> dict[str, str]:
        """Label -> version of the environment ``name``."""
        with side_transaction(self.db_path, _LABELS_SCHEMA, write=False) as conn:
            rows = conn.execute(
                "SELECT label, version FROM environment_labels WHERE name = ? ORDER BY label",
                (name,),
            ).fetchall()
        return {row["label"]: str(row["version"]) for row in rows}

    def resolve(self, environment: Environment) -> Environment:
        """The environment a step should use for ``environment``.

        A bare environment that only names a registered (or curated) one, as in
        ``runconfig.environment.name = "MyEnvironment"; ...version = "1"``, stands for
        that one; any other environment is used as it is.
        """
        if environment.version is None or not _is_bare(environment):
            return environment
        found = self.get(environment.name, environment.version)
        if found is not None:
            return found
        curated = curated_environment(environment.name)
        if curated is not None and curated.version == environment.version:
            return curated
        versions = self.versions(environment.name)
        where = (
            f"registered versions: {', '.join(versions)}"
            if versions
            else f"no such environment is registered{did_you_mean(environment.name, self.list())}"
        )
        raise UnknownEnvironmentError(
            f"environment {environment.name!r} version {environment.version!r} "
            f"is not registered; {where}"
        )

    @staticmethod
    def _environment(name: str, version: int, definition_json: str) -> Environment:
        data = json.loads(definition_json)
        return Environment.from_dict({**data, "name": name, "version": str(version)})


def _is_bare(environment: Environment) -> bool:
    """True when nothing but the name and version of ``environment`` was set."""
    return environment.definition() == Environment(environment.name).definition()
