"""Datasets as steps see them: one file as that file's path, folders as folders, datasets
made from local paths and from http(s) URLs served by a real HTTP server, reuse decided by
their content (or the server's ETag), and ``Dataset.get_by_id`` for what a run used."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from jupyter_pipelines import Dataset, NotebookStep, Pipeline, PythonScriptStep
from jupyter_pipelines.stores import status as st
from tests.integration.support import Project

pytestmark = pytest.mark.integration

SHOW = """\
    import os, sys
    from jupyter_pipelines import Run
    seen = Run.get_context().input_datasets
    for arg in sys.argv[1:]:
        kind = "file" if os.path.isfile(arg) else "folder" if os.path.isdir(arg) else "missing"
        print("arg", kind, os.path.basename(arg))
        if kind == "file":
            print("content", open(arg).read().replace("\\n", "|"))
    for name in sorted(seen):
        value = seen[name]
        kind = "file" if os.path.isfile(value) else "folder"
        print("input", name, kind, os.path.basename(value))
    for item in Run.get_context().get_details()["inputDatasets"]:
        how = item["consumptionDetails"]
        print("mechanism", how["inputName"], how["mechanism"])
    """


def run_ok(project: Project, pipeline: Pipeline) -> Any:
    run = project.experiment("sources").submit(pipeline)
    status = run.wait_for_completion(show_output=False, raise_on_error=False)
    assert status == st.FINISHED, [(s.name, s.error) for s in run.get_steps()]
    return run


def stdout(run: Any, step: str) -> str:
    return str(run.get_step_run(step).get_logs()["stdout"])


def data(project: Project) -> Any:
    """The default datastore with ``iris/iris.csv`` and ``iris/more.csv`` uploaded."""
    store = project.ws.get_default_datastore()
    folder = project.root / "upload" / "iris"
    folder.mkdir(parents=True)
    (folder / "iris.csv").write_text("a,b\n1,2\n")
    (folder / "more.csv").write_text("a,b\n3,4\n")
    store.upload(str(project.root / "upload"), overwrite=True, show_progress=False)
    return store


# -- single files -------------------------------------------------------------------------------
def test_one_file_reaches_a_script_as_its_path_a_folder_as_a_folder(project: Project) -> None:
    store = data(project)
    one = Dataset.File.from_files((store, "iris/iris.csv"))
    folder = Dataset.File.from_files((store, "iris/"))
    glob = Dataset.File.from_files((store, "iris/*.csv"))
    project.script("src/show.py", SHOW)
    step = PythonScriptStep(
        "show.py",
        name="show",
        source_directory="src",
        arguments=[
            one.as_named_input("mounted").as_mount(),
            one.as_named_input("copied").as_download(),
            folder.as_named_input("folder").as_mount(),
            glob.as_named_input("glob").as_download(),
        ],
    )
    out = stdout(run_ok(project, Pipeline(steps=[step])), "show")
    assert out.count("arg file iris.csv") == 2, out
    assert out.count("content a,b|1,2|") == 2, out
    assert out.count("arg folder") == 2, out
    for line in (
        "input copied file iris.csv",
        "input mounted file iris.csv",
        "input folder folder folder",
        "input glob folder glob",
    ):
        assert line in out, out


def test_one_file_reaches_a_notebook_as_its_path(project: Project) -> None:
    store = data(project)
    one = Dataset.File.from_files((store, "iris/iris.csv"))
    project.notebook(
        "nb/read.ipynb",
        parameters="iris = ''\n",
        body=[
            "import os\nprint('param', os.path.isfile(iris), os.path.basename(iris))\n",
            "from jupyter_pipelines import Run\n"
            "p = Run.get_context().input_datasets['iris']\n"
            "print('context', os.path.isfile(p), open(p).read().splitlines()[1])\n",
        ],
    )
    step = NotebookStep(
        "nb/read.ipynb",
        name="read",
        inputs=[one.as_named_input("iris").as_download()],
        kernel_name="python3",
    )
    out = stdout(run_ok(project, Pipeline(steps=[step])), "read")
    assert "param True iris.csv" in out, out
    assert "context True 1,2" in out, out


# -- local paths --------------------------------------------------------------------------------
def test_local_path_datasets_are_read_and_reused_by_content(project: Project) -> None:
    local = project.root / "local" / "points.csv"
    local.parent.mkdir()
    local.write_text("x\n1\n")
    one = Dataset.File.from_files(str(local))  # no workspace needed until submitted
    assert one.workspace is None
    project.script("src/show.py", SHOW)
    step = PythonScriptStep(
        "show.py",
        name="show",
        source_directory="src",
        arguments=[one.as_named_input("points").as_mount()],
    )
    first = run_ok(project, Pipeline(steps=[step]))
    assert "input points file points.csv" in stdout(first, "show")
    assert one.workspace == project.ws  # bound when submitted
    assert Dataset.get_by_id(project.ws, one.id).to_path() == ["/points.csv"]
    again = run_ok(project, Pipeline(steps=[step]))
    assert again.get_step_run("show").is_reused
    local.write_text("x\n2\n")
    third = run_ok(project, Pipeline(steps=[step]))
    assert not third.get_step_run("show").is_reused
    assert "input points file points.csv" in stdout(third, "show")


# -- http(s) URLs -------------------------------------------------------------------------------
class Served:
    """What the test server answers: file name -> bytes (changed by the test)."""

    files: dict[str, bytes] = {}
    gets = 0


class WithETag(BaseHTTPRequestHandler):
    """Sends the content's hash as ETag (and no Last-Modified)."""

    etag = True

    def _answer(self, body: bool) -> None:
        name = self.path.split("?", 1)[0].rsplit("/", 1)[-1]
        content = Served.files.get(name)
        if content is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(content)))
        if self.etag:
            self.send_header("ETag", '"' + hashlib.sha1(content).hexdigest() + '"')
        self.end_headers()
        if body:
            Served.gets += 1
            self.wfile.write(content)

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def do_GET(self) -> None:
        self._answer(body=True)

    def log_message(self, *args: Any) -> None:
        pass


class Plain(WithETag):
    """Sends neither ETag nor Last-Modified: the content itself must be hashed."""

    etag = False


@pytest.fixture(params=[WithETag, Plain], ids=["etag", "plain"])
def server(request: pytest.FixtureRequest) -> Iterator[str]:
    """A real HTTP server on a free local port, in a thread; yields its base URL."""
    Served.files = {"iris.csv": b"a,b\n1,2\n3,4\n"}
    Served.gets = 0
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), request.param)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_url_datasets_run_reuse_when_unchanged_and_rerun_when_changed(
    project: Project, server: str, request: pytest.FixtureRequest
) -> None:
    url = f"{server}/data/iris.csv"
    table = Dataset.Tabular.from_delimited_files(url)
    files = Dataset.File.from_files(url)
    assert table.workspace is None and files.workspace is None
    assert table.to_records() == [{"a": 1, "b": 2}, {"a": 3, "b": 4}]
    project.script(
        "src/count.py",
        """\
        import sys
        from jupyter_pipelines import Run
        table = Run.get_context().input_datasets["table"]
        print("rows", len(table.to_records()), "file", open(sys.argv[1]).read().count("\\n"))
        """,
    )
    step = PythonScriptStep(
        "count.py",
        name="count",
        source_directory="src",
        arguments=[files.as_named_input("raw").as_download()],
        inputs=[table.as_named_input("table")],
    )
    first = run_ok(project, Pipeline(steps=[step]))
    assert "rows 2 file 3" in stdout(first, "count")
    gets = Served.gets
    again = run_ok(project, Pipeline(steps=[step]))
    assert again.get_step_run("count").is_reused
    if "etag" in request.node.name:  # an ETag decides reuse without reading the file
        assert Served.gets == gets
    Served.files["iris.csv"] = b"a,b\n1,2\n3,4\n5,6\n"
    third = run_ok(project, Pipeline(steps=[step]))
    assert not third.get_step_run("count").is_reused
    assert "rows 3 file 4" in stdout(third, "count")
    assert Dataset.get_by_id(project.ws, files.id).to_path() == ["/iris.csv"]


def test_a_missing_url_is_refused_when_made(server: str, tmp_path: Path) -> None:
    from jupyter_pipelines.errors import DatasetError

    with pytest.raises(DatasetError, match=r"URL '.*/nothing.csv' matches no file"):
        Dataset.File.from_files(f"{server}/nothing.csv")
    lazy = Dataset.File.from_files(f"{server}/nothing.csv", validate=False)
    assert lazy.to_path() == []
    registered_nowhere = Dataset.File.from_files(f"{server}/data/iris.csv")
    assert registered_nowhere.download(str(tmp_path / "got")) == [str(tmp_path / "got/iris.csv")]


def test_step_details_name_their_datasets_and_missing_paths_reach_the_step(
    project: Project,
) -> None:
    store = data(project)
    iris = Dataset.File.from_files((store, "iris/iris.csv")).register(project.ws, "iris")
    project.script("src/show.py", SHOW)
    step = PythonScriptStep(
        "show.py",
        name="show",
        source_directory="src",
        arguments=[
            iris.as_named_input("iris").as_download(),
            store.path("not/yet").as_download(),  # v1 gives the step the path all the same
        ],
    )
    run = run_ok(project, Pipeline(steps=[step]))
    assert "arg folder yet" in stdout(run, "show")
    # Inside the step, its own details say how each dataset came: iris was downloaded.
    assert "mechanism iris Download" in stdout(run, "show")
    details = run.get_step_run("show").get_details()["inputDatasets"]
    by_name = {d["consumptionDetails"]["inputName"]: d for d in details}  # v1's shape
    assert by_name["iris"]["dataset"] == iris
    assert by_name["iris"]["consumptionDetails"]["mechanism"] == "Download"
    assert by_name["yet"]["dataset"].to_path() == []  # the datastore path, empty so far


def test_a_url_folder_listed_by_its_server_is_a_folder(tmp_path: Path) -> None:
    import functools
    from http.server import SimpleHTTPRequestHandler

    site = tmp_path / "site" / "images"
    (site / "sub").mkdir(parents=True)
    (site / "a.png").write_bytes(b"A")
    (site / "sub" / "b.png").write_bytes(b"B")
    quiet = type("Quiet", (SimpleHTTPRequestHandler,), {"log_message": lambda *a: None})
    handler = functools.partial(quiet, directory=str(tmp_path / "site"))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/images"
        folder = Dataset.File.from_files(url)
        assert folder.to_path() == ["/a.png", "/sub/b.png"] and folder.single_file() is None
        got = folder.download(str(tmp_path / "got"))
        assert sorted(Path(p).read_bytes() for p in got) == [b"A", b"B"]
        hashes = folder.file_hashes()  # by Last-Modified and size: the server sends them
        assert all(h.startswith("web:") for h in hashes.values())
        assert Dataset.File.from_files(f"{url}/a.png").single_file() == "/a.png"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_one_file_downloaded_into_the_working_folder(project: Project) -> None:
    store = data(project)
    one = Dataset.File.from_files((store, "iris/iris.csv"))
    project.script(
        "src/local.py",
        "import os\nprint('local', sorted(os.listdir('data')), os.path.isfile('data/iris.csv'))\n",
    )
    step = PythonScriptStep(
        "local.py",
        name="local",
        source_directory="src",
        inputs=[one.as_named_input("iris").as_download(path_on_compute="data")],
    )
    out = stdout(run_ok(project, Pipeline(steps=[step])), "local")
    assert "local ['iris.csv'] True" in out, out
