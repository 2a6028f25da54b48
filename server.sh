#!/usr/bin/env bash
# modular-login service script.
#   ./server.sh debug   serve on :8000 in the foreground with the `test` provider
#   ./server.sh start   serve in the background (production settings), once ready
#   ./server.sh stop    stop the server (started either way) and its memcached
#   ./server.sh status  say whether it runs (exit 0) or not (exit 3)
#   ./server.sh help    this text
# LOGIN_* variables set by the caller win over the defaults below
# (LOGIN_PORT=9000 ./server.sh debug); see docs/operating.md, "Configuration", for all of them.
# LOGIN_START_SECONDS (60) bounds how long `start` waits for /login/ready.
set -euo pipefail
cd "$(dirname "$0")"

export LOGIN_RUN_DIR="${LOGIN_RUN_DIR:-$PWD/run}"
RUN="$LOGIN_RUN_DIR"
MEMCACHED_PORT="${LOGIN_MEMCACHED_PORT:-11311}"
SERVER_PID="$RUN/server.pid"
MEMCACHED_PID="$RUN/memcached.pid"
LOG="$RUN/server.log"

say() { printf 'server.sh: %s\n' "$*" >&2; }

usage() { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; }

# Installs dependencies and builds when the checkout is new or changed, then
# makes run/ private.
setup() {
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    say "installing dependencies (npm ci; compiling better-sqlite3 can take minutes)"
    npm ci --no-audit --no-fund
  fi
  if [ ! -f dist/main.js ] || [ -n "$(find src client/src -newer dist/main.js -name '*.ts' -print -quit)" ]; then
    say "building (npm run build)"
    npm run --silent build
  fi
  private_run_dir
}

# run/ holds the SQLite database, the log (user ids and addresses), pid files
# and memcached's log: for this user only on every start, whatever the engine,
# the caller's umask or an older version left (docs/security.md, "Files"). What is
# written from here on is created private.
private_run_dir() {
  umask 077
  mkdir -p "$RUN"
  chmod 700 "$RUN"
  find "$RUN" -maxdepth 1 -type f -exec chmod 600 {} +
}

# The pid in a pid file, when that process is alive and is what the file says
# (a pid left behind by a crash may since belong to another program).
live_pid() {
  local file="$1" pattern="$2" pid
  [ -f "$file" ] || return 1
  pid="$(cat "$file")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  ps -o args= -p "$pid" 2>/dev/null | grep -q -- "$pattern" || return 1
  printf '%s' "$pid"
}

server_pid() { live_pid "$SERVER_PID" 'dist/main.js'; }

port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Starts a private memcached on loopback when the binary exists and the
# caller did not name servers; otherwise the server uses its in-process cache.
# A port taken by another program is skipped for the next free one.
start_memcached() {
  if [ -n "${LOGIN_MEMCACHED:-}" ]; then return; fi
  if ! command -v memcached >/dev/null 2>&1; then
    say "memcached not found: using the in-process cache"
    return
  fi
  stop_pid "$MEMCACHED_PID" memcached
  local port pid
  for port in $(seq "$MEMCACHED_PORT" $((MEMCACHED_PORT + 20))); do
    if port_taken "$port"; then
      say "port $port is taken by another program; trying $((port + 1)) for memcached"
      continue
    fi
    nohup memcached -l 127.0.0.1 -p "$port" -U 0 -m 64 -u "$(id -un)" >>"$RUN/memcached.log" 2>&1 &
    pid=$!
    for _ in $(seq 100); do
      kill -0 "$pid" 2>/dev/null || break
      if port_taken "$port"; then
        echo "$pid" >"$MEMCACHED_PID"
        export LOGIN_MEMCACHED="127.0.0.1:$port"
        say "memcached on $LOGIN_MEMCACHED"
        return
      fi
      sleep 0.05
    done
    kill "$pid" 2>/dev/null || true
    say "memcached did not start on port $port (see $RUN/memcached.log)"
  done
  say "no port for memcached in $MEMCACHED_PORT-$((MEMCACHED_PORT + 20)): set LOGIN_MEMCACHED_PORT"
  exit 1
}

# Stops the process of a pid file: SIGTERM, then SIGKILL after 30 s.
stop_pid() {
  local file="$1" pattern="$2" pid
  if pid="$(live_pid "$file" "$pattern")"; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      say "pid $pid did not stop within 30 s: killing it"
      kill -9 "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$file"
}

# Waits until the server answers /login/ready, at the address its own
# configuration names (LOGIN_CONFIG included); prints its URL.
wait_ready() {
  node --input-type=module - "$1" "${LOGIN_START_SECONDS:-60}" <<'EOF'
import { loadConfig } from './dist/config.js'
const [pid, seconds] = process.argv.slice(2).map(Number)
const { host, port } = loadConfig()
const target = ['0.0.0.0', '::', ''].includes(host) ? '127.0.0.1' : host
const base = `http://${target.includes(':') ? `[${target}]` : target}:${port}`
const deadline = Date.now() + seconds * 1000
let last = 'no answer yet'
for (;;) {
  try {
    process.kill(pid, 0)
  } catch {
    console.error(`server.sh: the server (pid ${pid}) exited`)
    process.exit(1)
  }
  try {
    const response = await fetch(`${base}/login/ready`, { signal: AbortSignal.timeout(5000) })
    if (response.ok) break
    last = `${response.status} ${await response.text()}`
  } catch (error) {
    last = error.cause?.code ?? error.message
  }
  if (Date.now() > deadline) {
    console.error(`server.sh: ${base}/login/ready did not answer 200 within ${seconds} s (last: ${last})`)
    process.exit(1)
  }
  await new Promise(resolve => setTimeout(resolve, 250))
}
console.log(base)
EOF
}

case "${1:-help}" in
  debug)
    setup
    if pid="$(server_pid)"; then say "already running (pid $pid)"; exit 1; fi
    export LOGIN_DEBUG="${LOGIN_DEBUG:-1}"
    export LOGIN_LOG_LEVEL="${LOGIN_LOG_LEVEL:-info}"
    start_memcached
    trap 'rm -f "$SERVER_PID"; stop_pid "$MEMCACHED_PID" memcached' EXIT
    # The subshell writes its own pid, then becomes the server: `status` and
    # `stop` find it, and Ctrl-C still reaches it directly.
    (
      echo "$BASHPID" >"$SERVER_PID"
      exec node dist/main.js
    )
    ;;
  start)
    setup
    if pid="$(server_pid)"; then say "already running (pid $pid)"; exit 1; fi
    start_memcached
    nohup node dist/main.js >>"$LOG" 2>&1 &
    pid=$!
    echo "$pid" >"$SERVER_PID"
    if ! url="$(wait_ready "$pid")"; then
      say "failed to start; the end of $LOG:"
      tail -n 20 "$LOG" >&2
      stop_pid "$SERVER_PID" dist/main.js
      stop_pid "$MEMCACHED_PID" memcached
      exit 1
    fi
    say "started (pid $pid), ready at $url, logging to $LOG"
    ;;
  stop)
    if pid="$(server_pid)"; then
      stop_pid "$SERVER_PID" dist/main.js
      say "stopped the server (pid $pid)"
    else
      rm -f "$SERVER_PID"
      say "the server was not running"
    fi
    stop_pid "$MEMCACHED_PID" memcached
    ;;
  status)
    if pid="$(server_pid)"; then
      say "running (pid $pid)"
    else
      say "not running"; exit 3
    fi
    ;;
  help|-h|--help) usage ;;
  *) say "unknown command: $1"; usage; exit 2 ;;
esac
