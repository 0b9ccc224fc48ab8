"""Warm kernels: which commands a fork server starts, what keys a server, the fork guards."""

from __future__ import annotations

import logging
import sys
import threading
import types

import pytest

from jupyter_pipelines.executors import kernel_forkserver
from jupyter_pipelines.executors.kernels import IPYKERNEL_OPTIONS, kernel_options
from jupyter_pipelines.executors.warm_kernels import (
    KernelCommand,
    WarmKernelPool,
    parse_kernel_command,
    startup_env,
    warm_kernels_enabled,
)

PY = "/env/bin/python"


@pytest.mark.parametrize(
    ("cmd", "expected"),
    [
        (
            [PY, "-m", "ipykernel_launcher", "-f", "c.json"],
            KernelCommand((PY,), "ipykernel_launcher", ("-f", "c.json")),
        ),
        (
            [PY, "-Xfrozen_modules=off", "-m", "ipykernel", "-f", "c.json"],
            KernelCommand((PY, "-Xfrozen_modules=off"), "ipykernel", ("-f", "c.json")),
        ),
        (
            [PY, "-X", "dev", "-u", "-m", "ipykernel_launcher", "-f", "c.json", "--debug"],
            KernelCommand(
                (PY, "-X", "dev", "-u"), "ipykernel_launcher", ("-f", "c.json", "--debug")
            ),
        ),
        ([PY, "-m", "xeus_python", "-f", "c.json"], None),
        (["R", "--slave", "-e", "IRkernel::main()", "--args", "c.json"], None),
        ([PY, "-c", "import ipykernel_launcher"], None),
        ([PY, "-m"], None),
        ([], None),
    ],
)
def test_only_python_m_ipykernel_commands_are_forked(cmd: list[str], expected: object) -> None:
    assert parse_kernel_command(cmd) == expected


def test_variables_read_at_interpreter_start_key_a_server() -> None:
    env = {
        "PYTHONPATH": "/a",
        "PYTHONHASHSEED": "0",
        "LC_ALL": "C",
        "LANG": "C.UTF-8",
        "LD_LIBRARY_PATH": "/lib",
        "HOME": "/root",
        "CUDA_VISIBLE_DEVICES": "1",
        "JUPYTER_PIPELINES_STEP_RUN_ID": "s1",
    }
    assert startup_env(env) == {
        "PYTHONPATH": "/a",
        "PYTHONHASHSEED": "0",
        "LC_ALL": "C",
        "LANG": "C.UTF-8",
        "LD_LIBRARY_PATH": "/lib",
    }


@pytest.mark.parametrize(("value", "on"), [("0", False), ("off", False), ("1", True), ("", True)])
def test_warm_kernels_can_be_turned_off(value: str, on: bool) -> None:
    assert warm_kernels_enabled({"JUPYTER_PIPELINES_WARM_KERNELS": value}) is on
    assert warm_kernels_enabled({}) is True


def test_ipykernel_kernels_keep_their_history_in_memory_others_get_no_option() -> None:
    assert kernel_options(["python", "-m", "ipykernel_launcher", "-f", "{c}"]) == list(
        IPYKERNEL_OPTIONS
    )
    assert kernel_options(["R", "--slave", "-e", "IRkernel::main()"]) == []
    assert kernel_options(["python", "-m", "xeus_python", "-f", "{c}"]) == []


def test_the_guard_refuses_to_fork_with_a_cuda_library_imported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("the fork server reads /proc")
    for name in kernel_forkserver.FORBIDDEN:
        monkeypatch.delitem(sys.modules, name, raising=False)
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    monkeypatch.setattr(kernel_forkserver.os, "listdir", lambda _path: ["1"])
    assert kernel_forkserver.unsafe_to_fork() is None
    monkeypatch.setitem(sys.modules, "torch", types.ModuleType("torch"))
    assert kernel_forkserver.unsafe_to_fork() == "the warm process imported torch"


def test_the_guard_refuses_to_fork_with_a_thread_running() -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("the fork server reads /proc")
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        why = kernel_forkserver.unsafe_to_fork()
    finally:
        stop.set()
        thread.join()
    assert why is not None and "threads" in why


def test_a_kernel_the_pool_cannot_fork_starts_cold_and_says_why_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    pool = WarmKernelPool()
    caplog.set_level(logging.WARNING, logger="jupyter_pipelines.executors.warm_kernels")
    try:
        for _ in range(2):
            assert pool.launch(["R", "-e", "IRkernel::main()"], {}, "/") is None
        off = {"JUPYTER_PIPELINES_WARM_KERNELS": "0"}
        assert pool.launch([PY, "-m", "ipykernel_launcher"], off, "/") is None
    finally:
        pool.close()
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2
    assert "is not python -m ipykernel" in messages[0]
    assert "JUPYTER_PIPELINES_WARM_KERNELS=0" in messages[1]


def test_containers_start_papermills_kernel_with_the_quicker_client_and_options() -> None:
    from jupyter_pipelines.executors.docker.nbrunner import _quicker_kernel
    from jupyter_pipelines.executors.warm_kernels import StepKernelClient, StepKernelManager

    options = _quicker_kernel("python3")
    assert options["kernel_manager_class"] is StepKernelManager
    assert options["extra_arguments"] == list(IPYKERNEL_OPTIONS)
    assert StepKernelManager(kernel_name="python3").client_factory is StepKernelClient
    assert _quicker_kernel("no-such-kernel") == {}


def test_a_pool_starts_no_more_servers_than_its_cap(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from jupyter_pipelines.executors import warm_kernels

    monkeypatch.setattr(warm_kernels, "MAX_SERVERS", 0)
    caplog.set_level(logging.WARNING, logger="jupyter_pipelines.executors.warm_kernels")
    pool = WarmKernelPool()
    try:
        assert pool.launch([sys.executable, "-m", "ipykernel_launcher"], {}, "/") is None
    finally:
        pool.close()
    assert "already has 0 fork servers" in caplog.text
