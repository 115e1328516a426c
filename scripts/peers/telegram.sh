#!/usr/bin/env bash
# The Telegram test peer: telegram-test-api behind treecast's compatibility
# layer (peers/telegram/server.js), on 127.0.0.1 only.
#
#   scripts/peers/telegram.sh install   npm ci from the committed lock file
#   scripts/peers/telegram.sh start     start in the background, wait until ready
#   scripts/peers/telegram.sh stop      stop it
#   scripts/peers/telegram.sh status    say whether it runs
#   scripts/peers/telegram.sh env       print the variables tests read
#
# Idempotent and non-interactive. Logs and the pid file live in .peers/telegram/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PEER_DIR="$ROOT/peers/telegram"
STATE_DIR="$ROOT/.peers/telegram"
HOST=127.0.0.1
PORT="${TREECAST_TELEGRAM_PEER_PORT:-8081}"
INNER_PORT="${TREECAST_TELEGRAM_PEER_INNER_PORT:-8082}"
PID_FILE="$STATE_DIR/server.pid"
LOG_FILE="$STATE_DIR/server.log"
URL="http://$HOST:$PORT"

die() { echo "telegram peer: $*" >&2; exit 1; }

running() {
  [[ -f "$PID_FILE" ]] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null
}

ready() {
  curl -fsS --max-time 2 "$URL/_control/health" >/dev/null 2>&1
}

install() {
  command -v node >/dev/null || die "node is not installed (Node 20 is needed)"
  command -v npm >/dev/null || die "npm is not installed"
  local stamp="$PEER_DIR/node_modules/.treecast-lock"
  if [[ -f "$stamp" ]] && cmp -s "$stamp" "$PEER_DIR/package-lock.json"; then
    echo "telegram peer: already installed"
    return
  fi
  (cd "$PEER_DIR" && CI=true npm ci --no-audit --no-fund --loglevel=error </dev/null)
  cp "$PEER_DIR/package-lock.json" "$stamp"
  echo "telegram peer: installed"
}

start() {
  [[ -d "$PEER_DIR/node_modules/telegram-test-api" ]] || install
  mkdir -p "$STATE_DIR"
  if running && ready; then
    echo "telegram peer: already running on $URL"
    return
  fi
  if ready; then
    die "port $PORT answers but is not ours (stop whatever listens there)"
  fi
  TG_HOST="$HOST" TG_PORT="$PORT" TG_INNER_PORT="$INNER_PORT" \
    nohup node "$PEER_DIR/server.js" </dev/null >>"$LOG_FILE" 2>&1 &
  echo $! >"$PID_FILE"
  for _ in $(seq 1 100); do
    if ready; then
      echo "telegram peer: running on $URL (log $LOG_FILE)"
      return
    fi
    running || { tail -n 20 "$LOG_FILE" >&2; die "exited during start"; }
    sleep 0.1
  done
  tail -n 20 "$LOG_FILE" >&2
  die "not ready after 10 s"
}

stop() {
  if running; then
    local pid
    pid="$(cat "$PID_FILE")"
    kill "$pid"
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    echo "telegram peer: stopped"
  else
    echo "telegram peer: not running"
  fi
  rm -f "$PID_FILE"
}

status() {
  if running && ready; then echo "telegram peer: running on $URL"; else echo "telegram peer: stopped"; return 1; fi
}

env_vars() {
  echo "export TREECAST_TEST_TELEGRAM_API=$URL"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  status) status ;;
  env) env_vars ;;
  *) echo "usage: $0 install|start|stop|restart|status|env" >&2; exit 2 ;;
esac
