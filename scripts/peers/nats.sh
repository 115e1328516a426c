#!/usr/bin/env bash
# The NATS JetStream peer (Debian's nats-server): one single node and a
# three-node cluster, on 127.0.0.1 only, each with its store under
# .peers/nats/. Only the cluster tests and benches need it: treecast
# without a [cluster] section needs no NATS at all.
#
#   scripts/peers/nats.sh install        apt-get install nats-server if missing
#   scripts/peers/nats.sh start          start the single node and the cluster, wait until ready
#   scripts/peers/nats.sh stop           stop them all
#   scripts/peers/nats.sh kill-node N    kill -9 cluster node N (1..3)
#   scripts/peers/nats.sh start-node N   start cluster node N again
#   scripts/peers/nats.sh status         say what runs
#   scripts/peers/nats.sh env            print the variables tests read
#
# Idempotent and non-interactive.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE_DIR="$ROOT/.peers/nats"
HOST=127.0.0.1
SINGLE_PORT="${TREECAST_NATS_PEER_PORT:-14222}"
CLUSTER_PORTS=(14231 14232 14233)
ROUTE_PORTS=(16231 16232 16233)

die() { echo "nats peer: $*" >&2; exit 1; }

install() {
  if command -v nats-server >/dev/null; then
    echo "nats peer: $(nats-server --version) already installed"
    return
  fi
  command -v apt-get >/dev/null || die "nats-server is missing and there is no apt-get to install it"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq nats-server >/dev/null
  echo "nats peer: installed $(nats-server --version)"
}

pid_file() { echo "$STATE_DIR/$1.pid"; }

running() {
  local f
  f="$(pid_file "$1")"
  [[ -f "$f" ]] && kill -0 "$(cat "$f")" 2>/dev/null
}

# Waits until a node's monitoring endpoint says JetStream is healthy.
wait_ready() {
  local name="$1" mon="$2"
  for _ in $(seq 1 100); do
    if curl -fsS --max-time 1 "http://$HOST:$mon/healthz?js-enabled-only=true" >/dev/null 2>&1; then
      return 0
    fi
    running "$name" || { tail -n 20 "$STATE_DIR/$name.log" >&2; die "$name exited during start"; }
    sleep 0.1
  done
  tail -n 20 "$STATE_DIR/$name.log" >&2
  die "$name not ready after 10 s"
}

launch() {
  local name="$1"
  shift
  mkdir -p "$STATE_DIR/$name"
  running "$name" && return 0
  nohup nats-server -a "$HOST" -js -sd "$STATE_DIR/$name" --server_name "$name" "$@" \
    </dev/null >>"$STATE_DIR/$name.log" 2>&1 &
  echo $! >"$(pid_file "$name")"
}

start_node() {
  local n="$1" i=$(( $1 - 1 ))
  local routes
  routes="$(printf "nats://$HOST:%s," "${ROUTE_PORTS[@]}")"
  launch "n$n" -p "${CLUSTER_PORTS[$i]}" -m $(( 18230 + n )) --cluster_name treecast \
    --cluster "nats://$HOST:${ROUTE_PORTS[$i]}" --routes "${routes%,}"
}

start() {
  command -v nats-server >/dev/null || install
  mkdir -p "$STATE_DIR"
  launch single -p "$SINGLE_PORT" -m 18222
  for n in 1 2 3; do start_node "$n"; done
  wait_ready single 18222
  for n in 1 2 3; do wait_ready "n$n" $(( 18230 + n )); done
  echo "nats peer: single node on nats://$HOST:$SINGLE_PORT, cluster on ports ${CLUSTER_PORTS[*]} (logs in $STATE_DIR)"
}

stop_one() {
  local name="$1" sig="${2:-TERM}"
  if running "$name"; then
    local pid
    pid="$(cat "$(pid_file "$name")")"
    kill -"$sig" "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
  fi
  rm -f "$(pid_file "$name")"
}

stop() {
  for name in single n1 n2 n3; do stop_one "$name"; done
  echo "nats peer: stopped"
}

status() {
  local ok=0
  for name in single n1 n2 n3; do
    if running "$name"; then echo "nats peer: $name running"; else echo "nats peer: $name stopped"; ok=1; fi
  done
  return $ok
}

env_vars() {
  echo "export TREECAST_TEST_NATS=nats://$HOST:$SINGLE_PORT"
  echo "export TREECAST_TEST_NATS_CLUSTER=$(printf "nats://$HOST:%s," "${CLUSTER_PORTS[@]}" | sed 's/,$//')"
  echo "export TREECAST_TEST_NATS_SCRIPT=$ROOT/scripts/peers/nats.sh"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  kill-node) [[ "${2:-}" =~ ^[123]$ ]] || die "kill-node 1|2|3"; stop_one "n$2" KILL; echo "nats peer: n$2 killed" ;;
  start-node) [[ "${2:-}" =~ ^[123]$ ]] || die "start-node 1|2|3"; start_node "$2"; wait_ready "n$2" $(( 18230 + $2 )); echo "nats peer: n$2 running" ;;
  status) status ;;
  env) env_vars ;;
  *) echo "usage: $0 install|start|stop|restart|kill-node N|start-node N|status|env" >&2; exit 2 ;;
esac
