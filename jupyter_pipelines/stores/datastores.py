"""Datastores (v1 ``azureml.core.Datastore``): named folders on any fsspec file system.

``Datastore`` is the v1 facade (register, get, upload, download, path); ``FsspecDatastore``
is the built-in backend, and backends for other URL schemes are found through the
``jupyter_pipelines.datastores`` entry-point group (``datastore_class``). The lower-level
methods that the engine and datasets use (``full_path``, ``glob``, ``info``, ``open``,
``put_dir``, ``get_dir``) come from ``AbstractDatastoreFiles`` in ``datastore_files.py``.

Imports go one way: this module uses ``datastore_registry`` (records), ``datastore_files``
and ``datastore_cloud`` (the refused cloud kinds); none of them imports it.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Iterable
from functools import cache
from importlib import import_module
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import DatastoreError, did_you_mean
from . import datastore_registry as registry
from .datastore_cloud import CloudDatastoreRegistrations
from .datastore_files import AbstractDatastoreFiles
from .datastore_registry import DatastoreRecord, scheme_of
from .secrets import SecretStore, redact, split_secrets
from .workspace_like import WorkspaceLike, reopen

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

    from ..model.data import DataReference

GROUP = "jupyter_pipelines.datastores"
#: Entry name of the backend used for any scheme without an entry of its own.
FALLBACK = "fsspec"
_FSSPEC = "jupyter_pipelines.stores.datastores:FsspecDatastore"
#: Used when the package runs from a source tree without installed metadata.
_AZURE = "jupyter_pipelines.stores.datastore_azure:"
_BUILTIN = {
    "file": _FSSPEC,
    "local": _FSSPEC,
    "memory": _FSSPEC,
    FALLBACK: _FSSPEC,
    "az": _AZURE + "AzureBlobDatastore",
    "abfs": _AZURE + "AzureDataLakeGen2Datastore",
    "abfss": _AZURE + "AzureDataLakeGen2Datastore",
}
#: Schemes whose fsspec implementation lives in a package not named after its module.
_PACKAGES = {"smb": "smbprotocol", "sftp": "paramiko", "ssh": "paramiko", "hf": "huggingface_hub"}


class Datastore(CloudDatastoreRegistrations, AbstractDatastoreFiles):
    """A named place to keep data, registered in a workspace (v1 ``Datastore``).

    ``Datastore(ws, name)`` returns the registered datastore ``name`` (the default one when
    ``name`` is None), as v1 does. Every workspace has ``workspaceblobstore`` (the default)
    and ``workspacefilestore``: folders under ``.pipelines/datastores/``.
    """

    workspace: WorkspaceLike
    #: The fsspec URL (for the built-in ones: their folder's absolute path).
    url: str
    #: "AzureBlob", "AzureFile", "LocalFolder" or "Fsspec".
    datastore_type: str
    #: Passed to the fsspec file system; stored in workspace.db as given.
    storage_options: dict[str, Any]
    #: Credentials, loaded from the secret store when first needed.
    _secrets: dict[str, Any] | None = None

    def __new__(cls, workspace: WorkspaceLike, name: str | None = None) -> Datastore:
        if name is None:
            return Datastore.get_default(workspace)
        return Datastore.get(workspace, name)

    def __init__(self, workspace: WorkspaceLike, name: str | None = None) -> None:
        """Nothing to do: ``__new__`` returned a datastore that is already set up."""

    @classmethod
    def _from_record(cls, workspace: WorkspaceLike, record: DatastoreRecord) -> Datastore:
        url = record.url or str(workspace.datastores_dir / record.name)
        store = object.__new__(datastore_class(url) if cls is Datastore else cls)
        store.workspace = workspace
        store.name = record.name
        store.url = url
        store.storage_options = dict(record.storage_options)
        store.datastore_type = record.datastore_type
        store._fs = None
        store._root = ""
        store._secrets = None
        return store

    def __reduce__(self) -> tuple[Any, ...]:
        record = DatastoreRecord(self.name, self.url, self.storage_options, self.datastore_type)
        return (_restore, (type(self.workspace), str(self.workspace.dir), record))

    # -- v1: registry ------------------------------------------------------------------
    @staticmethod
    def get(workspace: WorkspaceLike, datastore_name: str) -> Datastore:
        """The datastore registered as ``datastore_name`` (UnknownDatastoreError if none)."""
        return Datastore._from_record(workspace, registry.load_record(workspace, datastore_name))

    @staticmethod
    def get_default(workspace: WorkspaceLike) -> Datastore:
        """The workspace's default datastore."""
        return Datastore._from_record(workspace, registry.default_record(workspace))

    @staticmethod
    def register(
        workspace: WorkspaceLike,
        datastore_name: str,
        url: str | os.PathLike[str],
        overwrite: bool = False,
        **storage_options: Any,
    ) -> Datastore:
        """Register the fsspec ``url`` (a local folder, ``memory://``, ``s3://``...) by name.

        ``storage_options`` go to the fsspec file system. Those that hold secrets (keys,
        tokens, passwords: ``secrets.is_secret_name``) are kept apart, readable by the user
        only; the others are stored in ``workspace.db``.
        A relative local path is resolved against the current folder.
        """
        return Datastore._register(
            workspace, datastore_name, url, overwrite, storage_options, datastore_type=None
        )

    @staticmethod
    def register_azure_blob_container(
        workspace: WorkspaceLike,
        datastore_name: str,
        container_name: str,
        account_name: str,
        sas_token: str | None = None,
        account_key: str | None = None,
        protocol: str | None = None,
        endpoint: str | None = None,
        overwrite: bool = False,
        create_if_not_exists: bool = False,
        skip_validation: bool = False,
        blob_cache_timeout: int | None = None,
        grant_workspace_access: bool = False,
        subscription_id: str | None = None,
        resource_group: str | None = None,
        *,
        connection_string: str | None = None,
    ) -> Datastore:
        """Register the blob container ``container_name`` of storage account
        ``account_name`` (needs ``pip install 'jupyter_pipelines[azure]'``).

        The account is at ``{protocol}://{account_name}.blob.{endpoint}`` (https and
        core.windows.net by default), or at ``{protocol}://{endpoint}/{account_name}`` when
        ``endpoint`` is a ``host:port`` (the Azurite emulator: ``protocol='http',
        endpoint='127.0.0.1:10000'``). Credentials: ``sas_token``, ``account_key``, or a
        ``connection_string`` (keyword-only, ours); none means the Azure identity of the
        environment (``DefaultAzureCredential``). They are kept readable by the user only,
        never in ``workspace.db``. Unless ``skip_validation``, the container is listed once
        and a wrong key, a missing container or an unreachable account is one
        DatastoreError saying what to check; nothing is recorded then.
        ``grant_workspace_access`` concerns the cloud service and is ignored;
        ``blob_cache_timeout``, ``subscription_id`` and ``resource_group`` are kept.
        """
        cls: Any = datastore_class("az://")
        return cls._register_container(  # type: ignore[no-any-return]
            workspace,
            datastore_name,
            container_name,
            account_name,
            secrets={
                "sas_token": sas_token,
                "account_key": account_key,
                "connection_string": connection_string,
            },
            settings={
                "protocol": protocol,
                "endpoint": endpoint,
                "blob_cache_timeout": blob_cache_timeout,
                "subscription_id": subscription_id,
                "resource_group": resource_group,
            },
            overwrite=overwrite,
            create_if_not_exists=create_if_not_exists,
            skip_validation=skip_validation,
        )

    @staticmethod
    def register_azure_data_lake_gen2(
        workspace: WorkspaceLike,
        datastore_name: str,
        filesystem: str,
        account_name: str,
        tenant_id: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        resource_url: str | None = None,
        authority_url: str | None = None,
        protocol: str | None = None,
        endpoint: str | None = None,
        overwrite: bool = False,
        subscription_id: str | None = None,
        resource_group: str | None = None,
        grant_workspace_access: bool = False,
        *,
        account_key: str | None = None,
        sas_token: str | None = None,
        connection_string: str | None = None,
        skip_validation: bool = False,
    ) -> Datastore:
        """Register the file system ``filesystem`` of a Data Lake Storage Gen2 account,
        reached through the blob API (adlfs), at ``{protocol}://{account_name}.blob.{endpoint}``
        (or path-style for a ``host:port`` endpoint, as for blob containers).

        The credential is v1's service principal (``tenant_id``, ``client_id``,
        ``client_secret``, optionally ``authority_url``), or, keyword-only (ours), an
        ``account_key``, a ``sas_token`` or a ``connection_string``; none means the Azure
        identity of the environment. The file system is listed once unless
        ``skip_validation`` (ours). ``resource_url`` and ``grant_workspace_access`` concern
        the cloud service and are ignored.
        """
        cls: Any = datastore_class("abfs://")
        return cls._register_container(  # type: ignore[no-any-return]
            workspace,
            datastore_name,
            filesystem,
            account_name,
            secrets={
                "client_secret": client_secret,
                "account_key": account_key,
                "sas_token": sas_token,
                "connection_string": connection_string,
            },
            settings={
                "protocol": protocol,
                "endpoint": endpoint,
                "tenant_id": tenant_id,
                "client_id": client_id,
                "authority_url": authority_url,
                "subscription_id": subscription_id,
                "resource_group": resource_group,
            },
            overwrite=overwrite,
            create_if_not_exists=False,
            skip_validation=skip_validation,
        )

    @staticmethod
    def register_azure_file_share(
        workspace: WorkspaceLike,
        datastore_name: str,
        file_share_name: str,
        account_name: str,
        sas_token: str | None = None,
        account_key: str | None = None,
        protocol: str | None = None,
        endpoint: str | None = None,
        overwrite: bool = False,
        create_if_not_exists: bool = False,
        skip_validation: bool = False,
        **_v1_arguments: Any,
    ) -> Datastore:
        """Register an Azure file share, reached over SMB (needs ``pip install smbprotocol``).

        Azure Files is not blob storage, so adlfs cannot read it; its fsspec route is SMB 3
        with the storage account name and key (a SAS token does not work over SMB).
        """
        if not account_key:
            raise DatastoreError(
                f"datastore {datastore_name!r}: an Azure file share is reached over SMB, which "
                "needs 'account_key' (a SAS token cannot be used)"
            )
        host = f"{account_name}.file.{endpoint or 'core.windows.net'}"
        options = {"username": account_name, "password": account_key}
        return Datastore._register(
            workspace,
            datastore_name,
            f"smb://{host}/{file_share_name}",
            overwrite,
            options,
            "AzureFile",
        )

    @staticmethod
    def _register(
        workspace: WorkspaceLike,
        name: str,
        url: str | os.PathLike[str],
        overwrite: bool,
        storage_options: dict[str, Any],
        datastore_type: str | None,
    ) -> Datastore:
        registry.check_name(name)
        url = os.fspath(url)
        if scheme_of(url) == "file" and "://" not in url:
            url = str(Path(url).expanduser().resolve())
        if datastore_type is None:
            local = scheme_of(url) in ("file", "local")
            datastore_type = "LocalFolder" if local else "Fsspec"
        public, secrets = split_secrets(storage_options)
        record = DatastoreRecord(name, url, public, datastore_type)
        store = Datastore._from_record(workspace, record)
        store._secrets = secrets
        store.fs  # noqa: B018  (refuse options the file system does not accept before saving)
        registry.save_record(workspace, record, overwrite)
        SecretStore(workspace).save(name, secrets)
        return store

    def set_as_default(self) -> None:
        """Make this the workspace's default datastore."""
        registry.set_default(self.workspace, self.name)

    def unregister(self) -> None:
        """Remove this datastore (and its secrets) from the workspace; its data is left
        where it is."""
        registry.delete_record(self.workspace, self.name)
        SecretStore(self.workspace).delete(self.name)

    def _load_secrets(self) -> dict[str, Any]:
        """The credentials of this datastore (kept apart from workspace.db, see secrets.py)."""
        if self._secrets is None:
            self._secrets = SecretStore(self.workspace).load(self.name)
        return self._secrets

    def public_settings(self) -> dict[str, Any]:
        """What may be shown anywhere (the REST API, the UI): never a secret."""
        url = re.sub(r"//[^/@]*@", "//***@", self.url)  # credentials written into the URL
        return {"name": self.name, "datastore_type": self.datastore_type, "url": url}

    # -- v1: data references -------------------------------------------------------------
    def path(
        self, path: str | None = None, data_reference_name: str | None = None
    ) -> DataReference:
        """A reference to ``path`` on this datastore, for a step's inputs (v1 ``path``)."""
        from ..model.data import DataReference

        if isinstance(path, str):
            path = _v1_relative(path) or None
        return DataReference(
            datastore=self, data_reference_name=data_reference_name, path_on_datastore=path
        )

    def as_mount(self) -> DataReference:
        """A reference to the whole datastore, read in place."""
        return self.path(data_reference_name=self.name)

    def as_download(self, path_on_compute: str | None = None) -> DataReference:
        """A reference to the whole datastore, copied next to the step before it starts."""
        return self.path(data_reference_name=self.name).as_download(path_on_compute)

    # -- v1: transfers -------------------------------------------------------------------
    def upload(
        self,
        src_dir: str | os.PathLike[str],
        target_path: str | None = None,
        overwrite: bool = False,
        show_progress: bool = True,
    ) -> DataReference:
        """Copy the files under local ``src_dir`` to ``target_path``; existing files are
        skipped unless ``overwrite``. Returns a reference to ``target_path``."""
        if not Path(src_dir).is_dir():
            raise DatastoreError(f"cannot upload {str(src_dir)!r}: it is not a folder")
        target = _v1_relative(target_path)
        self.put_dir(src_dir, target, overwrite=overwrite, show_progress=show_progress)
        return self.path(target or None)

    def upload_files(
        self,
        files: Iterable[str | os.PathLike[str]],
        relative_root: str | os.PathLike[str] | None = None,
        target_path: str | None = None,
        overwrite: bool = False,
        show_progress: bool = True,
    ) -> DataReference:
        """Copy ``files`` to ``target_path``, each at its path relative to ``relative_root``
        (default: the files' common folder). Returns a reference to ``target_path``."""
        paths = [Path(f).expanduser().resolve() for f in files]
        for p in paths:
            if not p.is_file():
                raise DatastoreError(f"cannot upload {str(p)!r}: it is not a file")
        if not paths:
            return self.path(_v1_relative(target_path) or None)
        root = Path(relative_root or os.path.commonpath([p.parent for p in paths])).resolve()
        target = _v1_relative(target_path)
        pairs = []
        for p in paths:
            if not p.is_relative_to(root):
                raise DatastoreError(f"relative_root {str(root)!r} does not contain {str(p)!r}")
            pairs.append((p, posixpath.join(target, p.relative_to(root).as_posix())))
        self._put_files(pairs, overwrite, show_progress)
        return self.path(target or None)

    def download(
        self,
        target_path: str | os.PathLike[str],
        prefix: str | None = None,
        overwrite: bool = False,
        show_progress: bool = True,
    ) -> int:
        """Copy every file whose path starts with ``prefix`` (default: all) into local
        ``target_path``, keeping its path; existing local files are skipped unless
        ``overwrite``. Returns the number of files copied."""
        text = (prefix or "").replace("\\", "/").lstrip("/")
        self.relative(text)  # refuses an escaping prefix
        folder = text if text.endswith("/") or not text else posixpath.dirname(text)
        files = self._files_under(folder) if self.exists(folder) else []
        pairs = [(f, Path(target_path) / f) for f in files if f.startswith(text)]
        return self._get_files(pairs, overwrite, show_progress)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(name={self.name!r}, datastore_type={self.datastore_type!r}, "
            f"url={self.url!r})"
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Datastore) and (other.workspace, other.name, other.url) == (
            self.workspace,
            self.name,
            self.url,
        )

    def __hash__(self) -> int:
        return hash((self.workspace, self.name))


class FsspecDatastore(Datastore):
    """The built-in backend: any URL that ``fsspec.core.url_to_fs`` opens."""

    def _open_filesystem(self) -> tuple[AbstractFileSystem, str]:
        from fsspec.core import url_to_fs

        # names a missing package (pip install s3fs) before fsspec fails less clearly
        check_fsspec_scheme(scheme_of(self.url), self.url)
        try:
            fs, root = url_to_fs(self.url, **{**self.storage_options, **self._load_secrets()})
        except (ImportError, ValueError, TypeError) as exc:
            text = redact(str(exc), self._load_secrets())
            raise DatastoreError(
                f"cannot open datastore {self.name!r} at {self.url!r}: {text}"
            ) from None
        return fs, root.rstrip("/") if root not in ("/", "") else root


def _restore(workspace_class: type[Any], workspace_dir: str, record: DatastoreRecord) -> Datastore:
    return Datastore._from_record(reopen(workspace_class, workspace_dir), record)


# -- backends --------------------------------------------------------------------------
@cache
def datastore_backends() -> dict[str, str]:
    """URL scheme (or ``fsspec`` for the fallback) -> 'module:Class'."""
    found = dict(_BUILTIN)
    for ep in entry_points(group=GROUP):
        found[ep.name] = ep.value
    return found


def datastore_class(url: str) -> type[Datastore]:
    """The backend class for ``url``'s scheme (the ``fsspec`` entry for any other scheme).

    Whether the scheme can really be opened is checked when the file system is opened, so
    that listing datastores never fails for want of one backend's package.
    """
    backends = datastore_backends()
    module, _, attr = backends.get(scheme_of(url), backends[FALLBACK]).partition(":")
    cls: type[Datastore] = getattr(import_module(module), attr)
    return cls


def check_fsspec_scheme(scheme: str, url: str) -> None:
    """Raise DatastoreError unless fsspec can open ``scheme`` here, naming what to install."""
    import fsspec
    from fsspec.registry import known_implementations

    try:
        fsspec.get_filesystem_class(scheme)
    except ImportError as exc:
        known = known_implementations.get(scheme, {})
        package = _PACKAGES.get(scheme) or str(known.get("class", scheme)).split(".")[0]
        raise DatastoreError(
            f"datastore URL {url!r} needs the fsspec implementation of {scheme!r}: "
            f"pip install {package} ({exc})"
        ) from exc
    except ValueError as exc:
        schemes = sorted(set(known_implementations) | set(datastore_backends()) - {FALLBACK})
        raise DatastoreError(
            f"unknown datastore URL scheme {scheme!r} in {url!r}{did_you_mean(scheme, schemes)}; "
            "no installed fsspec implementation or jupyter_pipelines.datastores entry point "
            "serves it (install the package that provides it)"
        ) from exc


def _v1_relative(path: str | None) -> str:
    """A v1 target path: blob names have no leading '/', so v1 code's '/data' means 'data'."""
    return (path or "").replace("\\", "/").lstrip("/")
