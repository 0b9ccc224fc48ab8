"""``Keyvault`` (the v1 name): a workspace's secrets, kept as environment variables.

v1 keeps secrets in an Azure Key Vault; here a secret is an environment variable of the
process, so what a notebook sets is seen by the runs it submits afterwards (their drivers
and steps inherit the environment), and what the shell exports is readable by name. A name
is looked up as given, then as an environment variable name (``db-password`` ->
``DB_PASSWORD``).
"""

from __future__ import annotations

import os
import re
from typing import Any

from ..errors import StoreError

#: Names set through a Keyvault in this process: what ``list_secrets`` reports.
_set_here: set[str] = set()


def _variable(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name).upper()


class Keyvault:
    """The secrets of a workspace (v1 ``Keyvault``), as environment variables."""

    def __init__(self, workspace: Any) -> None:
        self.workspace = workspace

    def set_secret(self, name: str, value: str, content_type: Any = None) -> None:
        """Set the secret ``name`` (the environment variable of that name) to ``value``."""
        if not isinstance(name, str) or not name:
            raise StoreError(f"a secret needs a non-empty name, got {name!r}")
        os.environ[name] = str(value)
        _set_here.add(name)

    def set_secrets(self, secrets_batch: dict[str, str]) -> None:
        """Set several secrets at once."""
        for name, value in secrets_batch.items():
            self.set_secret(name, value)

    def get_secret(self, name: str) -> str:
        """The value of the secret ``name``; raises StoreError naming the variable when unset."""
        for candidate in (name, _variable(name)):
            if candidate in os.environ:
                return os.environ[candidate]
        raise StoreError(
            f"no secret {name!r}: set the environment variable {_variable(name)} (or "
            f"{name!r}) before starting Python, or call set_secret({name!r}, value)"
        )

    def get_secrets(self, secrets: list[str]) -> dict[str, str | None]:
        """Name -> value of each secret (None when unset)."""
        found: dict[str, str | None] = {}
        for name in secrets:
            try:
                found[name] = self.get_secret(name)
            except StoreError:
                found[name] = None
        return found

    def get_secret_content_type(self, name: str) -> str | None:
        """None: environment variables have no content type."""
        self.get_secret(name)
        return None

    def delete_secret(self, name: str) -> None:
        """Unset the secret ``name`` in this process."""
        for candidate in (name, _variable(name)):
            os.environ.pop(candidate, None)
        _set_here.discard(name)

    def delete_secrets(self, secrets: list[str]) -> None:
        for name in secrets:
            self.delete_secret(name)

    def list_secrets(self) -> list[dict[str, str]]:
        """The secrets set through a Keyvault in this process that are still set."""
        return [{"name": n} for n in sorted(_set_here) if n in os.environ]

    def __repr__(self) -> str:
        return f"Keyvault(workspace={self.workspace!r})"
