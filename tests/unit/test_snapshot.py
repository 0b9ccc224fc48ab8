"""Snapshots of source folders: filtering, the content-addressed store, limits and damage."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from jupyter_pipelines.reuse import snapshot as snapshot_module
from jupyter_pipelines.reuse import statcache
from jupyter_pipelines.reuse.hashing import hash_bytes
from jupyter_pipelines.reuse.snapshot import (
    Snapshot,
    SnapshotError,
    SnapshotStore,
    hash_tree,
    load_ignore,
    scan,
)

REPO_ROOT = Path(__file__).resolve().parents[2]


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return root


@pytest.fixture
def store(tmp_path: Path) -> SnapshotStore:
    return SnapshotStore(tmp_path / "store")


def objects(store: SnapshotStore) -> list[Path]:
    return sorted(p for p in store.objects.rglob("*") if p.is_file())


# -- what goes in ------------------------------------------------------------------------
def test_snapshot_lists_files_with_hash_size_and_executable_bit(
    tmp_path: Path, store: SnapshotStore
) -> None:
    src = write(tmp_path / "src", {"main.py": "print(1)\n", "pkg/util.py": "X = 2\n"})
    (src / "run.sh").write_text("#!/bin/sh\n")
    (src / "run.sh").chmod(0o755)
    snap = store.take(src)
    assert sorted(snap.files) == ["main.py", "pkg/util.py", "run.sh"]
    main = snap.files["main.py"]
    assert (main.hash, main.size, main.executable) == (hash_bytes(b"print(1)\n"), 9, False)
    assert snap.files["run.sh"].executable
    assert snap.id == hash_bytes(
        json.dumps(snap.manifest(), sort_keys=True, separators=(",", ":")).encode()
    )
    assert snap.root == str(src.resolve())


def test_always_ignored_folders_are_left_out_at_any_depth(
    tmp_path: Path, store: SnapshotStore
) -> None:
    src = write(
        tmp_path / "src",
        {
            "keep.py": "",
            "sub/keep.py": "",
            ".ipynb_checkpoints/nb-checkpoint.ipynb": "{}",
            "sub/.ipynb_checkpoints/x-checkpoint.ipynb": "{}",
            "__pycache__/keep.cpython-311.pyc": "x",
            "sub/__pycache__/a.pyc": "x",
            ".git/HEAD": "ref: refs/heads/main",
            ".pipelines/store.db": "x",
            "sub/.pipelines/runs/x": "x",
        },
    )
    assert sorted(store.take(src).files) == ["keep.py", "sub/keep.py"]


def test_amlignore_filters_the_snapshot(tmp_path: Path, store: SnapshotStore) -> None:
    src = write(
        tmp_path / "src",
        {
            ".amlignore": "data/\n*.csv\n!keep.csv\nlogs\n",
            "train.py": "",
            "data/big.bin": "x",
            "a.csv": "1",
            "keep.csv": "2",
            "sub/b.csv": "3",
            "logs/out.txt": "x",
            "sub/data/nested.bin": "x",
        },
    )
    assert sorted(store.take(src).files) == [".amlignore", "keep.csv", "train.py"]


def test_amlignore_wins_over_gitignore(tmp_path: Path, store: SnapshotStore) -> None:
    src = write(
        tmp_path / "src",
        {".amlignore": "*.bin\n", ".gitignore": "*.log\n", "a.bin": "", "a.log": "", "a.py": ""},
    )
    assert sorted(store.take(src).files) == [".amlignore", ".gitignore", "a.log", "a.py"]


def test_gitignore_is_used_without_amlignore(tmp_path: Path, store: SnapshotStore) -> None:
    src = write(
        tmp_path / "src",
        {".gitignore": "*.log\nbuild/\n", "a.log": "", "a.py": "", "build/out.o": ""},
    )
    assert sorted(store.take(src).files) == [".gitignore", "a.py"]


def test_without_ignore_files_everything_is_kept(tmp_path: Path) -> None:
    src = write(tmp_path / "src", {"a.log": "", "b/c.bin": ""})
    assert load_ignore(src) is None
    assert [rel for rel, _, _ in scan(src)] == ["a.log", "b/c.bin"]


def test_a_missing_source_folder_is_a_clear_error(tmp_path: Path, store: SnapshotStore) -> None:
    with pytest.raises(SnapshotError, match="does not exist"):
        store.take(tmp_path / "nowhere")


# -- the content-addressed store ---------------------------------------------------------
def test_identical_files_are_stored_once(tmp_path: Path, store: SnapshotStore) -> None:
    one = write(tmp_path / "one", {"a.py": "same", "b.py": "same", "c.py": "other"})
    two = write(tmp_path / "two", {"x/y.py": "same", "z.py": "other"})
    first, second = store.take(one), store.take(two)
    assert first.id != second.id
    assert [p.name for p in objects(store)] == sorted([hash_bytes(b"same"), hash_bytes(b"other")])
    assert store.object_path(hash_bytes(b"same")).read_bytes() == b"same"
    # Taking the same folder again gives the same id and stores nothing new.
    assert store.take(one).id == first.id
    assert len(objects(store)) == 2
    assert len(list(store.manifests.glob("*.json"))) == 2


def test_the_id_depends_on_content_paths_and_executable_bit(
    tmp_path: Path, store: SnapshotStore
) -> None:
    src = write(tmp_path / "src", {"a.py": "1"})
    ids = {store.take(src).id}
    (src / "a.py").write_text("2")
    ids.add(store.take(src).id)
    (src / "a.py").rename(src / "b.py")
    ids.add(store.take(src).id)
    (src / "b.py").chmod(0o755)
    ids.add(store.take(src).id)
    assert len(ids) == 4


def test_materialize_restores_the_files_as_they_were(tmp_path: Path, store: SnapshotStore) -> None:
    src = write(tmp_path / "src", {"main.py": "v1", "pkg/data.txt": "d"})
    (src / "main.py").chmod(0o755)
    snap = store.take(src)
    (src / "main.py").write_text("v2 edited after the snapshot")
    (src / "pkg/data.txt").unlink()
    out = store.materialize(snap.id, tmp_path / "run" / "code")
    assert (out / "main.py").read_text() == "v1"
    assert (out / "pkg/data.txt").read_text() == "d"
    assert os.access(out / "main.py", os.X_OK)
    assert not os.access(out / "pkg/data.txt", os.X_OK)
    assert not (out / "main.py").is_symlink()
    # The copy is independent of the store: editing it leaves the store intact.
    (out / "pkg/data.txt").write_text("scribbled")
    assert store.object_path(hash_bytes(b"d")).read_bytes() == b"d"


def test_load_returns_the_stored_manifest(tmp_path: Path, store: SnapshotStore) -> None:
    snap = store.take(write(tmp_path / "src", {"a.py": "1", "b/c.py": "2"}))
    loaded = store.load(snap.id)
    assert loaded.id == snap.id and loaded.files == snap.files


# -- hash_paths --------------------------------------------------------------------------
def test_code_hash_with_hash_paths_covers_only_those_paths(
    tmp_path: Path, store: SnapshotStore
) -> None:
    src = write(
        tmp_path / "src",
        {"a.py": "a", "b.py": "b", "lib/x.py": "x", "sub/a.py": "nested a"},
    )
    before = store.take(src)
    assert before.code_hash() == before.code_hash(None) == before.code_hash([]) == before.id
    hashes = {
        key: before.code_hash(paths)
        for key, paths in {"a": ["a.py"], "b": ["b.py"], "lib": ["lib"], "all": ["."]}.items()
    }
    assert len(set(hashes.values())) == 4
    # Editing b.py changes the whole-snapshot hash and the b.py hash only.
    (src / "b.py").write_text("b edited")
    (src / "sub/a.py").write_text("anchored: 'a.py' is not 'sub/a.py'")
    after = store.take(src)
    assert after.id != before.id
    assert after.code_hash(["a.py"]) == hashes["a"]
    assert after.code_hash(["lib"]) == hashes["lib"]
    assert after.code_hash(["b.py"]) != hashes["b"]
    assert after.code_hash(["."]) != hashes["all"]
    # Spellings of a path: './a.py' is 'a.py', 'lib/' covers the folder's files.
    (src / "a.py").write_text("a edited")
    (src / "lib/x.py").write_text("x edited")
    edited = store.take(src)
    assert edited.code_hash(["./a.py"]) != after.code_hash(["./a.py"])
    assert edited.code_hash(["lib/"]) != after.code_hash(["lib/"])
    assert edited.code_hash(["b.py"]) == after.code_hash(["b.py"])


def test_code_hash_differs_by_hash_paths_even_for_the_same_files() -> None:
    snap = Snapshot("id", "", {})
    assert snap.code_hash(["a.py"]) != snap.code_hash(["b.py"])


# -- the stat cache ----------------------------------------------------------------------
def test_an_edit_is_seen_even_when_the_stat_cache_knows_the_file(
    tmp_path: Path, store: SnapshotStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(statcache, "RACY_SECONDS", 0.0)
    src = write(tmp_path / "src", {"a.py": "aaaa", "b.py": "b"})
    first = store.take(src)
    assert store.take(src).id == first.id  # served from the cache
    st = os.stat(src / "a.py")
    (src / "a.py").write_text("bbbb")  # same size, and the mtime put back
    os.utime(src / "a.py", ns=(st.st_atime_ns, st.st_mtime_ns))
    second = store.take(src)
    assert second.files["a.py"].hash == hash_bytes(b"bbbb")
    assert store.materialize(second.id, tmp_path / "out").joinpath("a.py").read_text() == "bbbb"


def test_a_cached_hash_whose_object_was_removed_is_stored_again(
    tmp_path: Path, store: SnapshotStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(statcache, "RACY_SECONDS", 0.0)
    src = write(tmp_path / "src", {"a.py": "a"})
    snap = store.take(src)
    shutil.rmtree(store.objects)
    assert store.take(src).id == snap.id
    assert (store.materialize(snap.id, tmp_path / "out") / "a.py").read_text() == "a"


# -- limits ------------------------------------------------------------------------------
def test_too_many_bytes_names_the_biggest_files(tmp_path: Path, store: SnapshotStore) -> None:
    src = write(
        tmp_path / "src",
        {"train.py": "x", "data/huge.parquet": b"0" * 300_000, "model.bin": b"1" * 200_000},
    )
    with pytest.raises(SnapshotError) as info:
        store.take(src, max_bytes=100_000)
    message = str(info.value)
    assert "too big to snapshot" in message
    assert message.index("data/huge.parquet (0.3 MB)") < message.index("model.bin (0.2 MB)")
    assert ".amlignore" in message and "JUPYTER_PIPELINES_SNAPSHOT_MAX_MB" in message
    assert not store.manifests.exists() or not list(store.manifests.glob("*.json"))


def test_too_many_files_is_a_clear_error(tmp_path: Path, store: SnapshotStore) -> None:
    src = write(tmp_path / "src", {f"f{i:02}.txt": "x" for i in range(12)})
    (src / "largest.csv").write_bytes(b"x" * 5000)
    with pytest.raises(SnapshotError, match=r"13 files.*limits: 10 files.*largest\.csv"):
        store.take(src, max_files=10)
    # Ignoring the offenders makes it fit.
    (src / ".amlignore").write_text("*.txt\n")
    assert sorted(store.take(src, max_files=10).files) == [".amlignore", "largest.csv"]


# -- bad input ---------------------------------------------------------------------------
def test_a_dangling_symlink_is_skipped_with_a_warning(
    tmp_path: Path, store: SnapshotStore, caplog: pytest.LogCaptureFixture
) -> None:
    src = write(tmp_path / "src", {"a.py": "a", "real.txt": "r"})
    (src / "gone.txt").symlink_to(src / "missing.txt")
    (src / "alias.txt").symlink_to("real.txt")
    with caplog.at_level(logging.WARNING):
        snap = store.take(src)
    assert sorted(snap.files) == ["a.py", "alias.txt", "real.txt"]
    assert snap.files["alias.txt"].hash == hash_bytes(b"r")  # a symlink's target content
    assert "dangling symlink 'gone.txt'" in caplog.text


def test_symlinked_folders_are_followed_but_cycles_are_not(
    tmp_path: Path, store: SnapshotStore, caplog: pytest.LogCaptureFixture
) -> None:
    src = write(tmp_path / "src", {"a.py": "a", "sub/b.py": "b"})
    shared = write(tmp_path / "shared", {"lib.py": "lib"})
    (src / "shared").symlink_to(shared, target_is_directory=True)
    (src / "self").symlink_to(".", target_is_directory=True)
    (src / "sub" / "up").symlink_to("..", target_is_directory=True)
    (src / "loop1").symlink_to("loop2")
    (src / "loop2").symlink_to("loop1")
    with caplog.at_level(logging.WARNING):
        snap = store.take(src)
    assert sorted(snap.files) == ["a.py", "shared/lib.py", "sub/b.py"]
    assert "'self'" in caplog.text and "'sub/up'" in caplog.text
    assert "'loop1'" in caplog.text


def test_a_file_vanishing_during_the_snapshot_is_left_out(
    tmp_path: Path, store: SnapshotStore, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    """The race: a file listed by the scan is deleted before it is copied."""
    src = write(tmp_path / "src", {"a.py": "a", "tmp.lock": "x"})
    real_scan = snapshot_module._scan

    def scan_then_delete(*args, **kwargs):  # type: ignore[no-untyped-def]
        listed = real_scan(*args, **kwargs)
        (src / "tmp.lock").unlink()
        return listed

    monkeypatch.setattr(snapshot_module, "_scan", scan_then_delete)
    with caplog.at_level(logging.WARNING):
        snap = store.take(src)
    assert sorted(snap.files) == ["a.py"]
    assert "'tmp.lock' vanished" in caplog.text
    assert not list(store.objects.glob(".incoming-*"))
    assert (store.materialize(snap.id, tmp_path / "out") / "a.py").read_text() == "a"


def test_a_corrupt_manifest_is_a_clear_error_and_is_healed_by_the_next_take(
    tmp_path: Path, store: SnapshotStore
) -> None:
    src = write(tmp_path / "src", {"a.py": "a"})
    snap = store.take(src)
    manifest = store.manifests / f"{snap.id}.json"
    manifest.write_text("{not json")
    with pytest.raises(SnapshotError, match=rf"snapshot {snap.id[:12]} is missing or corrupt"):
        store.load(snap.id)
    with pytest.raises(SnapshotError, match="missing or corrupt"):
        store.materialize(snap.id, tmp_path / "out")
    assert store.take(src).id == snap.id
    assert store.load(snap.id).files == snap.files


def test_a_tampered_manifest_does_not_match_its_id(tmp_path: Path, store: SnapshotStore) -> None:
    src = write(tmp_path / "src", {"a.py": "a"})
    snap = store.take(src)
    manifest = store.manifests / f"{snap.id}.json"
    doc = json.loads(manifest.read_bytes())
    doc["files"]["evil.py"] = [hash_bytes(b"a"), 1, False]
    manifest.write_text(json.dumps(doc))
    with pytest.raises(SnapshotError, match="does not match its id"):
        store.load(snap.id)
    with pytest.raises(SnapshotError, match="missing or corrupt"):
        store.load("0" * 64)


def test_a_damaged_object_is_never_materialized(tmp_path: Path, store: SnapshotStore) -> None:
    src = write(tmp_path / "src", {"a.py": "print('the real code')\n", "b.py": "b"})
    snap = store.take(src)
    obj = store.object_path(snap.files["a.py"].hash)
    obj.write_text("print('something else')\n")
    with pytest.raises(SnapshotError, match=r"damaged: the stored content of 'a.py'"):
        store.materialize(snap.id, tmp_path / "out")
    assert not (tmp_path / "out" / "a.py").exists()
    obj.unlink()
    with pytest.raises(SnapshotError, match=r"'a.py' is missing from the object store"):
        store.materialize(snap.id, tmp_path / "out2")
    # Taking the snapshot again (no stat cache entry: the file is fresh) repairs the store.
    store.take(src)
    out = store.materialize(snap.id, tmp_path / "out3")
    assert (out / "a.py").read_text() == "print('the real code')\n"


# -- unreadable files: permissions are only enforced for a non-root user ---------------------
UNREADABLE = textwrap.dedent(
    """
    import sys
    from jupyter_pipelines.reuse.snapshot import SnapshotError, SnapshotStore
    src, store = sys.argv[1], sys.argv[2]
    try:
        snap = SnapshotStore(store).take(src)
    except SnapshotError as exc:
        print("SnapshotError:", exc)
        sys.exit(3)
    print("OK", sorted(snap.files))
    """
)


def _python_for(user: str | None) -> list[str] | None:
    """An interpreter ``user`` can run with this package and its dependencies importable."""
    site = [p for p in sys.path if p.endswith("site-packages")]
    env = {"PYTHONPATH": os.pathsep.join([str(REPO_ROOT), *site]), "PATH": "/usr/bin:/bin"}
    candidates = [sys.executable, f"/usr/bin/python{sys.version_info[0]}.{sys.version_info[1]}"]
    for python in candidates:
        try:
            done = subprocess.run(
                [python, "-c", "import jupyter_pipelines.reuse.snapshot"],
                user=user,
                env=env,
                capture_output=True,
                timeout=60,
                cwd="/",
            )
        except (OSError, subprocess.SubprocessError):
            continue
        if done.returncode == 0:
            return [python]
    return None


@pytest.fixture
def world_writable_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="jp-unreadable-"))
    path.chmod(0o777)
    yield path
    for dirpath, dirnames, _ in os.walk(path):
        for name in dirnames:
            os.chmod(os.path.join(dirpath, name), 0o777)
    shutil.rmtree(path, ignore_errors=True)


def _snapshot_as_unprivileged(base: Path, src: Path) -> subprocess.CompletedProcess[str]:
    """Take a snapshot of ``src`` as a user for whom file permissions apply."""
    user = "nobody" if os.geteuid() == 0 else None
    python = _python_for(user)
    if python is None:
        pytest.skip(
            "running as root, and no interpreter usable by 'nobody' imports this package "
            "(root ignores file permissions, so an unreadable file cannot be simulated)"
        )
    site = [p for p in sys.path if p.endswith("site-packages")]
    store = base / "store"
    store.mkdir(parents=True)
    for folder in (store, store.parent):
        folder.chmod(0o777)
    return subprocess.run(
        [*python, "-c", UNREADABLE, str(src), str(store)],
        user=user,
        env={"PYTHONPATH": os.pathsep.join([str(REPO_ROOT), *site]), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        cwd="/",
    )


def test_an_unreadable_file_is_a_clear_error_naming_it(world_writable_dir: Path) -> None:
    src = write(world_writable_dir / "src", {"train.py": "x", "secret.csv": "s"})
    for folder in (world_writable_dir, src):
        folder.chmod(0o755)
    (src / "secret.csv").chmod(0o000)
    done = _snapshot_as_unprivileged(world_writable_dir, src)
    assert done.returncode == 3, done.stdout + done.stderr
    assert "SnapshotError: cannot read" in done.stdout
    assert "secret.csv" in done.stdout and "list it in .amlignore" in done.stdout
    assert "Traceback" not in done.stderr
    # Listing it in .amlignore is the way out.
    (src / ".amlignore").write_text("secret.csv\n")
    (src / ".amlignore").chmod(0o644)
    done = _snapshot_as_unprivileged(world_writable_dir / "again", src)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "OK ['.amlignore', 'train.py']" in done.stdout


def test_an_unreadable_folder_is_a_clear_error_naming_it(world_writable_dir: Path) -> None:
    src = write(world_writable_dir / "src", {"train.py": "x", "private/key.txt": "k"})
    for folder in (world_writable_dir, src):
        folder.chmod(0o755)
    (src / "private").chmod(0o000)
    done = _snapshot_as_unprivileged(world_writable_dir, src)
    assert done.returncode == 3, done.stdout + done.stderr
    assert "SnapshotError: cannot list" in done.stdout and "private" in done.stdout


# -- output trees ------------------------------------------------------------------------
def test_hash_tree_covers_paths_and_contents(tmp_path: Path) -> None:
    out = write(tmp_path / "out", {"a.txt": "1", "sub/b.txt": "2"})
    first = hash_tree(out)
    assert hash_tree(out) == first
    copy = shutil.copytree(out, tmp_path / "copy")
    time.sleep(0.01)
    os.utime(copy / "a.txt")  # timestamps do not matter
    assert hash_tree(copy) == first
    (copy / "a.txt").write_text("changed")
    assert hash_tree(copy) != first
    (copy / "a.txt").write_text("1")
    (copy / "sub/b.txt").rename(copy / "sub/c.txt")
    assert hash_tree(copy) != first


def test_hash_tree_of_empty_and_missing_folders(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert hash_tree(tmp_path / "empty") == hash_tree(tmp_path / "missing")
    assert hash_tree(tmp_path / "empty") != hash_tree(write(tmp_path / "one", {"f": ""}))
