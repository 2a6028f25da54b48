#!/usr/bin/env bash
# modular-login service script.
#   ./server.sh debug   serve on :8000 in the foreground with the `test` provider
#   ./server.sh start   serve in the background (production settings)
#   ./server.sh stop    stop what `start` started
#   ./server.sh status  say whether it runs
#   ./server.sh help    this text
# LOGIN_* variables set by the caller win over the defaults below
# (LOGIN_PORT=9000 ./server.sh debug); see README.md for all of them.
set -euo pipefail
cd "$(dirname "$0")"

export LOGIN_RUN_DIR="${LOGIN_RUN_DIR:-$PWD/run}"
RUN="$LOGIN_RUN_DIR"
MEMCACHED_PORT="${LOGIN_MEMCACHED_PORT:-11311}"
SERVER_PID="$RUN/server.pid"
MEMCACHED_PID="$RUN/memcached.pid"

say() { printf 'server.sh: %s\n' "$*" >&2; }

usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; }

# Installs dependencies and builds when the checkout is new or changed.
setup() {
  mkdir -p -m 700 "$RUN"
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    say "installing dependencies (npm ci)"
    npm ci --no-audit --no-fund
  fi
  if [ ! -f dist/main.js ] || [ -n "$(find src client/src -newer dist/main.js -name '*.ts' -print -quit)" ]; then
    say "building (npm run build)"
    npm run --silent build
  fi
}

# Starts a private memcached on loopback when the binary exists and the
# caller did not name servers; otherwise the server uses its in-process cache.
start_memcached() {
  if [ -n "${LOGIN_MEMCACHED:-}" ]; then return; fi
  if ! command -v memcached >/dev/null 2>&1; then
    say "memcached not found: using the in-process cache"
    return
  fi
  stop_pid "$MEMCACHED_PID"
  memcached -d -l 127.0.0.1 -p "$MEMCACHED_PORT" -U 0 -m 64 -u "$(id -un)" -P "$MEMCACHED_PID"
  export LOGIN_MEMCACHED="127.0.0.1:$MEMCACHED_PORT"
  say "memcached on $LOGIN_MEMCACHED"
}

stop_pid() {
  local file="$1"
  if [ -f "$file" ]; then
    local pid
    pid="$(cat "$file")"
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$file"
  fi
}

case "${1:-help}" in
  debug)
    setup
    export LOGIN_DEBUG="${LOGIN_DEBUG:-1}"
    export LOGIN_LOG_LEVEL="${LOGIN_LOG_LEVEL:-info}"
    start_memcached
    trap 'stop_pid "$MEMCACHED_PID"' EXIT
    node dist/main.js
    ;;
  start)
    setup
    if [ -f "$SERVER_PID" ] && kill -0 "$(cat "$SERVER_PID")" 2>/dev/null; then
      say "already running (pid $(cat "$SERVER_PID"))"; exit 1
    fi
    start_memcached
    nohup node dist/main.js >>"$RUN/server.log" 2>&1 &
    echo $! >"$SERVER_PID"
    sleep 1
    if ! kill -0 "$(cat "$SERVER_PID")" 2>/dev/null; then
      say "failed to start; the end of $RUN/server.log:"; tail -n 20 "$RUN/server.log" >&2
      stop_pid "$MEMCACHED_PID"; exit 1
    fi
    say "started (pid $(cat "$SERVER_PID")), logging to $RUN/server.log"
    ;;
  stop)
    stop_pid "$SERVER_PID"
    stop_pid "$MEMCACHED_PID"
    say "stopped"
    ;;
  status)
    if [ -f "$SERVER_PID" ] && kill -0 "$(cat "$SERVER_PID")" 2>/dev/null; then
      say "running (pid $(cat "$SERVER_PID"))"
    else
      say "not running"; exit 3
    fi
    ;;
  help|-h|--help) usage ;;
  *) usage; exit 2 ;;
esac
