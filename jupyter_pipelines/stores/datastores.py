"""Datastores (v1 ``azureml.core.Datastore``): named folders on any fsspec file system.

``Datastore`` is the v1 facade (register, get, upload, download, path); ``FsspecDatastore``
is the built-in backend. The lower-level methods that the engine and datasets use
(``full_path``, ``glob``, ``info``, ``open``, ``put_dir``, ``get_dir``) come from
``AbstractDatastoreFiles`` in ``datastore_files.py``.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import DatastoreError
from . import datastore_registry as registry
from .datastore_files import AbstractDatastoreFiles
from .datastore_registry import DatastoreRecord

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

    from ..model.data import DataReference
    from .workspace import Workspace


class Datastore(AbstractDatastoreFiles):
    """A named place to keep data, registered in a workspace (v1 ``Datastore``).

    ``Datastore(ws, name)`` returns the registered datastore ``name`` (the default one when
    ``name`` is None), as v1 does. Every workspace has ``workspaceblobstore`` (the default)
    and ``workspacefilestore``: folders under ``.pipelines/datastores/``.
    """

    workspace: Workspace
    #: The fsspec URL (for the built-in ones: their folder's absolute path).
    url: str
    #: "AzureBlob", "AzureFile", "LocalFolder" or "Fsspec".
    datastore_type: str
    #: Passed to the fsspec file system; stored in workspace.db as given.
    storage_options: dict[str, Any]

    def __new__(cls, workspace: Workspace, name: str | None = None) -> Datastore:
        if name is None:
            return workspace.get_default_datastore()
        return Datastore.get(workspace, name)

    def __init__(self, workspace: Workspace, name: str | None = None) -> None:
        """Nothing to do: ``__new__`` returned a datastore that is already set up."""

    @classmethod
    def _from_record(cls, workspace: Workspace, record: DatastoreRecord) -> Datastore:
        url = record.url or str(workspace.datastores_dir / record.name)
        store = object.__new__(registry.datastore_class(url) if cls is Datastore else cls)
        store.workspace = workspace
        store.name = record.name
        store.url = url
        store.storage_options = dict(record.storage_options)
        store.datastore_type = record.datastore_type
        store._fs = None
        store._root = ""
        return store

    def __reduce__(self) -> tuple[Any, ...]:
        record = DatastoreRecord(self.name, self.url, self.storage_options, self.datastore_type)
        return (_restore, (str(self.workspace.dir), record))

    # -- v1: registry ------------------------------------------------------------------
    @staticmethod
    def get(workspace: Workspace, datastore_name: str) -> Datastore:
        """The datastore registered as ``datastore_name`` (UnknownDatastoreError if none)."""
        return Datastore._from_record(workspace, registry.load_record(workspace, datastore_name))

    @staticmethod
    def get_default(workspace: Workspace) -> Datastore:
        """The workspace's default datastore."""
        return Datastore._from_record(workspace, registry.default_record(workspace))

    @staticmethod
    def register(
        workspace: Workspace,
        datastore_name: str,
        url: str | os.PathLike[str],
        overwrite: bool = False,
        **storage_options: Any,
    ) -> Datastore:
        """Register the fsspec ``url`` (a local folder, ``memory://``, ``s3://``...) by name.

        ``storage_options`` go to the fsspec file system (credentials included) and are
        stored as given in ``workspace.db``, as v1 keeps credentials in the workspace.
        A relative local path is resolved against the current folder.
        """
        return Datastore._register(
            workspace, datastore_name, url, overwrite, storage_options, datastore_type=None
        )

    @staticmethod
    def register_azure_blob_container(
        workspace: Workspace,
        datastore_name: str,
        container_name: str,
        account_name: str,
        sas_token: str | None = None,
        account_key: str | None = None,
        protocol: str | None = None,
        endpoint: str | None = None,
        overwrite: bool = False,
        create_if_not_exists: bool = False,
        **_v1_arguments: Any,
    ) -> Datastore:
        """Register an Azure blob container as ``az://container`` (needs ``pip install adlfs``)."""
        options: dict[str, Any] = {"account_name": account_name}
        if sas_token:
            options["sas_token"] = sas_token
        if account_key:
            options["account_key"] = account_key
        if endpoint and endpoint != "core.windows.net":
            options["account_host"] = f"{account_name}.blob.{endpoint}"
        store = Datastore._register(
            workspace, datastore_name, f"az://{container_name}", overwrite, options, "AzureBlob"
        )
        if create_if_not_exists:
            store.makedirs("")
        return store

    @staticmethod
    def register_azure_file_share(
        workspace: Workspace,
        datastore_name: str,
        file_share_name: str,
        account_name: str,
        sas_token: str | None = None,
        account_key: str | None = None,
        protocol: str | None = None,
        endpoint: str | None = None,
        overwrite: bool = False,
        create_if_not_exists: bool = False,
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
        workspace: Workspace,
        name: str,
        url: str | os.PathLike[str],
        overwrite: bool,
        storage_options: dict[str, Any],
        datastore_type: str | None,
    ) -> Datastore:
        registry.check_name(name)
        url = os.fspath(url)
        if registry.scheme_of(url) == "file" and "://" not in url:
            url = str(Path(url).expanduser().resolve())
        if datastore_type is None:
            local = registry.scheme_of(url) in ("file", "local")
            datastore_type = "LocalFolder" if local else "Fsspec"
        record = DatastoreRecord(name, url, storage_options, datastore_type)
        store = Datastore._from_record(workspace, record)
        store.fs  # noqa: B018  (refuse options the file system does not accept before saving)
        registry.save_record(workspace, record, overwrite)
        return store

    def set_as_default(self) -> None:
        """Make this the workspace's default datastore."""
        registry.set_default(self.workspace, self.name)

    def unregister(self) -> None:
        """Remove this datastore from the workspace; its data is left where it is."""
        registry.delete_record(self.workspace, self.name)

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
        ref = self.path(data_reference_name=self.name)
        ref.as_download(path_on_compute)
        return ref

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
        registry.check_fsspec_scheme(registry.scheme_of(self.url), self.url)
        try:
            fs, root = url_to_fs(self.url, **self.storage_options)
        except (ImportError, ValueError, TypeError) as exc:
            raise DatastoreError(
                f"cannot open datastore {self.name!r} at {self.url!r}: {exc}"
            ) from exc
        return fs, root.rstrip("/") if root not in ("/", "") else root


def _restore(workspace_dir: str, record: DatastoreRecord) -> Datastore:
    from .workspace import Workspace

    return Datastore._from_record(Workspace(workspace_dir), record)


def _v1_relative(path: str | None) -> str:
    """A v1 target path: blob names have no leading '/', so v1 code's '/data' means 'data'."""
    return (path or "").replace("\\", "/").lstrip("/")
