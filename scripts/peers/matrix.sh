#!/usr/bin/env bash
# The matrix peer for treecast's tests: two Synapse homeservers on loopback.
#   127.0.0.1:8008  raised rate limits (functional tests, benchmark)
#   127.0.0.1:8009  Synapse's shipped rate limits (rc_message 0.2/s burst 10)
# Both are server_name "localhost", SQLite, no federation, with the users
# bot (admin), official, student1 and student2, and the application service
# "treecast" whose sender @treecast:localhost is never rate limited.
#
# Usage: scripts/peers/matrix.sh install|start|stop|status|env
# Non-interactive and idempotent; state lives under .peers/matrix (gitignored).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TEMPLATES="$ROOT/peers/matrix"
BASE="$ROOT/.peers/matrix"
VENV="$BASE/venv"
PROFILES=("raised:8008" "default:8009")
USERS=("bot:botpass:--admin" "official:officialpass:--no-admin" "student1:student1pass:--no-admin" "student2:student2pass:--no-admin")

log() { echo "matrix peer: $*" >&2; }

secret() { # [name]: a random value made once per machine, kept under .peers
    local file="$BASE/${1:-secret}"
    if [[ ! -s "$file" ]]; then
        mkdir -p "$BASE"
        (umask 077; python3 -c 'import secrets; print(secrets.token_hex(16))' > "$file")
    fi
    cat "$file"
}

render() { # profile port
    local profile="$1" port="$2" data="$BASE/$1" sec limits
    sec="$(secret)"
    mkdir -p "$data/media_store"
    limits="$TEMPLATES/ratelimits-$profile.yaml"
    python3 - "$TEMPLATES/homeserver.yaml.in" "$data/homeserver.yaml" "$data" "$port" "$sec" "$limits" <<'PY'
import sys
src, dst, data, port, sec, limits = sys.argv[1:]
text = open(src).read()
text = text.replace("@RATELIMITS@", open(limits).read())
text = text.replace("@DATA@", data).replace("@PORT@", port).replace("@SECRET@", sec)
open(dst, "w").write(text)
PY
    sed "s|@DATA@|$data|g" "$TEMPLATES/log.config.in" > "$data/log.config"
    (umask 077; sed -e "s|@AS_TOKEN@|$(secret as_token)|" -e "s|@HS_TOKEN@|$(secret hs_token)|" \
        "$TEMPLATES/appservice.yaml.in" > "$data/appservice.yaml")
    if [[ ! -s "$data/localhost.signing.key" ]]; then
        "$VENV/bin/python" -m synapse.app.homeserver -c "$data/homeserver.yaml" --generate-keys >/dev/null
    fi
}

install() {
    if [[ ! -x "$VENV/bin/register_new_matrix_user" ]]; then
        log "installing matrix-synapse into $VENV"
        python3 -m venv "$VENV"
        "$VENV/bin/pip" install --quiet --disable-pip-version-check --upgrade pip </dev/null
        "$VENV/bin/pip" install --quiet --disable-pip-version-check matrix-synapse </dev/null
    fi
    for p in "${PROFILES[@]}"; do render "${p%%:*}" "${p##*:}"; done
    log "installed ($("$VENV/bin/python" -c 'import synapse; print(synapse.__version__)'))"
}

running() { # profile
    local pidfile="$BASE/$1/homeserver.pid"
    [[ -s "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

wait_up() { # port
    for _ in $(seq 1 120); do
        if python3 -c "import sys,urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)" "http://127.0.0.1:$1/_matrix/client/versions" 2>/dev/null; then return 0; fi
        sleep 0.5
    done
    log "synapse on port $1 did not answer within 60 s; see $BASE/*/homeserver.log"
    return 1
}

start() {
    [[ -x "$VENV/bin/register_new_matrix_user" ]] || install
    local sec; sec="$(secret)"
    for p in "${PROFILES[@]}"; do
        local profile="${p%%:*}" port="${p##*:}"
        render "$profile" "$port"
        if running "$profile"; then
            log "$profile limits already running on :$port"
        else
            log "starting $profile limits on :$port"
            "$VENV/bin/python" -m synapse.app.homeserver -c "$BASE/$profile/homeserver.yaml" --daemonize \
                </dev/null >>"$BASE/$profile/stdout.log" 2>&1
        fi
    done
    for p in "${PROFILES[@]}"; do
        local port="${p##*:}"
        wait_up "$port"
        for u in "${USERS[@]}"; do
            IFS=: read -r name pass admin <<<"$u"
            "$VENV/bin/register_new_matrix_user" -u "$name" -p "$pass" "$admin" --exists-ok \
                -k "$sec" "http://127.0.0.1:$port" </dev/null >/dev/null
        done
    done
    log "ready: raised limits on :8008, default limits on :8009"
}

stop() {
    for p in "${PROFILES[@]}"; do
        local profile="${p%%:*}" pidfile="$BASE/${p%%:*}/homeserver.pid"
        if running "$profile"; then
            local pid; pid="$(cat "$pidfile")"
            kill "$pid"
            for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
            log "stopped $profile"
        fi
    done
}

status() {
    for p in "${PROFILES[@]}"; do
        if running "${p%%:*}"; then echo "${p%%:*} :${p##*:} running"; else echo "${p%%:*} :${p##*:} stopped"; fi
    done
}

env_vars() {
    cat <<VARS
export TREECAST_TEST_MATRIX_URL=http://127.0.0.1:8008
export TREECAST_TEST_MATRIX_DEFAULT_LIMITS_URL=http://127.0.0.1:8009
export TREECAST_TEST_MATRIX_SECRET=$(secret)
export TREECAST_TEST_MATRIX_BOT=@bot:localhost
export TREECAST_TEST_MATRIX_BOT_PASSWORD=botpass
export TREECAST_TEST_MATRIX_OFFICIAL_PASSWORD=officialpass
export TREECAST_TEST_MATRIX_STUDENT1_PASSWORD=student1pass
export TREECAST_TEST_MATRIX_STUDENT2_PASSWORD=student2pass
export TREECAST_TEST_MATRIX_AS_USER=@treecast:localhost
export TREECAST_TEST_MATRIX_AS_TOKEN=$(secret as_token)
VARS
}

case "${1:-}" in
    install) install ;;
    start) start ;;
    stop) stop ;;
    status) status ;;
    env) env_vars ;;
    *) echo "usage: $0 install|start|stop|status|env" >&2; exit 2 ;;
esac
