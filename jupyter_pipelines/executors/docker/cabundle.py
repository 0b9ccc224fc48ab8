"""The host's CA bundle, for image builds behind TLS-inspecting proxies.

Where HTTPS goes through a proxy that re-signs certificates, pip (and apt) inside a build
fail with CERTIFICATE_VERIFY_FAILED unless they trust the proxy's CA, which the host's
bundle holds. The bundle is the file named by ``SSL_CERT_FILE``, ``REQUESTS_CA_BUNDLE`` or
``PIP_CERT``, or pip's configured ``cert``.
"""

from __future__ import annotations

import configparser
import os
from pathlib import Path

ENV_VARS = ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "PIP_CERT")
#: Where a copied bundle lives inside built images.
IMAGE_PATH = "/etc/jupyter-pipelines/host-ca.crt"


def pip_config_files() -> list[Path]:
    """pip's configuration files, lowest priority first (site-wide, then the user's)."""
    files = [Path("/etc/pip.conf"), Path("/etc/xdg/pip/pip.conf")]
    home = Path.home()
    files += [home / ".pip" / "pip.conf", home / ".config" / "pip" / "pip.conf"]
    if os.environ.get("PIP_CONFIG_FILE"):
        files.append(Path(os.environ["PIP_CONFIG_FILE"]))
    return files


def _pip_configured_cert() -> str | None:
    found = None
    for path in pip_config_files():
        parser = configparser.ConfigParser()
        try:
            parser.read(path)
        except (OSError, configparser.Error):
            continue
        for section in ("global", "install"):
            if parser.has_option(section, "cert"):
                found = parser.get(section, "cert")
    return found


def host_ca_bundle() -> Path | None:
    """The host's CA bundle file, or None when none is configured (or it does not exist)."""
    candidates = [os.environ.get(name) for name in ENV_VARS] + [_pip_configured_cert()]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None
