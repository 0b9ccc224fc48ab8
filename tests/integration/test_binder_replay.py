"""Binder, replayed: the demos install, launch and run as they would on mybinder.org.

What Binder does (see tests/integration/binder_support.py) is replayed once for the module:
a fresh clone of the last commit (binder/ and the demos from the working tree), a fresh venv
with ``binder/requirements.txt`` installed by pip, ``binder/postBuild`` run in the clone, and
JupyterLab started by ``binder/start`` in the clone's root. Then:

- Chromium opens the README's launch link (its ``urlpath``) and the server's default page:
  both show the visual editor demo's pipeline in the editor;
- every demo notebook in examples/demos runs top to bottom with papermill, in under a minute
  each, with no error, on one CPU (Binder gives about one): the server and the notebooks are
  pinned to one with ``taskset`` where it is there;
  the visual editor demo's pipeline runs from the command line;
- the runs of all demos are the runs the server lists (the Pipelines sidebar's).

Two quick checks need no replay: binder/requirements.txt lists pyproject's dependencies,
and the prebuilt front end in binder/labextension was built from the current sources.

The replay takes about two minutes here (a venv install with pip's cache, about 70 s); it is
skipped only when PyPI cannot be reached.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import time
from collections.abc import Iterator
from typing import Any

import pytest

from jupyter_pipelines import Workspace
from tests.integration.binder_support import (
    BINDER,
    DEMOS,
    LAUNCH_LINK,
    REPO_ROOT,
    BinderError,
    BinderLab,
    Offline,
    build_image,
    notebook_problems,
    start_lab,
    stop_processes_of,
)
from tests.integration.support import Project

pytestmark = [pytest.mark.integration, pytest.mark.timeout(1200)]

DEMO_NOTEBOOKS = sorted(p.name for p in DEMOS.glob("*.ipynb"))
EDITOR_DEMO = "3-visual-editor.pipeline.yaml"
GUIDE = "3-visual-editor.md"
#: Binder's CPU quota is about one CPU: the demos must run in under a minute on one.
DEMO_LIMIT_S = 60
ARTIFACTS = REPO_ROOT / "test-artifacts" / "binder"


# -- quick checks ------------------------------------------------------------------------------
def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def requirement_sections() -> list[list[str]]:
    """binder/requirements.txt's requirements, in the sections its blank lines separate."""
    sections: list[list[str]] = [[]]
    for line in (BINDER / "requirements.txt").read_text().splitlines():
        text = line.split("#", 1)[0].strip()
        if not line.strip():
            if sections[-1]:
                sections.append([])
        elif text:
            sections[-1].append(text)
    return [s for s in sections if s]


def test_binder_requirements_are_pyproject_dependencies_build_backend_and_demo_imports() -> None:
    tomllib = pytest.importorskip("tomllib", reason="reading pyproject.toml needs Python 3.11+")
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    dependencies = [d.split("#")[0].strip() for d in pyproject["project"]["dependencies"]]
    sections = requirement_sections()
    assert len(sections) == 3, f"binder/requirements.txt should have 3 sections: {sections}"
    ours, backend, demos = sections
    assert sorted(ours) == sorted(dependencies), (
        "binder/requirements.txt's first section must be pyproject.toml's dependencies: "
        f"missing {sorted(set(dependencies) - set(ours))}, "
        f"extra {sorted(set(ours) - set(dependencies))}"
    )
    build = [r for r in pyproject["build-system"]["requires"] if r not in dependencies]
    assert sorted(backend) == sorted(build), "the second section: the build backend"
    sources = "\n".join(p.read_text() for p in DEMOS.rglob("*") if p.suffix in (".ipynb", ".py"))
    for extra in demos:
        name = _name(extra).replace("-", "_")
        assert re.search(rf"\bimport {name}\b", sources), f"no demo imports {extra!r}"


def _builder() -> Any:
    spec = importlib.util.spec_from_file_location(
        "build_labextension", REPO_ROOT / "scripts" / "build_labextension.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_binder_labextension_was_built_from_the_current_sources() -> None:
    builder = _builder()
    bundle = BINDER / "labextension"
    recorded = builder.built_from(bundle)
    assert recorded, f"{bundle} holds no prebuilt front end: run `make binder`"
    assert recorded == builder.source_hash(), (
        "binder/labextension is stale: labextension/ changed since it was built. Run "
        "`make binder` and commit binder/labextension (Binder has no Node.js to build it)"
    )


def test_readme_launch_link_and_default_page_open_the_editor_demo() -> None:
    links = LAUNCH_LINK.findall((REPO_ROOT / "README.md").read_text())
    assert links, "README.md has no mybinder.org launch link with a urlpath"
    assert set(links) == {f"lab/tree/examples/demos/{EDITOR_DEMO}"}, links
    assert (DEMOS / EDITOR_DEMO).is_file()
    assert (DEMOS / GUIDE).is_file(), "its guide"
    assert f"/lab/tree/{links[0].split('lab/tree/', 1)[1]}" in (BINDER / "postBuild").read_text()


# -- the replay ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def binder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BinderLab]:
    """The replayed Binder image with its JupyterLab running (module-wide: a venv install)."""
    base = tmp_path_factory.mktemp("binder")
    try:
        image = build_image(base)
    except Offline as exc:
        pytest.skip(f"the Binder replay installs from PyPI as Binder does: {exc}")
    except BinderError as exc:
        pytest.fail(str(exc))
    try:
        lab = start_lab(image, prefix=_one_cpu())
    except BinderError as exc:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copy2(image.home / "jupyterlab.log", ARTIFACTS / "jupyterlab.log")
        pytest.fail(str(exc))
    print("\n".join(image.timings))
    try:
        yield lab
    finally:
        try:
            if (image.root / ".pipelines").is_dir():
                Project(root=image.root, ws=Workspace.at(image.root)).stop_everything()
        finally:
            lab.stop()
            stop_processes_of(image.venv)
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            (ARTIFACTS / "jupyterlab.log").write_text(lab.log_tail(200_000))


def _one_cpu() -> list[str]:
    """``taskset -c N`` (one CPU this process may use) where taskset is there, else []."""
    taskset = shutil.which("taskset")
    return [taskset, "-c", str(min(os.sched_getaffinity(0)))] if taskset else []


def _chromium_missing() -> str | None:
    from tests.browser.support import CHROMIUM

    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (run `make browser`)"
    if importlib.util.find_spec("playwright") is None:
        return "the playwright Python package is not installed"
    return None


@pytest.mark.browser
def test_binder_launch_opens_the_visual_editor_demo(binder: BinderLab) -> None:
    reason = _chromium_missing()
    if reason:
        pytest.skip(f"the launch is checked in Chromium: {reason}")
    from playwright.sync_api import expect

    from tests.browser.support import ConsoleLog, chromium

    (link,) = set(LAUNCH_LINK.findall((REPO_ROOT / "README.md").read_text()))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pages = {"launch-link": f"/{link}", "default-page": "/"}
    with chromium() as browser:
        for name, path in pages.items():
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            page = context.new_page()
            console = ConsoleLog()
            console.attach(page)
            try:
                page.goto(f"{binder.url}{path}?token={binder.token}", timeout=90_000)
                editor = page.locator(".jp-PipelineEditor").first
                expect(editor, f"{name}: no pipeline editor").to_be_visible(timeout=90_000)
                for step in ("weather", "summarize", "report"):
                    node = editor.locator(f'[data-testid="step-node"][data-step="{step}"]')
                    expect(node, f"{name}: no node {step!r}").to_be_visible(timeout=30_000)
                tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current")
                expect(tab).to_contain_text(EDITOR_DEMO)
                # The file browser shows the demos' folder, the guide beside the pipeline.
                guide = page.locator(".jp-DirListing-itemText", has_text=GUIDE)
                expect(guide, f"{name}: the guide is not in the file browser").to_be_visible()
                page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
            finally:
                context.close()
            assert not console.ours(), f"{name}: errors from our extension: {console.ours()}"


@pytest.mark.parametrize("notebook", DEMO_NOTEBOOKS)
def test_demo_notebook_runs_headless_in_under_a_minute(binder: BinderLab, notebook: str) -> None:
    demos = binder.image.root / "examples" / "demos"
    executed = binder.image.home / "executed" / notebook
    executed.parent.mkdir(parents=True, exist_ok=True)
    argv = [*_one_cpu(), "papermill", "--cwd", str(demos), notebook, str(executed)]
    started = time.monotonic()
    try:
        binder.image.run(argv, f"papermill {notebook}", cwd=demos, timeout=300)
    except BinderError as exc:
        problems = notebook_problems(executed) if executed.exists() else []
        pytest.fail(f"{exc}\n" + "\n".join(problems))
    elapsed = time.monotonic() - started
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy2(executed, ARTIFACTS / notebook)
    assert notebook_problems(executed) == []
    print(f"{notebook}: {elapsed:.1f} s")
    assert elapsed < DEMO_LIMIT_S, f"{notebook} took {elapsed:.0f} s on one CPU"


def test_editor_demo_pipeline_runs_from_the_command_line(binder: BinderLab) -> None:
    demos = binder.image.root / "examples" / "demos"
    started = time.monotonic()
    argv = [*_one_cpu(), "jupyter-pipelines", "run", EDITOR_DEMO, "-p", "days=30"]
    binder.image.run(argv, f"jupyter-pipelines run {EDITOR_DEMO}", cwd=demos, timeout=300)
    elapsed = time.monotonic() - started
    print(f"{EDITOR_DEMO}: {elapsed:.1f} s")
    assert elapsed < DEMO_LIMIT_S


def test_the_demos_runs_are_the_servers_runs(binder: BinderLab) -> None:
    """The sidebar lists what the demos ran: they and the server share one workspace."""
    runs = binder.get("/jupyter-pipelines/api/runs?limit=500")["runs"]
    experiments = {r["experiment"] for r in runs}
    expected = {"tour", "notebook", "weather-rest", "weather-scheduled"}
    missing = expected - experiments
    assert not missing, (
        f"the server does not list the runs of {missing}: {experiments} (this test checks "
        "what the demo notebook tests above ran: run the whole module)"
    )
    assert all(r["status"] == "Finished" for r in runs), [(r["id"], r["status"]) for r in runs]
