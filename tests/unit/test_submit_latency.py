"""The pieces of a fast submit: the waiter's poll interval, the driver server's check
for changed code, and git looked for without starting git."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from jupyter_pipelines.engine import driver_server
from jupyter_pipelines.engine.progress import MIN_POLL_SECONDS, POLL_SECONDS, poll_interval
from jupyter_pipelines.engine.reuse import _may_be_in_git, git_info


def test_the_wait_polls_often_at_first_then_every_tenth_of_a_second() -> None:
    assert poll_interval(0.0) == MIN_POLL_SECONDS
    assert poll_interval(0.2) == pytest.approx(0.01)
    assert poll_interval(1.0) == pytest.approx(0.05)
    assert poll_interval(60.0) == POLL_SECONDS
    # Never later than 5 % of the time waited, once past the shortest interval.
    for waited in (0.05, 0.5, 1.5):
        assert poll_interval(waited) <= max(MIN_POLL_SECONDS, waited * 0.05) + 1e-12


def test_the_server_notices_a_changed_or_removed_file(tmp_path: Path) -> None:
    module = tmp_path / "mod.py"
    module.write_text("x = 1\n")
    files = {str(module): module.stat().st_mtime_ns}
    assert driver_server.changed(files) is None
    os.utime(module, ns=(0, 1))
    assert driver_server.changed(files) == str(module)
    module.unlink()
    assert driver_server.changed(files) == str(module)


def test_the_server_watches_its_modules_and_package_folders() -> None:
    files = driver_server.loaded_files()
    assert driver_server.__file__ in files
    assert any(p.endswith("site-packages") for p in files)


def test_git_is_not_asked_about_a_folder_outside_any_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GIT_DIR", raising=False)
    monkeypatch.delenv("GIT_WORK_TREE", raising=False)
    outside = tmp_path / "plain"
    outside.mkdir()
    if _may_be_in_git(outside):  # the temporary folder itself lies in a checkout
        pytest.skip("the temporary folder is inside a git checkout")
    # A git that notes each call: a folder outside every checkout starts none.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls"
    fake = bin_dir / "git"
    fake.write_text(f'#!/bin/sh\necho "$@" >> {calls}\nexit 128\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    assert git_info(outside) == {}
    assert not calls.exists()
    (outside / ".git").mkdir()
    assert git_info(outside) == {}  # this fake git knows no repository
    assert calls.exists()


def test_git_info_of_a_checkout_in_two_git_processes(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
    }

    def run(*args: str) -> None:
        subprocess.run(["git", "-C", str(repo), *args], check=True, env=env, capture_output=True)

    run("init", "-q", "-b", "main")
    assert _may_be_in_git(repo)
    info = git_info(repo)
    assert info == {
        "repository": str(repo.resolve()),
        "branch": None,
        "commit": None,
        "dirty": False,
    }
    (repo / "a.txt").write_text("a\n")
    run("add", "a.txt")
    run("commit", "-q", "-m", "a")
    info = git_info(repo)
    head = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    assert info == {
        "repository": str(repo.resolve()),
        "branch": "main",
        "commit": head,
        "dirty": False,
    }
    (repo / "a.txt").write_text("b\n")
    assert git_info(repo)["dirty"] is True
