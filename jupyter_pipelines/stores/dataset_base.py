"""``AbstractDataset``: what file and tabular datasets share (v1 ``AbstractDataset``).

A dataset is a definition: paths (on datastores, web servers or the local disk), options
and transformations, kept as a JSON-ready document (``to_definition``). It may belong to a
workspace: one made only of URLs and local paths needs none until it is registered or
submitted (``bind``). Registering a version pins the hash of every file, so that a later
change of the data is reported (``verify``), never silently read as the same.

The kinds (``FileDataset``, ``TabularDataset``, in ``dataset_classes.py``) register
themselves here by their ``kind``, so that a definition can be turned back into a dataset
without this module importing them. v1's ``File`` and ``Tabular`` factories are attached by
``dataset_factories.py``, which sits above the kinds.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from ..compat import refused
from ..errors import DatasetError, StoreError, UnknownDatasetError
from ..log import get_logger
from ..model.data import DatasetConsumptionConfig
from ..reuse.hashing import hash_document
from . import dataset_registry as registry
from .dataset_files import compare, hash_files, pattern_base, place
from .dataset_files import to_paths as layout
from .dataset_partitions import PartitionMembers
from .dataset_sources import (
    LOCAL,
    is_source_key,
    is_web_key,
    location_of,
    source_files,
    split_location,
)
from .datastore_files import AbstractDatastoreFiles
from .datastores import Datastore
from .workspace_like import WorkspaceLike, reopen

log = get_logger(__name__)
_D = TypeVar("_D", bound="AbstractDataset")
Files = AbstractDatastoreFiles


class AbstractDataset(PartitionMembers):
    """What file and tabular datasets share: paths, registration, hashing, consumption."""

    is_dataset = True
    kind = ""
    #: The dataset classes by kind, filled as they are defined.
    _kinds: ClassVar[dict[str, type[AbstractDataset]]] = {}
    #: v1's ``Dataset.File`` and ``Dataset.Tabular`` (set by ``dataset_factories.py``).
    File: ClassVar[Any]
    Tabular: ClassVar[Any]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.kind:
            AbstractDataset._kinds[cls.kind] = cls

    def __init__(
        self,
        *,
        workspace: WorkspaceLike | None = None,
        paths: list[tuple[str, str]] | None = None,
        tabular_options: dict[str, Any] | None = None,
        transformations: list[dict[str, Any]] | None = None,
        datastores: dict[str, Any] | None = None,
        properties: dict[str, Any] | None = None,
    ) -> None:
        """Datasets are made by the factories (``Dataset.File.from_files``, ...) and by
        ``get_by_name``; without arguments this is an empty dataset, as in v1."""
        self.workspace = workspace
        self._paths = list(paths or [])
        self._options = tabular_options
        self._transformations = list(transformations or [])
        self._datastores: dict[str, Files] = dict(datastores or {})
        #: Kind-specific parts of the definition (partition format, timestamp columns).
        self._properties = dict(properties or {})
        self._name: str | None = None
        self._version: int | None = None
        self._description: str | None = None
        self._tags: dict[str, str] = {}
        self._pinned: tuple[str, dict[str, str]] | None = None
        self._local_root: Path | None = None

    # -- identity (v1 properties) -----------------------------------------------------------
    @property
    def name(self) -> str | None:
        """The registered name (None until registered)."""
        return self._name

    @property
    def version(self) -> int | None:
        """The registered version (None until registered)."""
        return self._version

    @property
    def description(self) -> str | None:
        return self._description

    @property
    def tags(self) -> dict[str, str]:
        return dict(self._tags)

    @property
    def id(self) -> str:
        """Stable for one definition (and one registered name and version); what
        ``get_by_id`` finds once the dataset was registered or used by a submitted run."""
        doc = {"definition": self.to_definition(), "name": self.name, "version": self.version}
        return str(uuid.UUID(hex=hash_document(doc)[:32]))

    @property
    def pinned_content_hash(self) -> str | None:
        """The content hash recorded when this version was registered (None if unregistered)."""
        return self._pinned[0] if self._pinned else None

    @property
    def pinned_file_hashes(self) -> dict[str, str]:
        """The file hashes recorded when this version was registered."""
        return dict(self._pinned[1]) if self._pinned else {}

    @property
    def data_changed_time(self) -> datetime | None:
        """When the newest of the dataset's files last changed (None when unknown)."""
        times = [t for t in (s.info(r).get("mtime") for s, r in self.resolve_files()) if t]
        return datetime.fromtimestamp(max(times), tz=timezone.utc) if times else None

    # -- the definition --------------------------------------------------------------------
    def to_definition(self) -> dict[str, Any]:
        """The JSON-ready definition: kind, paths, options, transformations."""
        doc: dict[str, Any] = {
            "kind": self.kind,
            "paths": [_path_doc(key, pattern) for key, pattern in self._paths],
            "transformations": [dict(t) for t in self._transformations],
        }
        if self._options is not None:
            doc["tabular"] = dict(self._options)
        doc.update({k: v for k, v in self._properties.items() if v})
        return doc

    @staticmethod
    def from_definition(workspace: WorkspaceLike | None, definition: dict[str, Any]) -> Any:
        """The dataset a ``to_definition()`` document describes (in ``workspace``, which may
        be None when every path is a URL or a local path)."""
        kind = definition.get("kind") if isinstance(definition, dict) else None
        cls = AbstractDataset._kinds.get(str(kind))
        if cls is None:
            raise DatasetError(
                f"a dataset definition needs 'kind' in {sorted(AbstractDataset._kinds)}, "
                f"got {kind!r}"
            )
        try:
            paths = [_path_of(p) for p in definition["paths"]]
        except (KeyError, TypeError) as exc:
            raise DatasetError(f"bad 'paths' in dataset definition {definition!r}") from exc
        return cls._from_parts(workspace, paths, definition)

    @classmethod
    def _from_parts(
        cls, workspace: WorkspaceLike | None, paths: list[tuple[str, str]], doc: dict[str, Any]
    ) -> AbstractDataset:
        """A dataset of this kind from the parts of a definition (checked by the kind)."""
        raise NotImplementedError

    # -- consumption by steps ----------------------------------------------------------------
    def as_named_input(self, name: str) -> DatasetConsumptionConfig:
        """This dataset as a step input called ``name`` (``Run.input_datasets[name]``)."""
        return DatasetConsumptionConfig(name, self)

    def as_mount(self, path_on_compute: str | None = None) -> DatasetConsumptionConfig:
        """This dataset as a step input read in place (links to its files)."""
        return DatasetConsumptionConfig(self.name or "dataset", self, "mount", path_on_compute)

    def as_download(self, path_on_compute: str | None = None) -> DatasetConsumptionConfig:
        """This dataset as a step input copied next to the step before it starts."""
        return DatasetConsumptionConfig(self.name or "dataset", self, "download", path_on_compute)

    # -- files and hashes ------------------------------------------------------------------
    def bind(self, workspace: WorkspaceLike) -> AbstractDataset:
        """This dataset in ``workspace``: itself when it has no workspace yet (it is bound
        to this one from now on) or already that one, else a copy bound to it."""
        if self.workspace is None:
            self.workspace = workspace
            return self
        if self.workspace == workspace:
            return self
        return AbstractDataset.from_definition(workspace, self.to_definition())  # type: ignore[no-any-return]

    def _datastore(self, key: str) -> Files:
        if key not in self._datastores:
            if is_source_key(key):
                self._datastores[key] = source_files(key)
            elif self.workspace is None:
                raise DatasetError(
                    f"{self!r} reads datastore {key!r} but belongs to no workspace; make it "
                    "from a Datastore object: Dataset.File.from_files((datastore, 'path'))"
                )
            else:
                self._datastores[key] = Datastore.get(self.workspace, key)
        return self._datastores[key]

    def _all_files(self) -> list[tuple[Files, str]]:
        """Every file the paths match, globs expanded, sorted; before transformations."""
        found = {(d, rel) for d, pattern in self._paths for rel in self._datastore(d).glob(pattern)}
        return [(self._datastore(d), rel) for d, rel in sorted(found)]

    def resolve_files(self) -> list[tuple[Files, str]]:
        """The dataset's files as (datastore or source, path), after its transformations."""
        return self._all_files()

    def _layout(self, files: list[tuple[Files, str]]) -> list[str]:
        # keys without '//' (which path functions fold): 'file:', 'http:host:port'
        bases = [f"{_label(d)}/{pattern_base(self._datastore(d), p)}" for d, p in self._paths]
        paths = layout(bases, [f"{_label(store.name)}/{rel}" for store, rel in files])
        return [
            p.split("?", 1)[0] if is_web_key(s.name) else p
            for (s, _), p in zip(files, paths, strict=True)
        ]

    def file_paths(self) -> list[str]:
        """Each file as ``key/path`` (the keys of ``file_hashes``)."""
        return [f"{store.name}/{rel}" for store, rel in self.resolve_files()]

    def to_path(self) -> list[str]:
        """v1: each file's path relative to the common root of the dataset's paths, from '/'.

        ``to_path``, ``download`` and ``mount`` act on the files, for tabular datasets too
        (that is how steps are given a table's files)."""
        return self._layout(self.resolve_files())

    def single_file(self) -> str | None:
        """The ``to_path`` of the one file of a dataset made from one file path (no glob,
        not a folder), else None: such a dataset reaches a step as that file's path."""
        if len(self._paths) != 1:
            return None
        from .dataset_files import is_single_path

        key, pattern = self._paths[0]
        if not is_single_path(self._datastore(key), pattern):
            return None
        paths = self.to_path()
        return paths[0] if len(paths) == 1 else None

    def _placement(self, root: Path) -> list[tuple[Files, str, Path]]:
        files = self.resolve_files()
        return [
            (s, r, root / p.lstrip("/"))
            for (s, r), p in zip(files, self._layout(files), strict=True)
        ]

    def stage(
        self, target: str | Path, link: bool = False, overwrite: bool = False,
        ignore_not_found: bool = False,
    ) -> list[str]:  # fmt: skip
        """Place the files under ``target`` laid out as ``to_path()``: symlinks to local
        files when ``link``, else copies. What downloads, mounts and the engine use."""
        return place(self._placement(Path(target)), link, overwrite, ignore_not_found)

    def file_hashes(self) -> dict[str, str]:
        """A hash of every file, by ``key/path`` (see ``dataset_files.hash_files``)."""
        return hash_files(self.workspace, self.resolve_files())

    def content_hash(self) -> str:
        """A hash of the definition and of the current content of every file."""
        return hash_document({"definition": self.to_definition(), "files": self.file_hashes()})

    def verify(self) -> list[str]:
        """What changed since this version was registered: ``changed: ds/path``, ``added: ...``,
        ``removed: ...`` (always empty for an unregistered dataset)."""
        if self._pinned is None:
            return []
        try:
            current = self.file_hashes()
        except StoreError as exc:  # a datastore gone or unreadable: say so, do not fail
            return [f"unreadable: {exc}"]
        return compare(self._pinned[1], current)

    # -- registry --------------------------------------------------------------------------
    def register(
        self,
        workspace: WorkspaceLike,
        name: str,
        description: str | None = None,
        tags: dict[str, str] | None = None,
        create_new_version: bool = False,
    ) -> AbstractDataset:
        """Register this definition as dataset ``name`` and return the registered version.

        An existing name needs ``create_new_version=True`` unless the definition is the
        same, in which case that version is returned (and a change of its data is logged).
        """
        registry.check_name(name)
        dataset = self.bind(workspace)
        files = dataset.file_hashes()
        definition = dataset.to_definition()
        record = registry.DatasetRecord(
            name=name,
            version=0,
            kind=self.kind,
            definition=definition,
            content_hash=hash_document({"definition": definition, "files": files}),
            files=files,
            description=description or "",
            tags={str(k): str(v) for k, v in (tags or {}).items()},
        )
        stored, created = registry.add_version(workspace, record, create_new_version)
        registered: AbstractDataset = _from_record(workspace, stored)
        registered.record_id()
        if not created and stored.content_hash != record.content_hash:
            log.warning(
                "dataset %r version %s has this definition but its data changed since it was "
                "registered (%s); pass create_new_version=True to pin the current data",
                name, stored.version, ", ".join(compare(stored.files, files)[:10]),
            )  # fmt: skip
        return registered

    def record_id(self) -> str:
        """Remember this dataset by its id in its workspace (``get_by_id`` finds it)."""
        if self.workspace is None:
            raise DatasetError(f"{self!r} belongs to no workspace: register or submit it first")
        registry.record_id(self.workspace, self.id, self.to_definition(), self.name, self.version)
        return self.id

    def update(
        self, description: str | None = None, tags: dict[str, str] | None = None
    ) -> AbstractDataset:
        """Set the description and/or tags (of the registered version, when registered)."""
        clean = {str(k): str(v) for k, v in tags.items()} if tags is not None else None
        if self.workspace is not None and self.name and self.version is not None:
            record = registry.update_version(
                self.workspace, self.name, self.version, description, clean
            )
            description, clean = record.description, dict(record.tags)
        if description is not None:
            self._description = description
        if clean is not None:
            self._tags = clean
        return self

    def add_tags(self, tags: dict[str, str] | None = None) -> AbstractDataset:
        """Add (or replace) tags; returns the dataset."""
        return self.update(tags={**self._tags, **(tags or {})})

    def remove_tags(self, tags: list[str] | None = None) -> AbstractDataset:
        """Remove the tags named in ``tags``; returns the dataset."""
        return self.update(tags={k: v for k, v in self._tags.items() if k not in (tags or [])})

    def unregister_all_versions(self) -> None:
        """Unregister every version of this dataset's name (its files are left alone)."""
        if self.workspace is None or not self.name:
            raise DatasetError(f"{self!r} is not registered")
        registry.delete_all_versions(self.workspace, self.name)

    @staticmethod
    def get_by_name(
        workspace: WorkspaceLike, name: str, version: int | str = "latest", **kwargs: Any
    ) -> Any:
        """Version ``version`` (a number or 'latest') of the registered dataset ``name``.

        A version whose files changed since it was registered is returned with a warning
        naming the files.
        """
        record = registry.load(workspace, name, _version_number(name, version))
        dataset = _from_record(workspace, record)
        changes = dataset.verify()
        if changes:
            log.warning(
                "dataset %r version %s changed since it was registered: %s%s",
                name, record.version, ", ".join(changes[:10]),
                f" (and {len(changes) - 10} more)" if len(changes) > 10 else "",
            )  # fmt: skip
        return dataset

    @staticmethod
    def get_by_id(workspace: WorkspaceLike, id: str, **kwargs: Any) -> Any:
        """The dataset whose ``id`` is ``id``: one registered, or used by a submitted run."""
        found = registry.find_id(workspace, str(id))
        if found is not None:
            definition, name, version = found
            if name and version is not None:
                return AbstractDataset.get_by_name(workspace, name, version)
            return AbstractDataset.from_definition(workspace, definition)
        for record in registry.all_versions(workspace):  # registered before ids were recorded
            dataset = _from_record(workspace, record)
            if dataset.id == id:
                return dataset
        raise UnknownDatasetError(
            f"no dataset with id {id!r} in workspace {str(workspace.root)!r}; a dataset gets "
            "an id when it is registered or used by a submitted run"
        )

    @staticmethod
    def get_all(workspace: WorkspaceLike) -> dict[str, Any]:
        """The latest version of every registered dataset, by name."""
        return {n: _from_record(workspace, r) for n, r in registry.all_latest(workspace).items()}

    # -- cloud-only consumption -------------------------------------------------------------
    @refused("use as_mount() or as_download(): HDFS inputs exist only on Azure Synapse Spark")
    def as_hdfs(self) -> DatasetConsumptionConfig:
        """v1: the dataset as an HDFS path on a Synapse Spark pool (refused here)."""
        raise NotImplementedError

    # -- helpers ---------------------------------------------------------------------------
    def _with(self: _D, **step: Any) -> _D:
        """A new, unregistered dataset with one more transformation."""
        return self._copy(transformations=[*self._transformations, step])

    def _copy(self: _D, **changes: Any) -> _D:
        parts: dict[str, Any] = {
            "workspace": self.workspace, "paths": self._paths, "tabular_options": self._options,
            "transformations": self._transformations, "datastores": self._datastores,
            "properties": self._properties,
        }  # fmt: skip
        copy = type(self)(**{**parts, **changes})
        copy._local_root = self._local_root  # inside a step: still read from the step's files
        return copy

    def __repr__(self) -> str:
        who = f"name={self.name!r}, version={self.version}, " if self.name else ""
        paths = [location_of(d, p) if is_source_key(d) else f"{d}/{p}" for d, p in self._paths]
        return f"{type(self).__name__}({who}paths={paths})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return False
        assert isinstance(other, AbstractDataset)
        mine = (self.workspace, self.name, self.version, self.to_definition())
        return (other.workspace, other.name, other.version, other.to_definition()) == mine

    def __hash__(self) -> int:
        return hash(self.id)

    def __reduce__(self) -> tuple[Any, ...]:
        state = (self._name, self._version, self._description, self._tags, self._pinned)
        where = (type(self.workspace), str(self.workspace.dir)) if self.workspace else None
        # a classmethod of the kind's class: unpickling imports the module that defines it
        return (type(self)._restored, (where, self.to_definition(), state))

    @classmethod
    def _restored(
        cls, where: tuple[type[Any], str] | None, definition: dict[str, Any], state: tuple[Any, ...]
    ) -> Any:
        workspace = reopen(*where) if where else None
        dataset = AbstractDataset.from_definition(workspace, definition)
        dataset._name, dataset._version, dataset._description, dataset._tags = state[:4]
        dataset._pinned = state[4]
        return dataset


# -- helpers ---------------------------------------------------------------------------------
def _label(key: str) -> str:
    return key.replace("://", ":")


def _path_doc(key: str, pattern: str) -> dict[str, str]:
    if key == LOCAL:
        return {"local": location_of(key, pattern)}
    if is_source_key(key):
        return {"url": location_of(key, pattern)}
    return {"datastore": key, "path": pattern}


def _path_of(doc: dict[str, Any]) -> tuple[str, str]:
    if "url" in doc or "local" in doc:
        return split_location(str(doc.get("url") or doc["local"]))
    return str(doc["datastore"]), str(doc["path"])


def _from_record(workspace: WorkspaceLike, record: registry.DatasetRecord) -> Any:
    dataset: AbstractDataset = AbstractDataset.from_definition(workspace, record.definition)
    dataset._name, dataset._version = record.name, record.version
    dataset._description, dataset._tags = record.description, dict(record.tags)
    dataset._pinned = (record.content_hash, dict(record.files))
    return dataset


def _version_number(name: str, version: int | str | None) -> int | None:
    if version is None or version == "latest":
        return None
    if isinstance(version, str) and version.isascii() and version.isdigit():
        version = int(version)  # str.isdigit alone takes "²", which int() refuses
    if isinstance(version, int) and not isinstance(version, bool) and 0 < version < 2**63:
        return version
    raise DatasetError(
        f"dataset {name!r}: version must be a number (1, 2, ...) or 'latest', got {version!r}"
    )
