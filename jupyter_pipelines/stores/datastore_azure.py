"""Azure Blob and Data Lake Storage Gen2 datastores (v1 ``AzureBlobDatastore``,
``AzureDataLakeGen2Datastore``): a container of a storage account, read and written
through adlfs.

Both talk the blob API (adlfs does, for Gen2 accounts too: their files are blobs, their
folders blobs marked as folders). A datastore's public settings (account, container,
protocol, endpoint) are its record in ``workspace.db``; its credentials are kept apart,
readable by the user only (``secrets.py``), loaded when the file system is first opened,
and never shown by ``repr``, logs, errors or the REST API.

Reading is fingerprinted from the listing (ETag, size, content MD5, last-modified: no
blob is read), transfers run concurrently, outputs are uploaded so that they appear
complete or not at all (``put_files_complete``), and mounts read through fsspec's
``filecache`` kept in the workspace (a blob is fetched once per version).
"""

from __future__ import annotations

import json
import posixpath
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..compat import refused
from ..errors import DatastoreError
from ..log import get_logger
from . import azure_blob as azure
from . import azure_listing as listing
from . import datastore_registry as registry
from .datastore_registry import DatastoreRecord
from .datastores import Datastore
from .secrets import SecretStore
from .workspace_like import WorkspaceLike

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

log = get_logger(__name__)
#: Public settings of an Azure datastore; other storage options go to adlfs as given.
SETTINGS = (
    "account_name", "account_url", "protocol", "endpoint", "account_host",
    "blob_cache_timeout", "subscription_id", "resource_group", "grant_workspace_access",
    "tenant_id", "client_id", "resource_url", "authority_url",
)  # fmt: skip
#: How long a listing made by ``glob`` serves the ``fingerprints`` that follow it.
LISTING_REUSE_SECONDS = 10.0


class AzureBlobDatastore(Datastore):
    """A blob container of an Azure storage account, or of the Azurite emulator (v1
    ``AzureBlobDatastore``), read and written through adlfs.

    ``Datastore.get`` returns one for a registered container. Built directly, as v1 allows,
    ``AzureBlobDatastore(ws, name, container_name, account_name, sas_token=...,
    account_key=...)`` is an unregistered datastore object on that container.
    """

    #: v1 attributes (set on each instance; class-level so that they are documented here).
    workspace: Any = None
    name: str = ""
    datastore_type: str = "AzureBlob"
    _secrets: dict[str, Any] | None = None
    _listing: tuple[float, str, list[dict[str, Any]]] | None = None
    _checked: float = 0.0

    def __new__(
        cls,
        workspace: WorkspaceLike,
        name: str | None = None,
        container_name: str | None = None,
        account_name: str | None = None,
        sas_token: str | None = None,
        account_key: str | None = None,
        protocol: str | None = None,
        endpoint: str | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> AzureBlobDatastore:
        if container_name is None:  # (ws, name): the registered datastore
            store = Datastore.get(workspace, name) if name else Datastore.get_default(workspace)
            if not isinstance(store, cls):
                raise DatastoreError(f"datastore {store.name!r} is not an {cls.__name__}")
            return store
        if not name or not account_name:
            raise DatastoreError(
                f"{cls.__name__} needs a name, a container_name and an account_name"
            )
        options = blob_settings(account_name, protocol, endpoint)
        record = DatastoreRecord(name, f"{cls._scheme()}://{container_name}", options, cls._kind())
        store = cls._from_record(workspace, record)
        store._secrets = {
            k: v for k, v in (("sas_token", sas_token), ("account_key", account_key)) if v
        }
        return store  # type: ignore[return-value]

    def __init__(
        self,
        workspace: WorkspaceLike,
        name: str | None = None,
        container_name: str | None = None,
        account_name: str | None = None,
        sas_token: str | None = None,
        account_key: str | None = None,
        protocol: str | None = None,
        endpoint: str | None = None,
        request_session: Any = None,
        workspace_msi_has_access: bool = False,
        subscription_id: str | None = None,
        resource_group: str | None = None,
        service_data_access_auth_identity: Any = None,
    ) -> None:
        """Nothing to do: ``__new__`` set the datastore up (v1's arguments are accepted;
        the request session and workspace identities concern the cloud service)."""

    @staticmethod
    def _scheme() -> str:
        return "az"

    @staticmethod
    def _kind() -> str:
        return "AzureBlob"

    @classmethod
    def _register_container(
        cls,
        workspace: WorkspaceLike,
        name: str,
        container: str,
        account_name: str,
        secrets: dict[str, Any],
        settings: dict[str, Any],
        overwrite: bool,
        create_if_not_exists: bool,
        skip_validation: bool,
    ) -> AzureBlobDatastore:
        """Register a container: checked (unless ``skip_validation``), then recorded, its
        secrets kept apart. Nothing is recorded when the check fails."""
        registry.check_name(name)
        _check_container_name(container)
        secrets = {k: v for k, v in secrets.items() if v}
        if not account_name:
            raise DatastoreError(f"datastore {name!r}: account_name is required")
        if secrets.get("connection_string"):
            found, _ = azure.connection_address(secrets["connection_string"])
            if found and found != account_name:
                raise DatastoreError(
                    f"datastore {name!r}: account_name {account_name!r} differs from the "
                    f"connection string's AccountName {found!r}"
                )
        public = blob_settings(account_name, **settings)
        record = DatastoreRecord(name, f"{cls._scheme()}://{container}", public, cls._kind())
        store = cls._from_record(workspace, record)
        store._secrets = secrets
        if create_if_not_exists:
            store.create_container()
        if not skip_validation:
            store.check_access()
        registry.save_record(workspace, record, overwrite)
        SecretStore(workspace).save(name, secrets)
        return store

    # -- v1 properties -------------------------------------------------------------------
    @property
    def container_name(self) -> str:
        """The blob container (for Data Lake Gen2: the file system)."""
        return self.url.partition("://")[2].strip("/").split("/")[0]

    @property
    def account_name(self) -> str:
        """The storage account's name."""
        return str(self.storage_options.get("account_name") or self._connection().account_name)

    @property
    def protocol(self) -> str | None:
        """'https' (v1's default when None) or 'http' for the emulator."""
        return self.storage_options.get("protocol")

    @property
    def endpoint(self) -> str | None:
        """The endpoint suffix (core.windows.net when None) or the emulator's host:port."""
        return self.storage_options.get("endpoint")

    @property
    def account_url(self) -> str:
        """The storage account's address: v1's ``{protocol}://{account}.blob.{endpoint}``,
        or path-style ``{protocol}://{host:port}/{account}``."""
        return self._connection().url

    @property
    def credential_type(self) -> str:
        """v1: 'Sas', 'AccountKey', 'ServicePrincipal' or 'None'."""
        return self._connection().credential_type

    @property
    def sas_token(self) -> str | None:
        """The SAS token, for the SDK caller only: it is never printed, logged or served."""
        return self._load_secrets().get("sas_token")

    @property
    def account_key(self) -> str | None:
        """The account key, for the SDK caller only: it is never printed, logged or served."""
        return self._load_secrets().get("account_key")

    @property
    def is_sas(self) -> bool:
        """Deprecated in v1: whether the datastore holds a SAS token (see credential_type)."""
        return self.credential_type == "Sas"

    @property
    def subscription_id(self) -> str | None:
        return self.storage_options.get("subscription_id")

    @property
    def resource_group(self) -> str | None:
        return self.storage_options.get("resource_group")

    @refused(
        "declare the step's output with OutputFileDatasetConfig(destination=(datastore, "
        "'path/{run-id}')) or PipelineData(name, datastore=datastore): it is uploaded when "
        "the step succeeds"
    )
    def as_upload(self, path_on_compute: str | None = None) -> Any:
        """v1 (deprecated): a reference used as an output, uploaded afterwards."""

    @property
    def blob_service(self) -> Any:
        """An ``azure.storage.blob.BlobServiceClient`` on the account (as v1 has)."""
        from azure.storage.blob import BlobServiceClient

        conn = self._connection()
        if conn.connection_string:
            return BlobServiceClient.from_connection_string(conn.connection_string)
        if conn.sas_token:
            return BlobServiceClient(f"{conn.url}?{conn.sas_token.lstrip('?')}")
        key = {"account_name": conn.account_name, "account_key": conn.account_key}
        return BlobServiceClient(conn.url, credential=key if conn.account_key else None)

    def public_settings(self) -> dict[str, Any]:
        """What may be shown anywhere: no secret."""
        return {
            "name": self.name,
            "datastore_type": self.datastore_type,
            "url": self.url,
            "container_name": self.container_name,
            "account_name": self.account_name,
            "protocol": self.protocol,
            "endpoint": self.endpoint,
            "account_url": self.account_url,
            "credential_type": self.credential_type,
        }

    def __repr__(self) -> str:  # v1 prints these fields as JSON; never a secret
        keys = ("name", "container_name", "account_name", "protocol", "endpoint")
        settings = self.public_settings()
        return json.dumps({k: settings[k] for k in keys}, indent=2)

    __str__ = __repr__

    def __reduce__(self) -> tuple[Any, ...]:
        state = super().__reduce__()
        if self._secrets is not None and not self._registered():
            return (_with_secrets, (state, self._secrets))
        return state

    # -- connecting ----------------------------------------------------------------------
    def _registered(self) -> bool:
        try:
            return Datastore.get(self.workspace, self.name).url == self.url
        except DatastoreError:
            return False

    def _load_secrets(self) -> dict[str, Any]:
        if self._secrets is None:
            legacy = {k: v for k, v in self.storage_options.items() if k not in SETTINGS}
            self._secrets = {**legacy, **SecretStore(self.workspace).load(self.name)}
        return self._secrets

    def _connection(self) -> azure.Connection:
        opts, secrets = self.storage_options, self._load_secrets()
        conn_str = secrets.get("connection_string")
        name = opts.get("account_name")
        if opts.get("account_url"):
            url = str(opts["account_url"])
        elif conn_str:
            found, url = azure.connection_address(conn_str)
            name = name or found
        elif opts.get("account_host"):  # registrations made before this module
            url = f"https://{opts['account_host']}"
        else:
            url = azure.account_url(str(name), opts.get("protocol"), opts.get("endpoint"))
        return azure.Connection(
            account_name=str(name or ""),
            url=url,
            account_key=secrets.get("account_key"),
            sas_token=secrets.get("sas_token"),
            connection_string=conn_str,
            tenant_id=opts.get("tenant_id"),
            client_id=opts.get("client_id"),
            client_secret=secrets.get("client_secret"),
            authority_url=opts.get("authority_url"),
        )

    def _open_filesystem(self) -> tuple[AbstractFileSystem, str]:
        known = {*SETTINGS, "account_key", "sas_token", "connection_string", "client_secret"}
        extra = {k: v for k, v in self._load_secrets().items() if k not in known}
        extra.update({k: v for k, v in self.storage_options.items() if k not in SETTINGS})
        return self._connection().filesystem(**extra), self.container_name

    def _explain(self, exc: BaseException) -> DatastoreError:
        return azure.explain(exc, self.name, self._connection(), self.container_name)

    def _call(self, make: Any) -> Any:
        """Run an adlfs coroutine; storage failures become one clear DatastoreError."""
        try:
            return azure.run(self.fs, make)
        except DatastoreError:
            raise
        except Exception as exc:
            raise self._explain(exc) from None

    def check_access(self, max_age: float = 0.0) -> None:
        """Check that the account answers, the credentials are accepted and the container
        exists (one small listing request), else raise one DatastoreError naming this
        datastore and what to check. A check younger than ``max_age`` seconds is trusted."""
        if max_age and time.monotonic() - self._checked < max_age:
            return
        self._call(lambda: listing.check_container(self.fs, self.container_name))
        self._checked = time.monotonic()

    def create_container(self) -> None:
        """Create the container when it does not exist (``create_if_not_exists``)."""
        self._call(lambda: azure.create_container(self.fs, self.container_name))

    # -- listing and fingerprints ----------------------------------------------------------
    def list_files(self, folder: str = "") -> list[dict[str, Any]]:
        """Every file under ``folder`` with its ``path`` (relative), size, ETag, mtime and
        content MD5, from one listing (no blob read)."""
        rel = self.relative(folder)
        entries = self._call(lambda: listing.list_blobs(self.fs, self.container_name, rel))
        for entry in entries:
            entry["path"] = entry.pop("name")
        self._listing = (time.monotonic(), rel, entries)
        return entries  # type: ignore[no-any-return]

    def glob(self, pattern: str = "**") -> list[str]:
        rel = self.relative(pattern)
        base = listing.magic_free_base(rel)
        names = [e["path"] for e in self.list_files(base)]
        if base == rel:  # a folder (every file under it) or one file
            return sorted(n for n in names if n == rel or not rel or n.startswith(rel + "/"))
        regex = re.compile(listing.glob_regex(rel))
        return sorted(
            n for n in names if any(regex.fullmatch(p) for p in listing.self_and_parents(n, base))
        )

    def _files_under(self, relative: str) -> list[str]:
        return sorted(e["path"] for e in self.list_files(relative))

    def exists(self, relative: str | Any) -> bool:
        try:
            return super().exists(relative)
        except (DatastoreError, FileNotFoundError):
            raise
        except Exception as exc:
            raise self._explain(exc) from None

    def fingerprints(self, rels: list[str]) -> dict[str, str]:
        """What identifies the current version of each file, from the listing: its ETag
        (which changes with every write), size and content MD5; no blob is read. Reuses the
        listing of the ``glob`` just before, when it covers these files."""
        if not rels:
            return {}
        base = posixpath.commonpath([posixpath.dirname(r) for r in rels])
        listed = self._listing
        fresh = listed is not None and time.monotonic() - listed[0] < LISTING_REUSE_SECONDS
        if fresh and listed is not None and listing.covers(listed[1], base):
            entries = listed[2]
        else:
            entries = self.list_files(base)
        self._listing = None  # one listing serves one glob and the fingerprints after it
        by_path = {e["path"]: e for e in entries}
        found = {}
        for rel in rels:
            entry = by_path.get(rel)
            if entry is None:
                raise DatastoreError(f"no file {rel!r} on datastore {self.name!r}")
            found[rel] = f"blob:{entry['etag']}:{entry['size']}:{entry['md5'] or ''}"
        return found

    # -- transfers -------------------------------------------------------------------------
    def _put_files(self, pairs: list[tuple[Path, str]], overwrite: bool, progress: bool) -> int:
        names = [(src, self.full_path(rel).partition("/")[2]) for src, rel in pairs]
        if not overwrite and names:
            prefix = posixpath.commonpath([posixpath.dirname(n) for _, n in names])
            existing = {e["path"] for e in self.list_files(prefix)}
            skipped = [n for _, n in names if n in existing]
            for name in skipped:
                log.info("target already exists on %s, skipping upload of %s", self.name, name)
            names = [(src, n) for src, n in names if n not in existing]
        return self._call(  # type: ignore[no-any-return]
            lambda: azure.upload(self.fs, self.container_name, names, overwrite)
        )

    def put_files_complete(self, pairs: list[tuple[Path, str]]) -> int:
        """Upload files so that none is visible before all are stored (staged blocks,
        committed at the end: see ``azure_blob.upload_staged``)."""
        names = [(src, self.full_path(rel).partition("/")[2]) for src, rel in pairs]
        return self._call(  # type: ignore[no-any-return]
            lambda: azure.upload_staged(self.fs, self.container_name, names)
        )

    def _get_files(self, pairs: list[tuple[str, Path]], overwrite: bool, progress: bool) -> int:
        wanted = [(self.full_path(rel).partition("/")[2], dest) for rel, dest in pairs]
        if not overwrite:
            wanted = [(name, dest) for name, dest in wanted if not dest.exists()]
        return self._call(  # type: ignore[no-any-return]
            lambda: azure.download(self.fs, self.container_name, wanted)
        )

    def cached_file(self, relative: str, cache_dir: Path) -> Path:
        """A local copy of ``relative`` in ``cache_dir``, through fsspec's ``filecache``:
        fetched when missing or when the blob changed since it was cached (its ETag is
        checked), else served from the cache without reading the blob."""
        import fsspec

        cache = fsspec.filesystem(
            "filecache", fs=self.fs, cache_storage=str(cache_dir), check_files=True
        )
        try:
            with cache.open(self.full_path(relative), "rb") as handle:
                return Path(handle.name)
        except FileNotFoundError as exc:
            raise DatastoreError(f"no file {relative!r} on datastore {self.name!r}") from exc
        except Exception as exc:
            raise self._explain(exc) from None


class AzureDataLakeGen2Datastore(AzureBlobDatastore):
    """A file system of an Azure Data Lake Storage Gen2 account (v1
    ``AzureDataLakeGen2Datastore``), reached through the blob API as adlfs does: the same
    operations as ``AzureBlobDatastore``, with a service principal as its usual credential."""

    @staticmethod
    def _scheme() -> str:
        return "abfs"

    @staticmethod
    def _kind() -> str:
        return "AzureDataLakeGen2"

    @property
    def filesystem(self) -> str:
        """The Data Lake file system (the container)."""
        return self.container_name

    @property
    def tenant_id(self) -> str | None:
        return self.storage_options.get("tenant_id")

    @property
    def client_id(self) -> str | None:
        return self.storage_options.get("client_id")

    @property
    def client_secret(self) -> str | None:
        """The service principal's secret, for the SDK caller only (never printed)."""
        return self._load_secrets().get("client_secret")


def blob_settings(
    account_name: str, protocol: str | None = None, endpoint: str | None = None, **extra: Any
) -> dict[str, Any]:
    """The public settings stored for an Azure datastore (its address is checked here)."""
    azure.account_url(account_name, protocol, endpoint)  # refuses a bad protocol or endpoint
    settings = {"account_name": account_name, "protocol": protocol, "endpoint": endpoint, **extra}
    return {k: v for k, v in settings.items() if v not in (None, False, "")}


_CONTAINER = re.compile(r"^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$")


def _check_container_name(container: str) -> None:
    if not isinstance(container, str) or not (_CONTAINER.match(container) or container == "$root"):
        raise DatastoreError(
            f"invalid container name {container!r}: Azure container names are 3 to 63 "
            "lower-case letters, digits and single hyphens, starting with a letter or digit"
        )


def _with_secrets(state: tuple[Any, ...], secrets: dict[str, Any]) -> AzureBlobDatastore:
    store: AzureBlobDatastore = state[0](*state[1])
    store._secrets = dict(secrets)
    return store
