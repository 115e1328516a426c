#!/usr/bin/env bash
# The browser peer: Debian's headless Chromium driven through chromedriver
# (WebDriver), on 127.0.0.1 only, for the web console's tests. Each test
# session starts its own Chromium through chromedriver with its own profile
# (tests/browser/mod.rs); this script only keeps chromedriver running.
# fonts-noto-cjk is installed with it, or Chinese pages render as boxes
# (and fonts-noto-color-emoji for the ✅ of the previews).
#
#   scripts/peers/chromium.sh install   apt-get install chromium chromium-driver fonts-noto-cjk if missing
#   scripts/peers/chromium.sh start     start chromedriver in the background, wait until ready
#   scripts/peers/chromium.sh stop      stop it (and any Chromium it left running)
#   scripts/peers/chromium.sh status    say whether it runs
#   scripts/peers/chromium.sh env       print the variables tests read
#
# Idempotent and non-interactive. Logs and the pid file live in .peers/chromium/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE_DIR="$ROOT/.peers/chromium"
HOST=127.0.0.1
PORT="${TREECAST_WEBDRIVER_PORT:-19515}"
PID_FILE="$STATE_DIR/chromedriver.pid"
LOG_FILE="$STATE_DIR/chromedriver.log"
URL="http://$HOST:$PORT"
PACKAGES=(chromium chromium-driver fonts-noto-cjk fonts-noto-color-emoji)

die() { echo "chromium peer: $*" >&2; exit 1; }

installed() {
  local p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || return 1
  done
}

install() {
  if installed; then
    echo "chromium peer: $(chromium --version 2>/dev/null) and its driver already installed"
    return
  fi
  command -v apt-get >/dev/null || die "${PACKAGES[*]} are missing and there is no apt-get to install them"
  export DEBIAN_FRONTEND=noninteractive
  # Other checkouts on the machine may be installing too: wait for dpkg's lock.
  apt-get -o DPkg::Lock::Timeout=300 update -qq >/dev/null
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null
  echo "chromium peer: installed $(chromium --version 2>/dev/null)"
}

running() {
  [[ -f "$PID_FILE" ]] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null
}

ready() {
  curl -fsS --max-time 2 "$URL/status" 2>/dev/null | grep -q '"ready": *true'
}

start() {
  installed || install
  mkdir -p "$STATE_DIR"
  if running && ready; then
    echo "chromium peer: chromedriver already running on $URL"
    return
  fi
  if curl -fsS --max-time 2 "$URL/status" >/dev/null 2>&1; then
    die "port $PORT answers but is not ours (stop whatever listens there)"
  fi
  # No --allowed-ips: with it chromedriver listens on every interface (and
  # filters by address); without it, on 127.0.0.1 and ::1 only. setsid: its
  # own process group, so stop also ends the Chromiums it started.
  setsid nohup chromedriver --port="$PORT" \
    </dev/null >>"$LOG_FILE" 2>&1 &
  echo $! >"$PID_FILE"
  for _ in $(seq 1 100); do
    if ready; then
      echo "chromium peer: chromedriver on $URL (log $LOG_FILE)"
      return
    fi
    running || { tail -n 20 "$LOG_FILE" >&2; die "chromedriver exited during start"; }
    sleep 0.1
  done
  tail -n 20 "$LOG_FILE" >&2
  die "chromedriver not ready after 10 s"
}

stop() {
  if running; then
    local pid
    pid="$(cat "$PID_FILE")"
    kill -TERM -- "-$pid" 2>/dev/null || kill "$pid"
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL -- "-$pid" 2>/dev/null
  fi
  rm -f "$PID_FILE"
  echo "chromium peer: stopped"
}

status() {
  if running && ready; then
    echo "chromium peer: chromedriver running on $URL"
  else
    echo "chromium peer: stopped"
    return 1
  fi
}

env_vars() {
  echo "export TREECAST_WEBDRIVER=$URL"
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
