"""Azurite (Microsoft's Azure Storage emulator) for tests and benchmarks: the one that
``make test`` started (scripts/azurite.sh writes its address to a state file), or one
started here, on the loopback with a temporary data folder, and stopped afterwards.

No mocks: every Azure datastore test talks to this real blob service over HTTP.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "azurite.sh"
PREFIX = Path(os.environ.get("JP_AZURITE_PREFIX") or ROOT / ".cache" / "azurite")
BIN = PREFIX / "node_modules" / ".bin" / "azurite-blob"
STATE_DIR = Path(
    os.environ.get("JP_AZURITE_STATE")
    or Path(os.environ.get("TMPDIR") or "/tmp") / "jupyter-pipelines-azurite"
)
ACCOUNT = "devstoreaccount1"
#: The emulator's well-known development key (published in Microsoft's Azurite docs).
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
_LISTENING = re.compile(r"successfully listens on http://127\.0\.0\.1:(\d+)")


@dataclass
class Azurite:
    """A running blob service: its port, access log, and (when started here) its process."""

    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None
    data: Path | None = None
    _marks: dict[str, int] = field(default_factory=dict)

    @property
    def endpoint(self) -> str:
        """``host:port``, what ``register_azure_blob_container(endpoint=...)`` takes."""
        return f"127.0.0.1:{self.port}"

    @property
    def blob_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/{ACCOUNT}"

    @property
    def connection_string(self) -> str:
        return (
            f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY};"
            f"BlobEndpoint={self.blob_url};"
        )

    def answers(self) -> bool:
        try:
            urllib.request.urlopen(f"{self.blob_url}?comp=list", timeout=2)
        except urllib.error.HTTPError:
            return True  # 403 without credentials: it is up
        except OSError:
            return False
        return True

    def requests(self) -> list[str]:
        """The request lines the emulator logged so far ("GET /devstoreaccount1/c/x ...").

        The emulator writes its access log a moment after it answers: this waits until the
        log has not grown for 0.2 s."""
        size, stable_since = -1, time.monotonic()
        while time.monotonic() - stable_since < 0.2:
            now = self.log.stat().st_size if self.log.exists() else 0
            if now != size:
                size, stable_since = now, time.monotonic()
            time.sleep(0.02)
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return re.findall(r'"((?:GET|PUT|HEAD|POST|DELETE) [^"]*)"', text)

    def stop(self) -> None:
        """Stop an emulator started here (and remove its data); one from make test stays."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None
        if self.data is not None:
            shutil.rmtree(self.data, ignore_errors=True)

    def halt(self) -> None:
        """Stop the emulator (SIGTERM: it saves its state and closes its connections),
        keeping the data folder: ``restart`` serves it again. (After a SIGKILL Azurite
        would forget what it had not saved yet, containers included.)"""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def restart(self) -> None:
        """Start again on the same port and data folder (after ``halt``)."""
        assert self.data is not None
        fresh = start(port=self.port, data=self.data)
        self.process, self.log = fresh.process, fresh.log


def running() -> Azurite | None:
    """The emulator that scripts/azurite.sh started (make test), when it answers."""
    state = STATE_DIR / "azurite.env"
    if not state.exists():
        return None
    values = dict(line.split("=", 1) for line in state.read_text().splitlines() if "=" in line)
    try:
        found = Azurite(int(values["AZURITE_PORT"]), Path(values["AZURITE_LOG"]))
    except (KeyError, ValueError):
        return None
    return found if found.answers() else None


def unavailable_reason() -> str | None:
    """Why no emulator can be had here, or None."""
    reason = STATE_DIR / "unavailable"
    if reason.exists() and running() is None and not BIN.exists():
        return reason.read_text().strip()
    if BIN.exists():
        return None
    if shutil.which("node") is None or shutil.which("npm") is None:
        return (
            "node and npm are not installed (apt-get install -y nodejs npm), so Azurite cannot run"
        )
    proc = subprocess.run(["bash", str(SCRIPT), "install"], capture_output=True, text=True)
    if proc.returncode != 0 or not BIN.exists():
        return f"Azurite could not be installed: {proc.stderr.strip() or proc.stdout.strip()}"
    return None


def start(port: int = 0, data: Path | None = None) -> Azurite:
    """Start a private emulator (installing it first when needed) on the loopback."""
    reason = unavailable_reason()
    if reason:
        raise RuntimeError(reason)
    folder = data or Path(tempfile.mkdtemp(prefix="jupyter-pipelines-azurite-data."))
    log = folder.with_name(folder.name + ".log")
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(BIN), "--blobHost", "127.0.0.1", "--blobPort", str(port), "--location",
             str(folder), "--skipApiVersionCheck", "--loose", "--disableTelemetry"],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = _LISTENING.search(log.read_text(errors="replace"))
        if found:
            return Azurite(int(found.group(1)), log, process, folder)
        if process.poll() is not None:
            break
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"Azurite did not start: {log.read_text(errors='replace')[-500:]}")
