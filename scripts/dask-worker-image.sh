#!/usr/bin/env bash
# Builds the image of a Dask worker that shares nothing with the driver but the network:
#
#   jupyter-pipelines-dask-worker:<key>   the python test image + dask[distributed] + adlfs
#                                         (this environment's versions) + jupyter_pipelines
#                                         from a wheel of this checkout; no mount needed
#
# Prints the image's name on its last line. <key> hashes the package's files, the
# requirements and the base image: an unchanged checkout is not built again, and a changed
# one rebuilds only the last layer (the dependencies' layer is cached). The dependencies are
# downloaded once on this machine (pip download, kept in $STATE_DIR/dask-worker/) and
# installed in the build with --no-index: the build itself needs no network.
# Exit status: 0 built or cached, 2 the dependencies could not be downloaded (no index
# reachable: the container test skips, saying so), 1 anything else.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
STATE_DIR=${JP_DOCKER_STATE:-${TMPDIR:-/tmp}/jupyter-pipelines-docker}
PYIMG=${JP_DOCKER_PYTHON_IMAGE:-jupyter-pipelines-python:bookworm}
NAME=${JP_DASK_WORKER_IMAGE:-jupyter-pipelines-dask-worker}
PY=${PYTHON:-$ROOT/.venv/bin/python}
WORK=$STATE_DIR/dask-worker
mkdir -p "$WORK"

docker image inspect "$PYIMG" >/dev/null 2>&1 \
  || { echo "dask-worker-image: base image $PYIMG is missing (scripts/docker-base-image.sh)" >&2; exit 1; }

ctx=$(mktemp -d "$WORK/context.XXXXXX")
trap 'rm -rf "$ctx"' EXIT
"$PY" "$ROOT/scripts/build_worker_wheel.py" "$ctx/dist" >/dev/null
base_id=$(docker image inspect -f '{{.Id}}' "$PYIMG")
key=$(printf '%s %s' "$(cat "$ctx/dist/key")" "$base_id" | sha256sum | cut -c1-16)
tag=$NAME:$key
if docker image inspect "$tag" >/dev/null 2>&1; then
  echo "dask-worker-image: $tag is cached" >&2
  echo "$tag"
  exit 0
fi

# The dependencies: one wheelhouse per requirements list and Python, downloaded once, for
# the image's Python (wheels only: nothing is compiled in the build).
pyver=$(docker run --rm --entrypoint python3 "$PYIMG" -c 'import platform; print(platform.python_version())')
reqs=$( (cat "$ctx/dist/requirements.txt"; echo "$pyver") | sha256sum | cut -c1-16)
wheels=$WORK/wheels-$reqs
if [ ! -d "$wheels" ]; then
  echo "dask-worker-image: downloading the worker's dependencies into $wheels" >&2
  rm -rf "$wheels.part"
  (cd "$WORK" && "$PY" -m pip download -q --only-binary=:all: --python-version "$pyver" --dest "$wheels.part" \
    -r "$ctx/dist/requirements.txt") >"$WORK/download.log" 2>&1 \
    || { echo "dask-worker-image: pip download failed (see $WORK/download.log)" >&2; exit 2; }
  mv "$wheels.part" "$wheels"
fi
cp -al "$wheels" "$ctx/wheels" 2>/dev/null || cp -a "$wheels" "$ctx/wheels"

cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM $PYIMG
COPY wheels/ /tmp/wheels/
COPY dist/requirements.txt /tmp/requirements.txt
RUN pip install -q --no-cache-dir --disable-pip-version-check --no-index \\
      --find-links /tmp/wheels -r /tmp/requirements.txt \\
 && rm -rf /tmp/wheels /tmp/requirements.txt
COPY dist/jupyter_pipelines-*.whl /tmp/
RUN pip install -q --no-cache-dir --disable-pip-version-check --no-index --no-deps \\
      /tmp/jupyter_pipelines-*.whl && rm -f /tmp/jupyter_pipelines-*.whl
ENV HOME=/tmp PYTHONUNBUFFERED=1
WORKDIR /tmp
LABEL jupyter_pipelines.role=dask-worker
DOCKERFILE
echo "dask-worker-image: building $tag (log: $WORK/build.log)" >&2
started=$(date +%s)
DOCKER_BUILDKIT=0 docker build -t "$tag" "$ctx" >"$WORK/build.log" 2>&1 \
  || { echo "dask-worker-image: the build failed (see $WORK/build.log)" >&2; tail -20 "$WORK/build.log" >&2; exit 1; }
docker tag "$tag" "$NAME:latest"
echo "dask-worker-image: built $tag in $(($(date +%s) - started)) s" >&2
echo "$tag"
