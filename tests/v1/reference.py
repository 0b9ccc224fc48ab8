"""The v1 SDK as a test-time reference: its wheels, read with ``ast``, never imported.

The Azure ML SDK v1 packages are downloaded from PyPI without their dependencies (pinned
versions, cached between runs), opened as zip files and parsed; this module turns them into
a table of classes, their public members (inherited ones included) and the signatures of
those members. It is the source of facts for tests/v1/test_signatures.py and for
``python tests/v1/reference.py``, which prints how much of the v1 surface we cover.
"""

from __future__ import annotations

import ast
import inspect
import os
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

#: The v1 wheels read, pinned so that the reference does not move under the tests.
WHEELS = {
    "azureml-core": "1.61.0.post4",
    "azureml-pipeline-core": "1.62.0",
    "azureml-pipeline-steps": "1.62.0",
    "azureml-contrib-notebook": "1.62.0",
    "azureml-widgets": "1.62.0",
}

#: The v1 classes a pipeline user touches: v1 dotted path -> our public name.
CLASSES: dict[str, str] = {
    # azureml-core
    "azureml.core.workspace.Workspace": "Workspace",
    "azureml.core.experiment.Experiment": "Experiment",
    "azureml.core.run.Run": "Run",
    "azureml.core.datastore.Datastore": "Datastore",
    "azureml.data.azure_storage_datastore.AzureBlobDatastore": "AzureBlobDatastore",
    "azureml.core.dataset.Dataset": "Dataset",
    "azureml.data.dataset_factory.FileDatasetFactory": "FileDatasetFactory",
    "azureml.data.dataset_factory.TabularDatasetFactory": "TabularDatasetFactory",
    "azureml.data.file_dataset.FileDataset": "FileDataset",
    "azureml.data.tabular_dataset.TabularDataset": "TabularDataset",
    "azureml.data.dataset_consumption_config.DatasetConsumptionConfig": (
        "DatasetConsumptionConfig"
    ),
    "azureml.data.output_dataset_config.OutputDatasetConfig": "OutputDatasetConfig",
    "azureml.data.output_dataset_config.OutputFileDatasetConfig": "OutputFileDatasetConfig",
    "azureml.data.output_dataset_config.OutputTabularDatasetConfig": ("OutputTabularDatasetConfig"),
    "azureml.data.data_reference.DataReference": "DataReference",
    "azureml.data.datapath.DataPath": "DataPath",
    "azureml.data.datapath.DataPathComputeBinding": "DataPathComputeBinding",
    "azureml.core.environment.Environment": "Environment",
    "azureml.core.runconfig.RunConfiguration": "RunConfiguration",
    "azureml.core.runconfig.DockerConfiguration": "DockerConfiguration",
    "azureml.core.conda_dependencies.CondaDependencies": "CondaDependencies",
    "azureml.core.compute.compute.ComputeTarget": "ComputeTarget",
    "azureml.core.compute.amlcompute.AmlCompute": "AmlCompute",
    "azureml.core.model.Model": "Model",
    "azureml.core.authentication.InteractiveLoginAuthentication": (
        "InteractiveLoginAuthentication"
    ),
    "azureml.core.authentication.ServicePrincipalAuthentication": (
        "ServicePrincipalAuthentication"
    ),
    "azureml.core.authentication.MsiAuthentication": "MsiAuthentication",
    # azureml-pipeline-core
    "azureml.pipeline.core.pipeline.Pipeline": "Pipeline",
    "azureml.pipeline.core.builder.PipelineData": "PipelineData",
    "azureml.pipeline.core.builder.StepSequence": "StepSequence",
    "azureml.pipeline.core.graph.PipelineParameter": "PipelineParameter",
    "azureml.pipeline.core.graph.InputPortBinding": "InputPortBinding",
    "azureml.pipeline.core.graph.TrainingOutput": "TrainingOutput",
    "azureml.pipeline.core.graph.PortDataReference": "PortDataReference",
    "azureml.pipeline.core.run.PipelineRun": "PipelineRun",
    "azureml.pipeline.core.run.StepRun": "StepRun",
    "azureml.pipeline.core.run.StepRunOutput": "StepRunOutput",
    "azureml.pipeline.core.graph.PublishedPipeline": "PublishedPipeline",
    "azureml.pipeline.core.pipeline_endpoint.PipelineEndpoint": "PipelineEndpoint",
    "azureml.pipeline.core.schedule.Schedule": "Schedule",
    "azureml.pipeline.core.schedule.ScheduleRecurrence": "ScheduleRecurrence",
    "azureml.pipeline.core.pipeline_draft.PipelineDraft": "PipelineDraft",
    # azureml-pipeline-steps
    "azureml.pipeline.steps.python_script_step.PythonScriptStep": "PythonScriptStep",
    "azureml.pipeline.steps.command_step.CommandStep": "CommandStep",
    "azureml.pipeline.steps.parallel_run_step.ParallelRunStep": "ParallelRunStep",
    "azureml.pipeline.steps.parallel_run_config.ParallelRunConfig": "ParallelRunConfig",
    "azureml.pipeline.steps.data_transfer_step.DataTransferStep": "DataTransferStep",
    # azureml-contrib-notebook
    "azureml.contrib.notebook._notebook_runner_step.NotebookRunnerStep": "NotebookRunnerStep",
    "azureml.contrib.notebook._notebook_run_config.NotebookRunConfig": "NotebookRunConfig",
    "azureml.contrib.notebook._azureml_handler.AzureMLNotebookHandler": ("AzureMLNotebookHandler"),
    # azureml-widgets
    "azureml.widgets.run_details.RunDetails": "RunDetails",
}

#: Bases whose members are not the pipeline user's business: the Python object model, and
#: the cloud SDK's logging identity (``ChainedIdentity``: ``identity``, ``DELIM``, ...).
_IGNORED_BASES = {"object", "ABC", "Enum", "dict", "Exception", "ChainedIdentity"}

#: Mixins whose upper-case constants are URL templates of the Azure portal, not API.
_PORTAL_MIXINS = {"HasWorkspacePortal", "HasExperimentPortal", "HasRunPortal", "HasPipelinePortal"}


def cache_dir() -> Path:
    """Where the wheels are kept between runs."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "jupyter_pipelines" / "v1-wheels"


def download_wheels(folder: Path | None = None) -> list[Path]:
    """The pinned v1 wheels, downloaded without dependencies once; raises OSError offline."""
    folder = folder or cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    wanted = {name.replace("-", "_"): f"{name}=={ver}" for name, ver in WHEELS.items()}
    have = {p.name.split("-")[0]: p for p in folder.glob("*.whl")}
    missing = [req for key, req in wanted.items() if key not in have]
    if missing:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--only-binary=:all:",
                "--disable-pip-version-check",
                "-q",
                "-d",
                str(folder),
                *missing,
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if proc.returncode != 0:
            raise OSError(f"pip download {' '.join(missing)} failed: {proc.stderr[-400:]}")
    paths = [p for p in folder.glob("*.whl") if p.name.split("-")[0] in wanted]
    return sorted(paths)


@dataclass
class Param:
    """One parameter of a v1 function."""

    name: str
    kind: str  # "positional", "keyword", "var_positional", "var_keyword"
    default: str | None  # source text of the default; None when there is none

    def default_value(self) -> tuple[bool, Any]:
        """(True, value) when the default is a literal; (False, None) otherwise."""
        if self.default is None:
            return False, None
        try:
            return True, ast.literal_eval(self.default)
        except (ValueError, SyntaxError):
            return False, None


@dataclass
class Member:
    """A public member of a v1 class: a method, property or class attribute."""

    name: str
    kind: str  # "method", "classmethod", "staticmethod", "property", "attribute"
    owner: str  # the class that defines it
    params: list[Param] = field(default_factory=list)

    @property
    def callable(self) -> bool:
        return self.kind in ("method", "classmethod", "staticmethod", "constructor")


class WheelIndex:
    """The modules of a set of wheels, parsed; classes looked up by dotted path."""

    def __init__(self, wheels: list[Path]) -> None:
        self._sources: dict[str, str] = {}
        self.packages: set[str] = set()
        for wheel in wheels:
            with zipfile.ZipFile(wheel) as zf:
                for name in zf.namelist():
                    if name.endswith(".py") and name.startswith("azureml/"):
                        module = name[:-3].replace("/", ".").removesuffix(".__init__")
                        if name.endswith("/__init__.py"):
                            self.packages.add(module)
                        self._sources[module] = zf.read(name).decode("utf-8", "replace")
        self._trees: dict[str, ast.Module] = {}

    def tree(self, module: str) -> ast.Module | None:
        if module not in self._sources:
            return None
        if module not in self._trees:
            self._trees[module] = ast.parse(self._sources[module])
        return self._trees[module]

    def resolve(self, module: str, name: str, depth: int = 0) -> tuple[str, ast.ClassDef] | None:
        """The class ``name`` as seen from ``module`` (following imports and aliases)."""
        tree = self.tree(module)
        if tree is None or depth > 8:
            return None
        if "." in name:  # module.Class
            head, _, rest = name.partition(".")
            target = self._import_target(module, tree, head)
            if target is not None:
                return self.resolve(target, rest, depth + 1)
            return None
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and node.name == name:
                return module, node
        for node in tree.body:
            if isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    if (alias.asname or alias.name) == name:
                        source = self.absolute(module, node.module, node.level)
                        found = self.resolve(source, alias.name, depth + 1)
                        if found is None and f"{source}.{alias.name}" in self._sources:
                            return None
                        return found
        return None

    def _import_target(self, module: str, tree: ast.Module, head: str) -> str | None:
        for node in tree.body:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if (alias.asname or alias.name.split(".")[0]) == head:
                        return alias.name
            if isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    if (alias.asname or alias.name) == head:
                        return f"{self.absolute(module, node.module, node.level)}.{alias.name}"
        return None

    def absolute(self, module: str, target: str | None, level: int) -> str:
        """The absolute name of ``from {'.' * level}{target} import ...`` inside ``module``."""
        if level == 0:
            return target or ""
        parts = module.split(".")
        # Inside a package's __init__, "." is the package itself.
        keep = len(parts) - level + (1 if module in self.packages else 0)
        base = parts[:keep]
        return ".".join([*base, target] if target else base)

    def class_members(self, dotted: str) -> dict[str, Member]:
        """Public members of the class at ``dotted`` path, its bases' included (MRO order)."""
        module, _, name = dotted.rpartition(".")
        found = self.resolve(module, name)
        if found is None:
            raise KeyError(f"v1 class {dotted} not found in the wheels")
        return self._members(*found, seen=set())

    def _members(self, module: str, cls: ast.ClassDef, seen: set[str]) -> dict[str, Member]:
        key = f"{module}.{cls.name}"
        if key in seen:
            return {}
        seen.add(key)
        members: dict[str, Member] = {}
        for base in reversed(cls.bases):
            base_name = ast.unparse(base)
            if base_name.split(".")[-1] in _IGNORED_BASES:
                continue
            found = self.resolve(module, base_name)
            if found is not None:
                members.update(self._members(*found, seen=seen))
        for node in cls.body:
            own = _own_members(cls.name, node)
            if cls.name in _PORTAL_MIXINS:
                own = {k: m for k, m in own.items() if not k.isupper()}
            members.update(own)
        return members


def _own_members(owner: str, node: ast.stmt) -> dict[str, Member]:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        decorators = {ast.unparse(d).split("(")[0].split(".")[-1] for d in node.decorator_list}
        if node.name == "__init__":
            return {"__init__": Member("__init__", "constructor", owner, _params(node, True))}
        if node.name.startswith("_"):
            return {}
        if "setter" in decorators or "deleter" in decorators:
            return {}
        if "property" in decorators or "cached_property" in decorators:
            return {node.name: Member(node.name, "property", owner)}
        if "staticmethod" in decorators:
            return {node.name: Member(node.name, "staticmethod", owner, _params(node, False))}
        kind = "classmethod" if "classmethod" in decorators else "method"
        return {node.name: Member(node.name, kind, owner, _params(node, True))}
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        out = {}
        for target in targets:
            if isinstance(target, ast.Name) and not target.id.startswith("_"):
                out[target.id] = Member(target.id, "attribute", owner)
        return out
    return {}


def _params(fn: ast.FunctionDef | ast.AsyncFunctionDef, drop_first: bool) -> list[Param]:
    args = fn.args
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
    defaults += list(args.defaults)
    out = [
        Param(a.arg, "positional", ast.unparse(d) if d is not None else None)
        for a, d in zip(positional, defaults, strict=True)
    ]
    if drop_first and out:
        out = out[1:]
    if args.vararg:
        out.append(Param(args.vararg.arg, "var_positional", None))
    for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        out.append(Param(a.arg, "keyword", ast.unparse(d) if d is not None else None))
    if args.kwarg:
        out.append(Param(args.kwarg.arg, "var_keyword", None))
    return out


class Reference:
    """The v1 surface in scope: class path -> its members."""

    def __init__(self, wheels: list[Path]) -> None:
        self.index = WheelIndex(wheels)

    @cached_property
    def classes(self) -> dict[str, dict[str, Member]]:
        return {dotted: self.index.class_members(dotted) for dotted in CLASSES}


# -- comparing with ours ------------------------------------------------------------------


@dataclass
class Mismatch:
    """A member whose signature disagrees with v1's."""

    cls: str
    member: str
    problem: str

    def __str__(self) -> str:
        return f"{self.cls}.{self.member}: {self.problem}"


def ours(public_name: str) -> Any | None:
    """Our class exported under ``public_name`` (None when we do not have it)."""
    import jupyter_pipelines

    try:
        return getattr(jupyter_pipelines, public_name)
    except AttributeError:
        return None


def our_member(cls: Any, member: Member) -> Any:
    """Our counterpart of ``member`` on ``cls`` (raw, from the class dict when possible)."""
    if member.name == "__init__":
        return cls.__init__
    for klass in inspect.getmro(cls):
        if member.name in vars(klass):
            return vars(klass)[member.name]
    return getattr(cls, member.name)


def has_member(cls: Any, member: Member) -> bool:
    if member.name == "__init__":
        return True
    try:
        return any(member.name in vars(k) for k in inspect.getmro(cls)) or hasattr(cls, member.name)
    except Exception:
        return False


def compare(cls: Any, member: Member) -> str | None:
    """Why our ``member`` does not accept v1's call, or None when it does."""
    raw = our_member(cls, member)
    if isinstance(raw, (staticmethod, classmethod)):
        raw = raw.__func__
    if isinstance(raw, property) or not callable(raw):
        return None
    try:
        sig = inspect.signature(raw)
    except (TypeError, ValueError):
        return None
    mine = list(sig.parameters.values())
    # Ours binds self or cls unless it is a staticmethod, whatever v1's member is.
    if mine and not isinstance(our_member(cls, member), staticmethod):
        mine = mine[1:]
    return _compare_params(member.params, mine)


def _compare_params(theirs: list[Param], mine: list[inspect.Parameter]) -> str | None:
    P = inspect.Parameter
    mine_positional = [p for p in mine if p.kind in (P.POSITIONAL_ONLY, P.POSITIONAL_OR_KEYWORD)]
    by_name = {p.name: p for p in mine}
    var_kw = any(p.kind == P.VAR_KEYWORD for p in mine)
    var_pos = any(p.kind == P.VAR_POSITIONAL for p in mine)
    problems = []
    # v1's private parameters (``_location``) are not for users: positions are compared up
    # to the first of them; the public parameters after it need only exist by name.
    positional = [p for p in theirs if p.kind == "positional"]
    cut = next((i for i, p in enumerate(positional) if p.name.startswith("_")), len(positional))
    for i, param in enumerate(positional[:cut]):
        if i >= len(mine_positional):
            if param.name in by_name and by_name[param.name].kind == P.KEYWORD_ONLY:
                problems.append(f"{param.name!r} is keyword-only here, positional {i} in v1")
            elif not var_pos:
                problems.append(f"lacks positional parameter {i} {param.name!r}")
            continue
        mp = mine_positional[i]
        if mp.name != param.name:
            problems.append(f"parameter {i} is {mp.name!r}, v1 has {param.name!r}")
            continue
        problems += _compare_default(param, mp)
    for param in positional[cut:]:
        if param.name.startswith("_"):
            continue
        if param.name in by_name:
            problems += _compare_default(param, by_name[param.name])
        elif not var_kw:
            problems.append(f"lacks parameter {param.name!r}")
    for param in theirs:
        if param.kind == "keyword":
            mp = by_name.get(param.name)
            if mp is None:
                if not var_kw:
                    problems.append(f"lacks keyword parameter {param.name!r}")
            else:
                problems += _compare_default(param, mp)
        elif param.kind == "var_keyword" and not var_kw:
            problems.append("lacks **kwargs")
        elif param.kind == "var_positional" and not var_pos:
            problems.append("lacks *args")
    # Our extra required parameters break v1 calls.
    v1_names = {p.name for p in theirs}
    for mp in mine:
        required = mp.default is P.empty and mp.kind in (
            P.POSITIONAL_ONLY,
            P.POSITIONAL_OR_KEYWORD,
            P.KEYWORD_ONLY,
        )
        if required and mp.name not in v1_names:
            problems.append(f"requires {mp.name!r}, which v1 does not have")
    return "; ".join(problems) or None


def _compare_default(param: Param, mp: inspect.Parameter) -> list[str]:
    P = inspect.Parameter
    if param.default is None:
        return []
    if mp.default is P.empty:
        return [f"{param.name!r} has no default, v1's is {param.default}"]
    literal, value = param.default_value()
    if not literal:
        return []
    if value != mp.default or type(value) is not type(mp.default):
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value == mp.default:
            return []
        return [f"{param.name!r} defaults to {mp.default!r}, v1's is {param.default}"]
    return []


@dataclass
class Figures:
    """How much of the v1 surface we cover."""

    classes: int = 0
    classes_present: int = 0
    members: int = 0
    members_present: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)
    missing_classes: list[str] = field(default_factory=list)
    missing_members: dict[str, list[str]] = field(default_factory=dict)


def measure(reference: Reference) -> Figures:
    """Compare every in-scope v1 class and member with ours."""
    figures = Figures()
    for dotted, members in reference.classes.items():
        public = CLASSES[dotted]
        figures.classes += 1
        figures.members += len(members)
        cls = ours(public)
        if cls is None:
            figures.missing_classes.append(public)
            continue
        figures.classes_present += 1
        for member in members.values():
            if not has_member(cls, member):
                figures.missing_members.setdefault(public, []).append(member.name)
                continue
            figures.members_present += 1
            if member.callable:
                problem = compare(cls, member)
                if problem:
                    figures.mismatches.append(Mismatch(public, member.name, problem))
    return figures


#: Classes or members not built yet, and the issue that builds them.
PLANNED: dict[str, str] = {
    "PublishedPipeline": "publishing (issue 13)",
    "PipelineEndpoint": "publishing (issue 13)",
    "Schedule": "schedules (issue 13)",
    "ScheduleRecurrence": "schedules (issue 13)",
    "ParallelRunStep": "batch scoring (issue 14)",
    "ParallelRunConfig": "batch scoring (issue 14)",
    "DataTransferStep": "batch scoring (issue 14)",
    "AzureBlobDatastore": "Azure Blob datastores (issue 18)",
    "Pipeline.publish": "publishing (issue 13)",
    "PipelineRun.publish_pipeline": "publishing (issue 13)",
    "Datastore.register_azure_data_lake_gen2": "Azure datastores (issue 18)",
}


def status_of(cls: Any, member: Member) -> tuple[str, str]:
    """(status, note) of one v1 member: works, cloud-only, refused, differs or missing."""
    from jupyter_pipelines.compat import marking

    if cls is None or not has_member(cls, member):
        return "missing", ""
    mark = marking(our_member(cls, member))
    problem = compare(cls, member) if member.callable else None
    if problem:
        return "differs", problem
    if mark is not None:
        return mark
    return "works", ""


def _signature(member: Member) -> str:
    def one(p: Param) -> str:
        star = {"var_positional": "*", "var_keyword": "**"}.get(p.kind, "")
        return f"{star}{p.name}" + (f"={p.default}" if p.default is not None else "")

    shown = [one(p) for p in member.params if not p.name.startswith("_")]
    return f"({', '.join(shown)})"


def render_table(reference: Reference) -> str:
    """docs/v1-compatibility.md: every in-scope v1 class and member, with its status here."""
    figures = measure(reference)
    counts: dict[str, int] = {}
    sections = []
    for dotted, members in reference.classes.items():
        public = CLASSES[dotted]
        cls = ours(public)
        planned = PLANNED.get(public, "")
        head = f"## `{public}`\n\nv1: `{dotted}`"
        head += f"; not built yet: {planned}" if cls is None and planned else ""
        rows = ["| member | kind | status | notes |", "|---|---|---|---|"]
        for member in sorted(members.values(), key=lambda m: (m.name != "__init__", m.name)):
            status, note = status_of(cls, member)
            if status == "missing":
                note = PLANNED.get(f"{public}.{member.name}", planned)
            counts[status] = counts.get(status, 0) + 1
            name = public if member.name == "__init__" else member.name
            shown = name + (_signature(member) if member.callable else "")
            note = note.replace("|", "\\|").replace("\n", " ")
            rows.append(f"| `{shown}` | {member.kind} | {status} | {note} |")
        sections.append(head + "\n\n" + "\n".join(rows))
    pct = 100 * figures.members_present / max(figures.members, 1)
    summary = [
        f"- classes: {figures.classes_present} of {figures.classes} present",
        f"- members: {figures.members_present} of {figures.members} present ({pct:.0f}%)",
        "- by status: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())),
        f"- signature mismatches: {len(figures.mismatches)}",
    ]
    wheels = ", ".join(f"{n} {v}" for n, v in WHEELS.items())
    return (
        "# v1 compatibility\n\n"
        "<!-- Generated by `python tests/v1/reference.py --write`; "
        "tests/v1/test_compatibility.py checks that it is current. Do not edit by hand. -->\n\n"
        "Which members of the Azure ML SDK v1 classes that a pipeline user touches work here, "
        f"read from the v1 wheels themselves ({wheels}). Statuses:\n\n"
        "- **works**: does what v1 does, locally; accepts v1's parameter names, order and "
        "defaults.\n"
        "- **cloud-only**: accepted with v1's signature; its cloud part is ignored (the note "
        "says why), with a `V1CompatibilityWarning` on first use.\n"
        "- **refused**: raises `NotSupportedError`; the note names the local alternative.\n"
        "- **differs**: present, but its signature disagrees with v1's (the note says how).\n"
        "- **missing**: not provided yet (the note names the issue that will, if any).\n\n"
        "Inherited members are listed under each class. Private members, the cloud SDK's "
        "logging identity (`ChainedIdentity`) and the portal's URL templates are left out.\n\n"
        "## Summary\n\n" + "\n".join(summary) + "\n\n" + "\n\n".join(sections) + "\n"
    )


TABLE_PATH = Path(__file__).resolve().parents[2] / "docs" / "v1-compatibility.md"


def main() -> None:
    """Print the coverage figures (``python tests/v1/reference.py [-v] [--write]``)."""
    verbose = "-v" in sys.argv
    reference = Reference(download_wheels())
    if "--write" in sys.argv:
        TABLE_PATH.write_text(render_table(reference))
        print(f"wrote {TABLE_PATH}")
    figures = measure(reference)
    print(f"classes: {figures.classes_present} of {figures.classes}")
    pct = 100 * figures.members_present / max(figures.members, 1)
    print(f"members: {figures.members_present} of {figures.members} ({pct:.0f}%)")
    print(f"signature mismatches: {len(figures.mismatches)}")
    if figures.missing_classes:
        print("missing classes:", ", ".join(figures.missing_classes))
    for m in figures.mismatches:
        print("  mismatch:", m)
    if verbose:
        for cls, names in figures.missing_members.items():
            print(f"  missing in {cls} ({len(names)}): {', '.join(names)}")


if __name__ == "__main__":
    main()
