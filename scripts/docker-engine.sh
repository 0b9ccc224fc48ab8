#!/usr/bin/env bash
# Starts (or stops) a Docker engine for the container tests.
#
#   scripts/docker-engine.sh start   start dockerd when none answers (root only: installs
#                                    Debian's docker.io when missing); prints why not otherwise
#   scripts/docker-engine.sh stop    stop the dockerd that "start" started, and only that one
#
# The pid of a dockerd started here is kept in $STATE_DIR/dockerd.pid; "stop" ends that pid
# only. When no engine can be had, "start" writes the reason to $STATE_DIR/unavailable,
# which the tests read to skip loudly, and exits 0 so that the rest of the suite runs.
set -uo pipefail

STATE_DIR=${JP_DOCKER_STATE:-${TMPDIR:-/tmp}/jupyter-pipelines-docker}
PIDFILE=$STATE_DIR/dockerd.pid
LOG=$STATE_DIR/dockerd.log
UNAVAILABLE=$STATE_DIR/unavailable
mkdir -p "$STATE_DIR"

answers() { timeout 10 docker info >/dev/null 2>&1; }

unavailable() {
  echo "$1" >"$UNAVAILABLE"
  echo "*** docker: no engine: $1; the container tests will be SKIPPED ***" >&2
  exit 0
}

start() {
  rm -f "$UNAVAILABLE"
  if command -v docker >/dev/null && answers; then
    echo "docker: an engine already answers; using it"
    return 0
  fi
  if [ -n "${DOCKER_HOST:-}" ]; then
    unavailable "DOCKER_HOST=$DOCKER_HOST does not answer"
  fi
  if [ "$(id -u)" != 0 ]; then
    unavailable "no Docker engine answers and starting one needs root (run as root, or start one and set DOCKER_HOST)"
  fi
  if ! command -v dockerd >/dev/null || ! command -v debootstrap >/dev/null; then
    if ! command -v apt-get >/dev/null; then
      unavailable "dockerd is not installed and there is no apt-get to install it"
    fi
    echo "docker: installing docker.io and debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends docker.io debootstrap \
      >"$STATE_DIR/apt.log" 2>&1 \
      || { apt-get update -q >>"$STATE_DIR/apt.log" 2>&1 \
           && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
              docker.io debootstrap >>"$STATE_DIR/apt.log" 2>&1; } \
      || unavailable "apt-get install docker.io failed (see $STATE_DIR/apt.log)"
  fi
  echo "docker: starting dockerd (log: $LOG)"
  setsid dockerd >"$LOG" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  for _ in $(seq 1 120); do
    if answers; then
      echo "docker: engine up"
      return 0
    fi
    if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
      rm -f "$PIDFILE"
      unavailable "dockerd exited at start: $(tail -n 3 "$LOG" | tr '\n' ' ')"
    fi
    sleep 0.5
  done
  stop
  unavailable "dockerd did not answer within 60 s (see $LOG)"
}

stop() {
  [ -f "$PIDFILE" ] || return 0
  local pid
  pid=$(cat "$PIDFILE")
  rm -f "$PIDFILE"
  kill -0 "$pid" 2>/dev/null || return 0
  echo "docker: stopping the dockerd started for the tests (pid $pid)"
  kill -TERM "$pid"
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.5
  done
  kill -KILL "$pid" 2>/dev/null || true
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
