#!/usr/bin/env bash
# Makes the user guide's screenshots (docs/guide/screenshots.md lists them)
# from real clients talking to the project's real peers, with `treecast serve`
# running in between. Nothing is drawn or mocked up:
#
#   docs/screenshots/guide/bind-matrix.png    nheko (Debian's Matrix desktop client) under Xvfb,
#   docs/screenshots/guide/notice-matrix.png  logged in to the Synapse peer as the branch secretary:
#                                             she types `!bind CODE` in the room, the bot answers
#                                             and sets the emblem; then a notice arrives and a
#                                             member acknowledges it with 收到
#   docs/screenshots/guide/notice-email.png   neomutt in an xterm under Xvfb, reading a list
#                                             member's mailbox on the Dovecot peer: the same notice
#
# The Telegram slots cannot be made this way: no Telegram client speaks to the
# Bot API emulator (docs/guide/screenshots.md says why).
#
# Usage: scripts/guide-screenshots.sh        (as root on Debian; not part of CI)
# It apt-get installs what it lacks, builds treecast (release, every adapter;
# CARGO_TARGET_DIR is honoured, TREECAST_BIN skips the build), starts the
# matrix and email peers with their own scripts and stops the ones it started.
# Re-runnable: its state lives in .peers/guide-shots/ and is made afresh.
# Passwords come from the environment: the matrix peer's `env` prints the
# Matrix ones; the email peer's test mailboxes default to <name>pass
# (GUIDE_SHOTS_BOT_IMAP_PASSWORD, GUIDE_SHOTS_MEMBER_IMAP_PASSWORD override).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
OUT="$ROOT/docs/screenshots/guide"
WORK="$ROOT/.peers/guide-shots"
HELPERS="$ROOT/scripts/guide-shots"
DISPLAY_NO="${GUIDE_SHOTS_DISPLAY:-:77}"
ADMIN_PORT="${GUIDE_SHOTS_ADMIN_PORT:-18391}"
MEDIA_PROXY_PORT="${GUIDE_SHOTS_MEDIA_PROXY_PORT:-18008}"
SCREEN_W=1280
SCREEN_H=800
BRANCH=4143010532-003
LIST=jingji2401@lists.example.test
MEMBER_BOX=branch-c1
PACKAGES=(xvfb x11-utils imagemagick xdotool pngquant nheko gnome-keyring dbus-x11 neomutt xterm
          fonts-noto-cjk fonts-noto-color-emoji fonts-dejavu-core python3)

log() { echo "guide-screenshots: $*" >&2; }
die() { log "$*"; exit 1; }

# --- what it needs ---------------------------------------------------------

install_packages() {
    local missing=() p
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    if ((${#missing[@]})); then
        log "installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get -o DPkg::Lock::Timeout=300 update -qq >/dev/null
        apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null
    fi
}

build() {
    if [[ -n "${TREECAST_BIN:-}" ]]; then
        BIN="$TREECAST_BIN"
    else
        log "building treecast (release, every adapter)"
        cargo build --release --features all-adapters -p treecast --bin treecast
        BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/treecast"
    fi
    [[ -x "$BIN" ]] || die "no treecast binary at $BIN"
}

# --- processes it starts, stopped at exit ----------------------------------

PIDS=()
STARTED_PEERS=()
cleanup() {
    local status=$? pid
    if ((status != 0)) && [[ -n "${DISPLAY:-}" ]] && xdpyinfo >/dev/null 2>&1; then
        import -window root "$WORK/failed.png" 2>/dev/null && log "the screen at the failure: ${WORK#$ROOT/}/failed.png"
    fi
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
        pid="${PIDS[$i]}"
        # Each was started with setsid: end its whole process group.
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    done
    for p in "${STARTED_PEERS[@]}"; do scripts/peers/$p.sh stop >/dev/null 2>&1 || true; done
}
trap cleanup EXIT

spawn() { # logfile command...: in its own process group, remembered for cleanup
    local logfile="$1"; shift
    setsid "$@" </dev/null >>"$logfile" 2>&1 &
    PIDS+=($!)
    LAST_PID=$!
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_peers() {
    local status
    status="$(scripts/peers/matrix.sh status)"
    if [[ "$status" != *"raised :8008 running"* ]]; then
        STARTED_PEERS+=(matrix)
    fi
    scripts/peers/matrix.sh start
    if ! port_open 1143; then STARTED_PEERS+=(email); fi
    scripts/peers/email.sh install
    scripts/peers/email.sh start
    eval "$(scripts/peers/matrix.sh env)"
    eval "$(scripts/peers/email.sh env)"
}

# --- treecast ----------------------------------------------------------------

write_config() {
    cat >"$WORK/treecast.toml" <<TOML
data_dir = "$WORK/data"

[console]
enabled = false

[admin]
listen = "127.0.0.1:$ADMIN_PORT"

[web]
listen = ""

[email]
enabled = true
address = "bot@$TREECAST_TEST_EMAIL_DOMAIN"
display_name = "团委通知机器人"
imap_host = "127.0.0.1"
imap_port = $TREECAST_TEST_IMAP_PORT
imap_user = "bot"
smtp_host = "127.0.0.1"
smtp_port = $TREECAST_TEST_SMTP_PORT
smtp_user = ""
security = "plain"
state_dir = "$WORK/data/email"
poll_seconds = 5

[matrix]
enabled = true
homeserver = "$TREECAST_TEST_MATRIX_URL"
user_id = "$TREECAST_TEST_MATRIX_BOT"
device_name = "treecast"
store_dir = "$WORK/data/matrix"
sync_timeout_secs = 5
TOML
}

tc() { "$BIN" --config "$WORK/treecast.toml" "$@"; }

# The guide's story (docs/guide): 湖南大学团委 and its branch 4143010532-003
# 经济学2024级1班团支部, whose secretary 陈静 uses Matrix and whose members
# also get notices by mail; 湖南省团委学校部 张老师 posts.
make_tree() {
    {
        head -n 1 config/universities.csv
        grep '^4143010532,' config/universities.csv
    } >"$WORK/schools.csv"
    tc tree generate --schools "$WORK/schools.csv" --branches 3
    tc person add "湖南省团委学校部 张老师" --id email:hunan-official@example.test --official 43
    tc person add "陈静" --id "matrix:@student1:localhost" --official "$BRANCH"
    tc person add "赵敏" --id "matrix:@student2:localhost" --member "$BRANCH"
    tc org bind-list "$BRANCH" --list "$LIST" --members "$MEMBER_BOX@example.test,branch-c2@example.test"
}

start_serve() {
    export TREECAST_ADMIN_TOKEN
    TREECAST_ADMIN_TOKEN="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
    TREECAST_MATRIX_PASSWORD="$TREECAST_TEST_MATRIX_BOT_PASSWORD" \
    TREECAST_IMAP_PASSWORD="${GUIDE_SHOTS_BOT_IMAP_PASSWORD:-botpass}" \
        spawn "$WORK/serve.log" "$BIN" --config "$WORK/treecast.toml" serve
    SERVE_PID=$LAST_PID
    for _ in $(seq 1 300); do
        port_open "$ADMIN_PORT" && return 0
        kill -0 "$SERVE_PID" 2>/dev/null || { tail -n 30 "$WORK/serve.log" >&2; die "treecast serve exited"; }
        sleep 0.2
    done
    die "treecast serve did not open its admin port in 60 s; see $WORK/serve.log"
}

# --- the screen --------------------------------------------------------------

start_x() {
    export DISPLAY="$DISPLAY_NO"
    if xdpyinfo >/dev/null 2>&1; then die "display $DISPLAY is taken (set GUIDE_SHOTS_DISPLAY)"; fi
    spawn "$WORK/xvfb.log" Xvfb "$DISPLAY" -screen 0 "${SCREEN_W}x${SCREEN_H}x24" -nolisten tcp
    for _ in $(seq 1 50); do xdpyinfo >/dev/null 2>&1 && return 0; sleep 0.1; done
    die "Xvfb did not start; see $WORK/xvfb.log"
}

window_of() { # name pattern: the first visible window whose name matches
    local w
    for _ in $(seq 1 100); do
        w="$(xdotool search --onlyvisible --name "$1" 2>/dev/null | head -n 1 || true)"
        [[ -n "$w" ]] && { echo "$w"; return 0; }
        sleep 0.2
    done
    die "no window named $1"
}

# peek NAME: the whole screen into the work dir, to see what went wrong.
PEEKS=0
peek() { PEEKS=$((PEEKS + 1)); import -window root "$WORK/peek-$PEEKS-$1.png" 2>/dev/null || true; }

# pixel X Y: the colour on the screen there, as #RRGGBB.
pixel() { import -window root -crop "1x1+$1+$2" -depth 8 txt:- 2>/dev/null | grep -oE '#[0-9A-F]{6}' | head -n 1; }

# shot WINDOW FILE: the window as a PNG, made small.
shot() {
    local tmp="$WORK/shot.png"
    import -window "$1" "$tmp"
    pngquant --force --quality=70-95 --speed 1 --strip --output "$2" "$tmp" 2>/dev/null || convert "$tmp" -strip "$2"
    log "wrote ${2#$ROOT/} ($(( $(stat -c %s "$2") / 1024 )) KB)"
}

# --- Matrix: nheko -------------------------------------------------------------

start_nheko() {
    local home="$WORK/nheko-home"
    mkdir -p "$home" "$WORK/run"
    chmod 700 "$WORK/run"
    python3 "$HELPERS/matrix.py" prepare "$home/.config/nheko/nheko.conf" "http://127.0.0.1:$MEDIA_PROXY_PORT"
    # nheko reaches Synapse through media-proxy.py: it turns nheko's old
    # unauthenticated media requests into authenticated ones (see there), so
    # the emblem shows; everything else passes through unchanged.
    GUIDE_MEDIA_TOKEN="$(sed -n 's/^access_token=//p' "$home/.config/nheko/nheko.conf")" \
        spawn "$WORK/media-proxy.log" python3 "$HELPERS/media-proxy.py" "$MEDIA_PROXY_PORT" "$TREECAST_TEST_MATRIX_URL"
    for _ in $(seq 1 50); do port_open "$MEDIA_PROXY_PORT" && break; sleep 0.1; done
    # nheko keeps its encryption secrets in a Secret Service: a keyring of its
    # own, on a session bus of its own.
    cat >"$WORK/nheko-session.sh" <<SH
#!/usr/bin/env bash
export HOME="$home" XDG_RUNTIME_DIR="$WORK/run" DISPLAY="$DISPLAY" LANG=zh_CN.UTF-8 LANGUAGE=zh_CN TZ=Asia/Shanghai
eval "\$(printf '%s' "\$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" | gnome-keyring-daemon --unlock --components=secrets)"
exec nheko
SH
    chmod +x "$WORK/nheko-session.sh"
    spawn "$WORK/nheko.log" dbus-run-session -- "$WORK/nheko-session.sh"
    NHEKO="$(window_of '^nheko$')"
    xdotool windowmove "$NHEKO" 0 0 windowsize "$NHEKO" "$SCREEN_W" "$SCREEN_H"
    # First start of a new device: nheko offers to set up encryption, in a
    # white sheet over the whole window. Not now: its Cancel button, bottom
    # right. The sheet is there when the dark room list turns white.
    for _ in $(seq 1 40); do
        sleep 0.5
        if [[ "$(pixel 30 $((SCREEN_H / 2)))" == "#FFFFFF" ]]; then
            sleep 1
            xdotool mousemove $((SCREEN_W - 66)) $((SCREEN_H - 41)) click 1
            sleep 1
            break
        fi
    done
    peek nheko-started
}

matrix_shots() {
    local room code topic ack
    start_nheko
    room="$(python3 "$HELPERS/matrix.py" room)"
    log "room $room made; the bot joined"
    code="$(tc org invite "$BRANCH" | tee "$WORK/invite.txt" | grep -oE '/bind [A-Z0-9]+' | head -n 1 | cut -d' ' -f2)"
    [[ -n "$code" ]] || { cat "$WORK/invite.txt" >&2; die "no bind code in treecast's answer"; }
    log "bind code $code"
    sleep 2
    peek room-made
    # 陈静 closes the banner "encryption is not set up", opens the room
    # (the only one in her list) and types the command.
    xdotool mousemove 265 84 click 1
    sleep 1
    xdotool mousemove 166 90 click 1
    sleep 2
    peek room-opened
    xdotool mousemove $((SCREEN_W / 2 + 150)) $((SCREEN_H - 25)) click 1
    sleep 0.5
    xdotool type --delay 60 "!bind $code"
    peek typed
    xdotool key Return
    topic="$(python3 "$HELPERS/matrix.py" wait-bound "$room")"
    log "bound; the room's topic: $topic"
    sleep 4
    xdotool mousemove $((SCREEN_W - 5)) $((SCREEN_H / 2))
    sleep 1
    shot "$NHEKO" "$OUT/bind-matrix.png"

    printf '各高校团委、各团支部：\n请于11月30日前完成团员教育评议，并回复“收到”。\n' >"$WORK/notice.txt"
    tc notice post --org 43 --title 关于开展团员教育评议的通知 --body-file "$WORK/notice.txt" \
        --author email:hunan-official@example.test
    ack="$(python3 "$HELPERS/matrix.py" wait-notice "$room")"
    log "acknowledged: $ack"
    sleep 4
    shot "$NHEKO" "$OUT/notice-matrix.png"
}

# --- email: neomutt ---------------------------------------------------------------

email_shot() {
    local term
    # The member's mailbox starts empty each run; wait for the notice in it.
    GUIDE_IMAP_PASSWORD="${GUIDE_SHOTS_MEMBER_IMAP_PASSWORD:-${MEMBER_BOX}pass}" \
        python3 "$HELPERS/mailbox.py" wait "$MEMBER_BOX" 关于开展团员教育评议的通知
    sed -e "s|@USER@|$MEMBER_BOX|g" -e "s|@PORT@|$TREECAST_TEST_IMAP_PORT|g" -e "s|@WORK@|$WORK|g" \
        "$HELPERS/neomuttrc.in" >"$WORK/neomuttrc"
    mkdir -p "$WORK/mutt-home"
    # Latin in DejaVu Sans Mono, Chinese (double width) in Noto Sans Mono CJK.
    HOME="$WORK/mutt-home" LANG=C.UTF-8 LC_ALL=C.UTF-8 TZ=Asia/Shanghai \
    GUIDE_IMAP_PASSWORD="${GUIDE_SHOTS_MEMBER_IMAP_PASSWORD:-${MEMBER_BOX}pass}" \
        spawn "$WORK/xterm.log" xterm -title neomutt -geometry 96x30+0+0 \
            -fa 'DejaVu Sans Mono' -fd 'Noto Sans Mono CJK SC' -fs 12 -bg white -fg black +sb \
            -e neomutt -n -F "$WORK/neomuttrc"
    term="$(window_of '^neomutt$')"
    sleep 4
    # No window manager: give the xterm the keyboard (nheko took it) and type
    # as a person would (xterm ignores keys sent to it with XSendEvent).
    xdotool windowraise "$term" windowfocus --sync "$term"
    xdotool mousemove 300 300
    sleep 0.3
    xdotool key Return
    sleep 3
    shot "$term" "$OUT/notice-email.png"
}

main() {
    [[ $EUID -eq 0 ]] || die "run as root (it apt-get installs its tools)"
    install_packages
    build
    start_peers
    rm -rf "$WORK"
    mkdir -p "$WORK" "$OUT"
    GUIDE_IMAP_PASSWORD="${GUIDE_SHOTS_MEMBER_IMAP_PASSWORD:-${MEMBER_BOX}pass}" \
        python3 "$HELPERS/mailbox.py" empty "$MEMBER_BOX"
    write_config
    make_tree
    start_serve
    start_x
    matrix_shots
    email_shot
    ls -l "$OUT"
}

main "$@"
