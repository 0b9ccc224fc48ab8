"""Datastore secrets (account keys, SAS tokens, client secrets, connection strings): kept
apart from ``workspace.db``, in ``.pipelines/secrets/datastores.json``, readable by the
user only.

The workspace database is read by every front door (the REST API lists datastores from
it) and is created with the user's usual file mode, so no secret goes there: a
registration's options are split (``split_secrets``), the public part is stored in the
``datastores`` table and the secret part here, in a folder of mode 0700 holding a file of
mode 0600, written whole to a temporary file and renamed, under a lock. Nothing in this
module logs or prints a secret; ``redact`` is what error messages use.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import DatastoreError
from .workspace_like import WorkspaceLike

#: Option names that hold secrets, as fsspec file systems spell them.
SECRET_NAMES = frozenset(
    {
        "account_key",
        "sas_token",
        "client_secret",
        "connection_string",
        "credential",
        "password",
        "secret",
        "token",
        "key",
        "secret_access_key",
        "aws_secret_access_key",
        "session_token",
        "aws_session_token",
        "private_key",
        "passphrase",
    }
)
_SECRET_SUFFIXES = ("_key", "_secret", "_token", "_password", "password")
#: Never secrets although their names look like it.
_PUBLIC_NAMES = frozenset({"key_id", "client_id", "tenant_id", "access_key_id"})
_FILE = "datastores.json"


def is_secret_name(name: str) -> bool:
    """Whether a storage option called ``name`` holds a secret."""
    lowered = name.lower()
    if lowered in _PUBLIC_NAMES:
        return False
    return lowered in SECRET_NAMES or lowered.endswith(_SECRET_SUFFIXES)


def split_secrets(options: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(public options, secret options) of a registration's storage options."""
    public = {k: v for k, v in options.items() if not is_secret_name(k)}
    secret = {k: v for k, v in options.items() if is_secret_name(k) and v is not None}
    return public, secret


def redact(text: str, secrets: dict[str, Any]) -> str:
    """``text`` with every secret value (and the signature of any SAS query) replaced."""
    for value in secrets.values():
        if isinstance(value, str) and len(value) >= 4:
            text = text.replace(value, "***")
    return re.sub(r"(?i)(sig|AccountKey|SharedAccessSignature)=[^&;\s'\"]+", r"\1=***", text)


class SecretStore:
    """The secrets of a workspace's datastores, by datastore name (one JSON file, 0600)."""

    def __init__(self, workspace: WorkspaceLike) -> None:
        self.folder = Path(workspace.dir) / "secrets"
        self.path = self.folder / _FILE

    def load(self, name: str) -> dict[str, Any]:
        """The secret options of datastore ``name`` ({} when it has none)."""
        found = self._read().get(name)
        return dict(found) if isinstance(found, dict) else {}

    def save(self, name: str, secrets: dict[str, Any]) -> None:
        """Keep ``secrets`` for datastore ``name`` (replacing what it had; {} removes it)."""
        with self._locked():
            data = self._read()
            if secrets:
                data[name] = dict(secrets)
            else:
                data.pop(name, None)
            self._write(data)

    def delete(self, name: str) -> None:
        """Forget the secrets of datastore ``name``."""
        if self.path.exists():
            self.save(name, {})

    # -- the file ----------------------------------------------------------------------
    def _read(self) -> dict[str, Any]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise DatastoreError(
                f"cannot read the datastore secrets {str(self.path)!r}: {exc.strerror}"
            ) from exc
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise DatastoreError(
                f"the datastore secrets file {str(self.path)!r} is not valid JSON; register "
                "the datastores again with overwrite=True"
            ) from exc
        return data if isinstance(data, dict) else {}

    def _write(self, data: dict[str, Any]) -> None:
        fd, tmp = tempfile.mkstemp(prefix=".secrets-", dir=self.folder)  # mode 0600
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=1, sort_keys=True)
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        lock = os.open(self.folder / ".lock", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            try:
                import fcntl
            except ImportError:  # Windows: one writer at a time is the user's care
                yield
                return
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
        finally:
            os.close(lock)
