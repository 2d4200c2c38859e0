#!/usr/bin/env bash
# `make serve`: a local Prefect server (SQLite under the data directory), the deployments of prefect.yaml, and a
# process worker that runs them from this checkout, in the foreground. Ctrl-C stops the worker, then the server.
# Works offline. docs/DEPLOY.md has the rest (a shared server, workers on other machines, secrets).
#
#   scripts/serve.sh [--port N]        default 4200, or PREFECT_SERVER_API_PORT
#
# Every EEA_* variable set here reaches the worker's flow runs (EEA_DATA_DIR, the sources, the keys' blocks).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"
BIN="$ROOT/.venv/bin"
POOL=eea-process
HOST="${PREFECT_SERVER_API_HOST:-127.0.0.1}"
PORT="${PREFECT_SERVER_API_PORT:-4200}"

usage() { sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
    case "$1" in
        --port) PORT="${2:-}"; shift 2 || { usage >&2; exit 2; } ;;
        --port=*) PORT="${1#--port=}"; shift ;;
        -h | --help) usage; exit 0 ;;
        *) echo "serve: unknown argument $1" >&2; usage >&2; exit 2 ;;
    esac
done
case "$PORT" in
    '' | *[!0-9]*) echo "serve: the port must be a number, got '$PORT'" >&2; exit 2 ;;
esac
if [ ! -x "$BIN/prefect" ]; then
    echo "serve: no virtual environment at $BIN; run 'make setup' first" >&2
    exit 1
fi

# No phoning home, and Prefect's state inside the data directory (as flows/__init__.py does for runs).
export DO_NOT_TRACK=1 PREFECT_SERVER_ANALYTICS_ENABLED=false GX_ANALYTICS_ENABLED=false
DATA_DIR="${EEA_DATA_DIR:-$ROOT/data}"
export PREFECT_HOME="${PREFECT_HOME:-$DATA_DIR/.prefect}"
LOG_DIR="$PREFECT_HOME/logs"
mkdir -p "$LOG_DIR"
# Clients on this machine talk to this server, whatever PREFECT_API_URL the shell had.
CLIENT_HOST="$HOST"
case "$HOST" in 0.0.0.0 | '::') CLIENT_HOST=127.0.0.1 ;; esac
UI_URL="http://$CLIENT_HOST:$PORT"
export PREFECT_API_URL="$UI_URL/api"

healthy() {
    "$BIN/python" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' \
        "$PREFECT_API_URL/health" >/dev/null 2>&1
}

# Each child runs in its own session, so Ctrl-C reaches only this script, which stops them in order; and with
# SIGINT at its default (bash starts background commands with it ignored, and a Prefect worker or server would
# then never stop on SIGINT, their clean stop).
DETACH=("$BIN/python" -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.setsid(); os.execv(sys.argv[1], sys.argv[1:])')
SERVER_PID=""
WORKER_PID=""

stop() { # pid name: SIGINT to its process group (a worker may ignore SIGTERM for 30 s), SIGKILL after 20 s
    local pid=$1 name=$2 i
    [ -n "$pid" ] || return 0
    if kill -0 "$pid" 2>/dev/null; then
        echo "serve: stopping the $name (pid $pid)"
        kill -INT -- "-$pid" 2>/dev/null || kill -INT "$pid" 2>/dev/null || true
        for i in $(seq 1 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.2
        done
    fi
    # Whatever is left in its group, e.g. a flow run's process (a killed run is recorded by the next one).
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    local status=$?
    trap - INT TERM EXIT
    stop "$WORKER_PID" worker
    stop "$SERVER_PID" server
    [ -z "$SERVER_PID" ] || echo "serve: stopped"
    exit "$status"
}
trap 'echo; exit 130' INT
trap 'exit 143' TERM
trap cleanup EXIT

if healthy; then
    echo "serve: a Prefect server already answers at $UI_URL; stop it or choose another port (--port N)" >&2
    exit 1
fi

echo "serve: starting a Prefect server at $UI_URL (state in $PREFECT_HOME, log in $LOG_DIR/server.log)"
"${DETACH[@]}" "$BIN/prefect" server start --host "$HOST" --port "$PORT" --analytics-off >"$LOG_DIR/server.log" 2>&1 &
SERVER_PID=$!
# A fresh database takes 20-30 s of migrations on 2 cores.
deadline=$((SECONDS + 180))
until healthy; do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        echo "serve: the Prefect server exited; its log:" >&2
        tail -n 30 "$LOG_DIR/server.log" >&2
        exit 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
        echo "serve: the Prefect server was not healthy after 180 s; its log:" >&2
        tail -n 30 "$LOG_DIR/server.log" >&2
        exit 1
    fi
    sleep 0.5
done
echo "serve: server healthy"

if ! "$BIN/prefect" work-pool inspect "$POOL" >/dev/null 2>&1; then
    "$BIN/prefect" --no-prompt work-pool create "$POOL" --type process >/dev/null
    echo "serve: created the process work pool $POOL"
fi
echo "serve: deploying prefect.yaml (nightly, backfill, adhoc)"
"$BIN/prefect" --no-prompt deploy --all --prefect-file "$ROOT/prefect.yaml" >"$LOG_DIR/deploy.log" 2>&1 || {
    echo "serve: prefect deploy failed; its output:" >&2
    tail -n 40 "$LOG_DIR/deploy.log" >&2
    exit 1
}

# Started with the project's venv, so the worker's flow runs use it too (prefect.yaml also names it).
"${DETACH[@]}" "$BIN/prefect" worker start --pool "$POOL" &
WORKER_PID=$!

cat <<EOF

EEA is served by a local Prefect server.
  UI:          $UI_URL
  deployments: nightly/nightly (18:30 New York, weekdays; skips NYSE holidays), nightly/adhoc, backfill/backfill
  data:        ${DATA_DIR} (the warehouse the runs publish)
Trigger a run from another terminal:
  PREFECT_API_URL=$PREFECT_API_URL .venv/bin/prefect deployment run nightly/adhoc --param as_of=2025-06-30 --watch
  PREFECT_API_URL=$PREFECT_API_URL .venv/bin/prefect deployment run backfill/backfill --param start=2024-01-02 --param end=2024-06-28
or press Run on a deployment in the UI. Ctrl-C stops the worker, then the server.

EOF

# Until Ctrl-C, or until either process ends on its own (then the other is stopped too).
status=0
wait -n "$SERVER_PID" "$WORKER_PID" || status=$?
if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "serve: the Prefect server exited ($status); its log:" >&2
    tail -n 30 "$LOG_DIR/server.log" >&2
else
    echo "serve: the worker exited ($status)" >&2
fi
exit 1
