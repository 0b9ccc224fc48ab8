"""The dataset classes: ``AbstractDataset`` and its kinds ``FileDataset`` and ``TabularDataset``.

Factories, the registry look-ups of v1 ``Dataset`` and the functions the engine uses are in
``datasets.py``, which re-exports these classes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar

from ..errors import DatasetError, StoreError, did_you_mean
from ..log import get_logger
from ..model.data import DatasetConsumptionConfig
from ..reuse.hashing import hash_document
from . import dataset_registry as registry
from . import tabular
from .dataset_files import DatasetMount, compare, hash_files, pattern_base, place
from .dataset_files import to_paths as layout
from .datastores import Datastore

if TYPE_CHECKING:
    from .workspace import Workspace

log = get_logger(__name__)
KINDS = ("file", "tabular")
_D = TypeVar("_D", bound="AbstractDataset")


class AbstractDataset:
    """What file and tabular datasets share: paths, registration, hashing, consumption."""

    is_dataset = True
    kind = ""

    def __init__(
        self,
        workspace: Workspace,
        paths: list[tuple[str, str]],
        tabular_options: dict[str, Any] | None = None,
        transformations: list[dict[str, Any]] | None = None,
        datastores: dict[str, Datastore] | None = None,
    ) -> None:
        self.workspace = workspace
        self._paths = list(paths)
        self._options = tabular_options
        self._transformations = list(transformations or [])
        self._datastores = dict(datastores or {})
        self.name: str | None = None
        self.version: int | None = None
        self.description: str | None = None
        self.tags: dict[str, str] = {}
        self._pinned: tuple[str, dict[str, str]] | None = None
        self._local_root: Path | None = None

    # -- identity ------------------------------------------------------------------------
    @property
    def id(self) -> str:
        """Stable for one definition (and one registered name and version)."""
        doc = {"definition": self.to_definition(), "name": self.name, "version": self.version}
        return hash_document(doc)[:32]

    @property
    def pinned_content_hash(self) -> str | None:
        """The content hash recorded when this version was registered (None if unregistered)."""
        return self._pinned[0] if self._pinned else None

    @property
    def pinned_file_hashes(self) -> dict[str, str]:
        """The file hashes recorded when this version was registered."""
        return dict(self._pinned[1]) if self._pinned else {}

    def to_definition(self) -> dict[str, Any]:
        """The JSON-ready definition: kind, paths, tabular options, transformations."""
        doc: dict[str, Any] = {
            "kind": self.kind,
            "paths": [{"datastore": d, "path": p} for d, p in self._paths],
            "transformations": [dict(t) for t in self._transformations],
        }
        if self._options is not None:
            doc["tabular"] = dict(self._options)
        return doc

    @staticmethod
    def from_definition(workspace: Workspace, definition: dict[str, Any]) -> AbstractDataset:
        """The dataset a ``to_definition()`` document describes, in ``workspace``."""
        kind = definition.get("kind") if isinstance(definition, dict) else None
        if kind not in KINDS:
            raise DatasetError(f"a dataset definition needs 'kind' in {KINDS}, got {kind!r}")
        try:
            paths = [(str(p["datastore"]), str(p["path"])) for p in definition["paths"]]
        except (KeyError, TypeError) as exc:
            raise DatasetError(f"bad 'paths' in dataset definition {definition!r}") from exc
        options = tabular.normalize_options(**definition.get("tabular") or {})
        cls = TabularDataset if kind == "tabular" else FileDataset
        steps = [_check_step(t) for t in definition.get("transformations") or []]
        return cls(workspace, paths, options if kind == "tabular" else None, steps)

    # -- consumption by steps ------------------------------------------------------------
    def as_named_input(self, name: str) -> DatasetConsumptionConfig:
        """This dataset as a step input called ``name`` (``Run.input_datasets[name]``)."""
        return DatasetConsumptionConfig(name, self)

    def as_mount(self, path_on_compute: str | None = None) -> DatasetConsumptionConfig:
        return DatasetConsumptionConfig(self.name or "dataset", self, "mount", path_on_compute)

    def as_download(self, path_on_compute: str | None = None) -> DatasetConsumptionConfig:
        return DatasetConsumptionConfig(self.name or "dataset", self, "download", path_on_compute)

    # -- files and hashes ----------------------------------------------------------------
    def _datastore(self, name: str) -> Datastore:
        if name not in self._datastores:
            self._datastores[name] = Datastore.get(self.workspace, name)
        return self._datastores[name]

    def resolve_files(self) -> list[tuple[Datastore, str]]:
        """Every file of the dataset as (datastore, path), globs expanded, sorted."""
        found = {(d, rel) for d, pattern in self._paths for rel in self._datastore(d).glob(pattern)}
        return [(self._datastore(d), rel) for d, rel in sorted(found)]

    def _layout(self, files: list[tuple[Datastore, str]]) -> list[str]:
        bases = [f"{d}/{pattern_base(self._datastore(d), p)}" for d, p in self._paths]
        return layout(bases, [f"{store.name}/{rel}" for store, rel in files])

    def file_paths(self) -> list[str]:
        """Each file as ``datastore/path`` (the keys of ``file_hashes``)."""
        return [f"{store.name}/{rel}" for store, rel in self.resolve_files()]

    def to_path(self) -> list[str]:
        """v1: each file's path relative to the common root of the dataset's paths, from '/'.

        ``to_path``, ``download`` and ``mount`` act on the files, for tabular datasets too
        (that is how steps are given a table's files)."""
        return self._layout(self.resolve_files())

    def _placement(self, root: Path) -> list[tuple[Datastore, str, Path]]:
        files = self.resolve_files()
        return [
            (s, r, root / p.lstrip("/"))
            for (s, r), p in zip(files, self._layout(files), strict=True)
        ]

    def download(self, target_path: str | None = None, overwrite: bool = False) -> list[str]:
        """Copy the files into ``target_path`` (default: a new temporary folder), laid out as
        ``to_path()``; returns their local paths. Existing files are kept unless ``overwrite``."""
        import tempfile

        root = Path(target_path) if target_path else Path(tempfile.mkdtemp(prefix="dataset-"))
        return place(self._placement(root), link=False, overwrite=overwrite)

    def mount(self, mount_point: str | None = None, **_v1_arguments: Any) -> DatasetMount:
        """A read-only view of the files (call ``start()``, or use it in a ``with``)."""
        return DatasetMount(self, mount_point)

    def file_hashes(self) -> dict[str, str]:
        """BLAKE3 of every file, by ``datastore/path``."""
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

    # -- registry ------------------------------------------------------------------------
    def register(
        self,
        workspace: Workspace,
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
        dataset = self if workspace == self.workspace else _rebind(self, workspace)
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
        registered = _from_record(workspace, stored)
        if not created and stored.content_hash != record.content_hash:
            log.warning(
                "dataset %r version %s has this definition but its data changed since it was "
                "registered (%s); pass create_new_version=True to pin the current data",
                name, stored.version, ", ".join(compare(stored.files, files)[:10]),
            )  # fmt: skip
        return registered

    @staticmethod
    def get_by_name(
        workspace: Workspace, name: str, version: int | str = "latest"
    ) -> AbstractDataset:
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
    def get_all(workspace: Workspace) -> dict[str, AbstractDataset]:
        """The latest version of every registered dataset, by name."""
        return {n: _from_record(workspace, r) for n, r in registry.all_latest(workspace).items()}

    # -- helpers -------------------------------------------------------------------------
    def _with(self: _D, **step: Any) -> _D:
        """A new, unregistered dataset with one more transformation."""
        return type(self)(
            self.workspace,
            self._paths,
            self._options,
            [*self._transformations, step],
            self._datastores,
        )

    def __repr__(self) -> str:
        who = f"name={self.name!r}, version={self.version}, " if self.name else ""
        paths = [f"{d}/{p}" for d, p in self._paths]
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
        state = (self.name, self.version, self.description, self.tags, self._pinned)
        return (_restore, (str(self.workspace.dir), self.to_definition(), state))


class FileDataset(AbstractDataset):
    """Files on datastores (v1 ``FileDataset``)."""

    kind = "file"

    def resolve_files(self) -> list[tuple[Datastore, str]]:
        files = super().resolve_files()
        for step in self._transformations:
            files = files[: step["count"]] if step["op"] == "take" else files[step["count"] :]
        return files

    def take(self, count: int) -> FileDataset:
        """The first ``count`` files."""
        return self._with(op="take", count=_count(count))

    def skip(self, count: int) -> FileDataset:
        """All files but the first ``count``."""
        return self._with(op="skip", count=_count(count))


class TabularDataset(AbstractDataset):
    """Delimited files read as one table (v1 ``TabularDataset``)."""

    kind = "tabular"

    def _sources(self) -> list[tabular.Source]:
        root = self._local_root
        if root is not None:  # inside a step: the files were made available here
            found = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
            base = root.parent if root.is_file() else root
            return [
                tabular.Source(str(p), "/" + p.relative_to(base).as_posix(), _opener(p))
                for p in found
                if not p.name.startswith(".")  # partial downloads
            ]
        files = self.resolve_files()
        return [
            tabular.Source(f"{store.name}/{rel}", path, _store_opener(store, rel))
            for (store, rel), path in zip(files, self._layout(files), strict=True)
        ]

    def _table(self) -> tabular.Table:
        assert self._options is not None
        table = tabular.read_table(self._sources(), self._options)
        columns, records = table.columns, table.records
        for step in self._transformations:
            op = step["op"]
            if op in ("take", "skip"):
                n = step["count"]
                records = records[:n] if op == "take" else records[n:]
                continue
            unknown = [c for c in step["columns"] if c not in columns]
            if unknown:
                raise DatasetError(
                    f"{op}: no column(s) {unknown}{did_you_mean(unknown[0], columns)}; "
                    f"columns: {columns}"
                )
            keep = op == "keep_columns"
            columns = [c for c in columns if (c in step["columns"]) == keep]
            records = [{c: r.get(c) for c in columns} for r in records]
        return tabular.Table(columns, records)

    def to_records(self) -> list[dict[str, Any]]:
        """The rows as dicts (standard library only; no pandas needed)."""
        return self._table().records

    def to_pandas_dataframe(self, on_error: str = "fail", **_v1_arguments: Any) -> Any:
        """The table as a pandas DataFrame (``pip install jupyter_pipelines[tabular]``).
        A value that does not parse always raises DatasetError naming file, line, column."""
        return tabular.to_dataframe(self._table())

    @property
    def columns(self) -> list[str]:
        """The table's column names."""
        return self._table().columns

    def take(self, count: int) -> TabularDataset:
        return self._with(op="take", count=_count(count))

    def skip(self, count: int) -> TabularDataset:
        return self._with(op="skip", count=_count(count))

    def keep_columns(self, columns: str | list[str], validate: bool = False) -> TabularDataset:
        return self._with(op="keep_columns", columns=_names(columns))

    def drop_columns(self, columns: str | list[str]) -> TabularDataset:
        return self._with(op="drop_columns", columns=_names(columns))


# -- helpers -------------------------------------------------------------------------------------
def _from_record(workspace: Workspace, record: registry.DatasetRecord) -> AbstractDataset:
    dataset = AbstractDataset.from_definition(workspace, record.definition)
    dataset.name, dataset.version = record.name, record.version
    dataset.description, dataset.tags = record.description, dict(record.tags)
    dataset._pinned = (record.content_hash, dict(record.files))
    return dataset


def _rebind(dataset: AbstractDataset, workspace: Workspace) -> AbstractDataset:
    return AbstractDataset.from_definition(workspace, dataset.to_definition())


def _restore(workspace_dir: str, definition: dict[str, Any], state: tuple[Any, ...]) -> Any:
    from .workspace import Workspace

    dataset = AbstractDataset.from_definition(Workspace(workspace_dir), definition)
    dataset.name, dataset.version, dataset.description, dataset.tags, dataset._pinned = state
    return dataset


def _version_number(name: str, version: int | str | None) -> int | None:
    if version is None or version == "latest":
        return None
    if isinstance(version, int) or (isinstance(version, str) and version.isdigit()):
        return int(version)
    raise DatasetError(f"dataset {name!r}: version must be a number or 'latest', got {version!r}")


def _check_step(step: Any) -> dict[str, Any]:
    op = step.get("op") if isinstance(step, dict) else None
    if op in ("take", "skip") and isinstance(step.get("count"), int):
        return {"op": op, "count": step["count"]}
    if op in ("keep_columns", "drop_columns") and isinstance(step.get("columns"), list):
        return {"op": op, "columns": [str(c) for c in step["columns"]]}
    raise DatasetError(f"unknown dataset transformation {step!r}")


def _opener(path: Path) -> Callable[[], IO[bytes]]:
    return lambda: open(path, "rb")


def _store_opener(store: Datastore, rel: str) -> Callable[[], IO[bytes]]:
    return lambda: store.open(rel, "rb")


def _count(count: Any) -> int:
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise DatasetError(f"count must be a non-negative integer, got {count!r}")
    return count


def _names(columns: str | list[str]) -> list[str]:
    return [columns] if isinstance(columns, str) else [str(c) for c in columns]
