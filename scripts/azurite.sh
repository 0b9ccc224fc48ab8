#!/usr/bin/env bash
# Azurite, Microsoft's Azure Storage emulator, for the Azure datastore tests.
#
#   scripts/azurite.sh install   npm-install azurite@3 into .cache/azurite (project-local, once)
#   scripts/azurite.sh start     install, then start the blob service on 127.0.0.1 on a free
#                                port with a temporary data folder, and write its connection
#                                info to $STATE_DIR/azurite.env (read by tests/azure)
#   scripts/azurite.sh stop      stop the emulator that "start" started (its pid only) and
#                                remove its data folder
#
# When the emulator cannot be had (no node/npm, npm cannot reach its registry), "start"
# writes the reason to $STATE_DIR/unavailable, which tests/azure reads to skip loudly, and
# exits 0 so that the rest of the suite runs.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PREFIX=${JP_AZURITE_PREFIX:-$ROOT/.cache/azurite}
BIN=$PREFIX/node_modules/.bin/azurite-blob
STATE_DIR=${JP_AZURITE_STATE:-${TMPDIR:-/tmp}/jupyter-pipelines-azurite}
STATE=$STATE_DIR/azurite.env
UNAVAILABLE=$STATE_DIR/unavailable
ACCOUNT=devstoreaccount1
# The emulator's well-known development key, published in Microsoft's Azurite documentation.
KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
mkdir -p "$STATE_DIR"

unavailable() {
  echo "$1" >"$UNAVAILABLE"
  echo "*** azurite: $1; the Azure datastore tests will be SKIPPED ***" >&2
  exit 0
}

install() {
  [ -x "$BIN" ] && return 0
  command -v node >/dev/null || { echo "node is not installed (apt-get install -y nodejs npm)"; return 1; }
  command -v npm >/dev/null || { echo "npm is not installed (apt-get install -y npm)"; return 1; }
  mkdir -p "$PREFIX"
  echo "azurite: installing azurite@3 into $PREFIX" >&2
  if ! npm install --prefix "$PREFIX" --no-audit --no-fund --loglevel=error azurite@3 \
      >"$STATE_DIR/npm.log" 2>&1; then
    echo "npm install azurite@3 failed (see $STATE_DIR/npm.log)"
    return 1
  fi
  [ -x "$BIN" ] || { echo "npm installed no azurite-blob in $PREFIX"; return 1; }
}

start() {
  rm -f "$UNAVAILABLE"
  stop >/dev/null 2>&1
  local why
  why=$(install) || unavailable "$why"
  local data log pid port=""
  data=$(mktemp -d "${TMPDIR:-/tmp}/jupyter-pipelines-azurite-data.XXXXXX")
  log=$STATE_DIR/access.log
  : >"$log"
  setsid "$BIN" --blobHost 127.0.0.1 --blobPort 0 --location "$data" \
    --skipApiVersionCheck --loose --disableTelemetry >"$log" 2>&1 </dev/null &
  pid=$!
  for _ in $(seq 1 120); do
    port=$(sed -n 's#.*successfully listens on http://127\.0\.0\.1:\([0-9]*\).*#\1#p' "$log" | head -n 1)
    [ -n "$port" ] && break
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -rf "$data"
      unavailable "azurite exited at start: $(tail -n 3 "$log" | tr '\n' ' ')"
    fi
    sleep 0.25
  done
  if [ -z "$port" ]; then
    kill -TERM "$pid" 2>/dev/null
    rm -rf "$data"
    unavailable "azurite did not listen within 30 s (see $log)"
  fi
  cat >"$STATE" <<EOF
AZURITE_PID=$pid
AZURITE_PORT=$port
AZURITE_DATA=$data
AZURITE_LOG=$log
AZURITE_ACCOUNT=$ACCOUNT
AZURITE_BLOB_ENDPOINT=http://127.0.0.1:$port/$ACCOUNT
EOF
  echo "azurite: blob service on http://127.0.0.1:$port/$ACCOUNT (pid $pid, data $data)"
}

stop() {
  [ -f "$STATE" ] || return 0
  local pid data
  pid=$(sed -n 's/^AZURITE_PID=//p' "$STATE")
  data=$(sed -n 's/^AZURITE_DATA=//p' "$STATE")
  rm -f "$STATE"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    echo "azurite: stopping the emulator started for the tests (pid $pid)"
    kill -TERM "$pid"
    for _ in $(seq 1 40); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.25
    done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  case "$data" in
    */jupyter-pipelines-azurite-data.*) rm -rf "$data" ;;
  esac
}

case "${1:-}" in
  install) why=$(install) || { echo "azurite: $why" >&2; exit 1; } ;;
  start) start ;;
  stop) stop ;;
  key) echo "$KEY" ;;
  *) echo "usage: $0 install|start|stop" >&2; exit 2 ;;
esac
