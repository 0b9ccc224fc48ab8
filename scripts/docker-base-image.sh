#!/usr/bin/env bash
# Builds the images the container tests use, offline from any registry, and keeps them:
#
#   jupyter-pipelines-base:bookworm   a minimal Debian made with debootstrap + docker import
#   jupyter-pipelines-python:bookworm python3 and a venv on PATH with papermill + ipykernel
#
# Each is skipped when `docker image inspect` finds it. The host's CA bundle
# (SSL_CERT_FILE, REQUESTS_CA_BUNDLE or PIP_CERT) is copied into the build so that pip
# works behind a TLS-inspecting proxy.
set -euo pipefail

BASE=${JP_DOCKER_BASE_IMAGE:-jupyter-pipelines-base:bookworm}
PYIMG=${JP_DOCKER_PYTHON_IMAGE:-jupyter-pipelines-python:bookworm}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
STATE_DIR=${JP_DOCKER_STATE:-${TMPDIR:-/tmp}/jupyter-pipelines-docker}
mkdir -p "$STATE_DIR"

if [ -f "$STATE_DIR/unavailable" ]; then
  echo "docker: no engine ($(cat "$STATE_DIR/unavailable")); not building images"
  exit 0
fi

has() { docker image inspect "$1" >/dev/null 2>&1; }

fail() {
  echo "$1" >"$STATE_DIR/unavailable"
  echo "*** docker: $1; the container tests will be SKIPPED ***" >&2
  exit 0
}

if has "$BASE"; then
  echo "docker: $BASE is cached"
else
  command -v debootstrap >/dev/null || fail "debootstrap is not installed (apt-get install debootstrap)"
  root=$(mktemp -d "$STATE_DIR/rootfs.XXXXXX")
  trap 'rm -rf "$root"' EXIT
  echo "docker: debootstrap bookworm into $root (a few minutes; log: $STATE_DIR/debootstrap.log)"
  debootstrap --variant=minbase bookworm "$root" "$MIRROR" >"$STATE_DIR/debootstrap.log" 2>&1 \
    || fail "debootstrap failed (see $STATE_DIR/debootstrap.log)"
  rm -rf "$root"/var/cache/apt/archives/*.deb
  tar -C "$root" -c . | docker import - "$BASE" >/dev/null || fail "docker import failed"
  rm -rf "$root"
  trap - EXIT
  echo "docker: built $BASE"
fi

if has "$PYIMG"; then
  echo "docker: $PYIMG is cached"
  exit 0
fi
ctx=$(mktemp -d "$STATE_DIR/context.XXXXXX")
trap 'rm -rf "$ctx"' EXIT
ca=${SSL_CERT_FILE:-${REQUESTS_CA_BUNDLE:-${PIP_CERT:-}}}
if [ -n "$ca" ] && [ -f "$ca" ]; then
  cp "$ca" "$ctx/host-ca.crt"
else
  : >"$ctx/host-ca.crt"
fi
cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM $BASE
ENV DEBIAN_FRONTEND=noninteractive
COPY host-ca.crt /etc/jupyter-pipelines/host-ca.crt
RUN if [ -s /etc/jupyter-pipelines/host-ca.crt ]; then \\
      echo 'Acquire::https::CAInfo "/etc/jupyter-pipelines/host-ca.crt";' > /etc/apt/apt.conf.d/99host-ca; fi \\
 && apt-get update -q && apt-get install -y -q --no-install-recommends python3 python3-venv \\
 && rm -rf /var/lib/apt/lists/*
ENV VIRTUAL_ENV=/opt/venv PATH=/opt/venv/bin:\$PATH
RUN python3 -m venv /opt/venv \\
 && if [ -s /etc/jupyter-pipelines/host-ca.crt ]; then \\
      printf '[global]\\ncert = /etc/jupyter-pipelines/host-ca.crt\\n' > /etc/pip.conf; fi \\
 && pip install -q --no-cache-dir --disable-pip-version-check papermill ipykernel \\
 && python -m ipykernel install --prefix /opt/venv --name python3
DOCKERFILE
echo "docker: building $PYIMG (python3, papermill, ipykernel; log: $STATE_DIR/python-image.log)"
DOCKER_BUILDKIT=0 docker build -t "$PYIMG" "$ctx" >"$STATE_DIR/python-image.log" 2>&1 \
  || fail "building $PYIMG failed (see $STATE_DIR/python-image.log)"
echo "docker: built $PYIMG"
