"""The local model registry (stores/model_registry.py) and v1's ``Model`` over it
(engine/models.py): versions, atomic registration, names, finding, downloading, changing,
v1's local model cache, and the refused deployment members."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from jupyter_pipelines import Model, Workspace
from jupyter_pipelines.errors import (
    ModelNotFoundException,
    NotSupportedError,
    WebserviceException,
)
from jupyter_pipelines.stores.model_registry import ModelRecord, ModelRegistry, check_model_name


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("JUPYTER_PIPELINES_WORKSPACE", raising=False)
    return Workspace.at(tmp_path / "project")


def registry(ws: Workspace) -> ModelRegistry:
    return ModelRegistry(ws.dir)


def a_file(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def add(reg: ModelRegistry, name: str, source: Path, **fields: object) -> ModelRecord:
    record = ModelRecord(name=name, version=0, entry=source.name, **fields)  # type: ignore[arg-type]
    return reg.register(record, [(source, source.name)])


# -- the registry -----------------------------------------------------------------------------
def test_versions_increase_and_are_never_given_twice(ws: Workspace, tmp_path: Path) -> None:
    reg = registry(ws)
    source = a_file(tmp_path, "model.pkl", "v")
    assert [add(reg, "m", source).version for _ in range(3)] == [1, 2, 3]
    assert add(reg, "other", source).version == 1
    latest = reg.get("m")
    assert latest is not None and latest.id == "m:3"
    assert reg.path(latest).read_text() == "v"
    assert reg.folder("m", 2) / "model.pkl" == reg.path(reg.get("m", 2))  # type: ignore[arg-type]
    assert reg.delete("m", 3) and not reg.folder("m", 3).exists()
    assert not reg.delete("m", 3)
    assert add(reg, "m", source).version == 4  # 3 is not given again
    assert [r.id for r in reg.all(latest=True)] == ["m:4", "other:1"]
    assert sorted(r.version for r in reg.all("m")) == [1, 2, 4]


def test_registering_is_all_or_nothing(ws: Workspace, tmp_path: Path) -> None:
    reg = registry(ws)
    present = a_file(tmp_path, "a.bin", "a")
    record = ModelRecord(name="m", version=0, entry="folder")
    with pytest.raises(WebserviceException, match=r"cannot copy '.*gone\.bin'"):
        reg.register(record, [(present, "folder/a.bin"), (tmp_path / "gone.bin", "folder/b")])
    assert reg.get("m") is None
    assert not (reg.dir / "m").exists() or list((reg.dir / "m").iterdir()) == []
    with pytest.raises(WebserviceException, match="leaves the model's folder"):
        reg.register(ModelRecord(name="m", version=0, entry="x"), [(present, "../x")])
    with pytest.raises(WebserviceException, match="at least one file"):
        reg.register(ModelRecord(name="m", version=0, entry="x"), [])
    # A folder left by a crash between the rename and the commit is never shown, and is
    # replaced when its version number is given.
    orphan = reg.folder("m", 1)
    a_file(orphan, "stale.txt", "stale")
    assert reg.get("m") is None
    stored = add(reg, "m", present)
    assert stored.version == 1 and sorted(p.name for p in orphan.iterdir()) == ["a.bin"]


def test_registering_at_once_gives_distinct_versions(ws: Workspace, tmp_path: Path) -> None:
    source = a_file(tmp_path, "model.pkl", "v")
    got: list[int] = []

    def register() -> None:
        got.append(add(ModelRegistry(ws.dir), "m", source).version)

    threads = [threading.Thread(target=register) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == [1, 2, 3, 4]


@pytest.mark.parametrize("bad", ["", "-x", ".x", "a/b", "a b", "../m", "x" * 256, None, 5])
def test_bad_model_names_are_refused(bad: object) -> None:
    with pytest.raises(WebserviceException, match="is invalid: it must only consist of"):
        check_model_name(bad)


def test_good_model_names() -> None:
    for good in ("m", "M1", "sklearn_mnist", "keras-model", "a.b-c_d", "x" * 255):
        assert check_model_name(good) == good


# -- Model --------------------------------------------------------------------------------
def test_model_register_find_and_list(ws: Workspace, tmp_path: Path) -> None:
    one = a_file(tmp_path, "sk.pkl", "one")
    first = Model.register(ws, str(one), "sk", tags={"area": "x"}, description="first")
    second = Model.register(
        ws, str(one), "sk", tags={"area": "y"}, properties={"k": "v"}, model_framework="Custom"
    )
    assert (first.version, second.version, second.id) == (1, 2, "sk:2")
    assert second.description is None and first.description == "first"
    assert second.created_time is not None and second.url.startswith("file://")
    assert second.run_id is None and second.run is None
    assert Model(ws, "sk").version == 2
    assert Model(ws, "sk", version=1).tags == {"area": "x"}
    assert Model(ws, id="sk:1").description == "first"
    assert Model(ws, "sk", tags=[["area", "x"]]).version == 1
    assert Model(ws, "sk", properties=["k"]).version == 2
    assert Model(ws, "sk", model_framework=Model.Framework.CUSTOM).version == 2
    with pytest.raises(ModelNotFoundException, match=r"model 'sq' is not registered.*sk:1"):
        Model(ws, "sq")
    with pytest.raises(WebserviceException, match="one of id or name"):
        Model(ws)
    assert [m.id for m in Model.list(ws)] == ["sk:2", "sk:1"]
    assert [m.id for m in Model.list(ws, tags=["area", ["area", "y"]])] == ["sk:2"]
    assert [m.id for m in Model.list(ws, tags={"area": "x"})] == ["sk:1"]
    assert [m.id for m in Model.list(ws, name="sk", latest=True)] == ["sk:2"]
    assert Model.list(ws, name="nothing") == []
    with pytest.raises(WebserviceException, match="cannot be provided without"):
        Model.register(ws, str(one), "sk", model_framework_version="1.0")
    with pytest.raises(WebserviceException, match="cannot be found"):
        Model.register(ws, str(tmp_path / "missing.pkl"), "sk")


def test_folders_child_paths_and_download(ws: Workspace, tmp_path: Path) -> None:
    folder = tmp_path / "model"
    a_file(folder, "weights.npy", "w")
    a_file(folder, "sub/config.json", "{}")
    a_file(folder, "notes.txt", "n")
    whole = Model.register(ws, str(folder), "net")
    part = Model.register(ws, str(folder), "net", child_paths=["weights.npy", "sub"])
    target = tmp_path / "got"
    path = Path(whole.download(str(target)))
    assert path == target / "model"
    names = sorted(p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file())
    assert names == ["notes.txt", "sub/config.json", "weights.npy"]
    with pytest.raises(WebserviceException, match=r"File already exists.*exist_ok"):
        whole.download(str(target))
    assert whole.download(str(target), exist_ok=True) == str(path)
    assert sorted(part.get_sas_urls()) == ["model/sub/config.json", "model/weights.npy"]
    # a file model downloads as the file
    file_model = Model.register(ws, str(folder / "notes.txt"), "notes")
    assert Path(file_model.download(str(tmp_path / "n"))).read_text() == "n"


def test_get_model_path(ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = a_file(tmp_path, "m.pkl", "1")
    Model.register(ws, str(source), "m")
    source.write_text("2")
    Model.register(ws, str(source), "m")
    registered = Path(Model.get_model_path("m", _workspace=ws))
    assert registered.read_text() == "2" and registered.is_relative_to(ws.dir / "models")
    assert Path(Model.get_model_path("m", version=1, _workspace=ws)).read_text() == "1"
    monkeypatch.chdir(ws.root)  # the workspace is found from the current folder
    assert Model.get_model_path("m") == str(registered)
    with pytest.raises(WebserviceException, match="version should be an int"):
        Model.get_model_path("m", version="1")  # type: ignore[arg-type]
    # outside any workspace: v1's local cache, then ./<name>
    elsewhere = tmp_path / "elsewhere"
    a_file(elsewhere, "azureml-models/cached/3/model.onnx", "c")
    a_file(elsewhere, "plain.pkl", "p")
    monkeypatch.chdir(elsewhere)
    assert Model.get_model_path("cached") == str(Path("azureml-models/cached/3/model.onnx"))
    assert Model.get_model_path("plain.pkl") == "plain.pkl"
    with pytest.raises(ModelNotFoundException, match="'nothing' is not registered"):
        Model.get_model_path("nothing")


def test_tags_properties_update_delete_and_serialize(
    ws: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = Model.register(ws, str(a_file(tmp_path, "m.pkl", "x")), "m", properties={"p": "1"})
    model.add_tags({"a": "1", "b": "2"})
    model.remove_tags(["a", "missing"])
    assert "Tag with key missing not found." in capsys.readouterr().out
    model.add_properties({"q": "2"})
    with pytest.raises(WebserviceException, match=r"properties are immutable.*: p"):
        model.add_properties({"p": "3"})
    model.update(tags={"only": "this"}, description="now described")
    again = Model(ws, "m")
    assert again.tags == {"only": "this"} and again.properties == {"p": "1", "q": "2"}
    assert again.description == "now described"
    payload = again.serialize()
    assert payload["id"] == "m:1" and payload["tags"] == {"only": "this"}
    assert Model.deserialize(ws, payload) == again
    again.delete()
    with pytest.raises(ModelNotFoundException):
        Model(ws, "m")


def test_deployment_is_refused_naming_the_alternative(ws: Workspace) -> None:
    with pytest.raises(NotSupportedError, match=r"Model\.get_model_path"):
        Model.deploy(ws, "svc", [])
    with pytest.raises(NotSupportedError, match="Dockerfile"):
        Model.package(ws, [])
    with pytest.raises(NotSupportedError, match="sample data"):
        Model.profile(ws, "p", [], None, None)
