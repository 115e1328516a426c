#!/usr/bin/env bash
# The email peer for treecast's tests: Postfix (SMTP) + Dovecot (IMAP/LMTP),
# run from config dirs under .peers/email/ in the repo, never as /etc services.
#
#   scripts/peers/email.sh install   apt-get install postfix dovecot (root, non-interactive)
#   scripts/peers/email.sh start     write configs, start both, wait for the ports
#   scripts/peers/email.sh stop      stop both
#   scripts/peers/email.sh env       print `export TREECAST_TEST_...` lines for the tests
#
# Ports (all 127.0.0.1): SMTP 2525 (no auth, loopback), 2587 (AUTH via Dovecot),
# IMAP 1143 (plaintext), LMTP 2424. Domains: example.test (mailboxes),
# scenario.test (the end-to-end scenario's own bot: bot@ and notice+*@ land in
# the `scenario` mailbox, apart from the adapter tests' `bot`), bridge.test
# (the bridge crash test's bot, tests/bridge_crash.rs: mailbox `bridgebot`),
# sink.test (accepts and discards, for benchmarks). Users: see USERS below,
# password = name + "pass". Mail to any other domain fails: default_transport = error.
# Sender proof: mail submitted with AUTH on 2587 arrives with
# `Authentication-Results: mail.example.test; auth=pass smtp.auth=<user>@example.test`;
# every Authentication-Results header a sender wrote is removed (docs/adapters/email.md).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TEMPLATES="$ROOT/peers/email"
DIR="$ROOT/.peers/email"
USERS="bot official student1 student2 branch-a1 branch-a2 branch-b1 postmaster scenario hunan-official hnu-official branch-c1 branch-c2 bridgebot bridge-m1 bridge-m2"

log() { echo "email peer: $*" >&2; }

install() {
    if command -v postfix >/dev/null && command -v dovecot >/dev/null && [ -x /usr/lib/dovecot/lmtp ]; then
        log "postfix and dovecot already installed"
        return
    fi
    export DEBIAN_FRONTEND=noninteractive
    # Keep the packages from starting their /etc services.
    local policy_added=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        policy_added=1
    fi
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends postfix dovecot-imapd dovecot-lmtpd </dev/null >/dev/null
    if [ -n "$policy_added" ]; then rm -f /usr/sbin/policy-rc.d; fi
    log "installed"
}

render() { sed -e "s|@DIR@|$DIR|g" -e "s|@STAMP@|$(stamp)|g" "$1" > "$2"; }

# The header name smtpd marks authenticated submissions with (sasl_stamp.in):
# random, made once per peer directory, so no sender can write it.
stamp() {
    local f="$DIR/sasl-stamp"
    if [ ! -s "$f" ]; then
        (umask 077; echo "Treecast-Sasl-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" > "$f")
    fi
    cat "$f"
}

configure() {
    mkdir -p "$DIR"/{postfix,dovecot,spool,data,log,run,state,mail}
    render "$TEMPLATES/main.cf.in" "$DIR/postfix/main.cf"
    cp "$TEMPLATES/master.cf" "$DIR/postfix/master.cf"
    render "$TEMPLATES/dovecot.conf.in" "$DIR/dovecot/dovecot.conf"
    render "$TEMPLATES/sasl_stamp.in" "$DIR/postfix/sasl_stamp"
    render "$TEMPLATES/submission_header_checks.in" "$DIR/postfix/submission_header_checks"
    chmod 0600 "$DIR/postfix/sasl_stamp" "$DIR/postfix/submission_header_checks"
    cp "$TEMPLATES/header_checks" "$TEMPLATES/transport" "$TEMPLATES/virtual" "$DIR/postfix/"
    : > "$DIR/postfix/vmailbox"
    : > "$DIR/dovecot/users"
    for u in $USERS; do
        echo "$u@example.test OK" >> "$DIR/postfix/vmailbox"
        echo "$u:{PLAIN}${u}pass::::::" >> "$DIR/dovecot/users"
    done
    # notice+<org-code>@example.test: posting address, delivered into the bot's mailbox.
    echo "notice@example.test OK" >> "$DIR/postfix/vmailbox"
    echo "notice:{PLAIN}!nologin::::::userdb_home=$DIR/mail/bot userdb_mail=maildir:$DIR/mail/bot/Maildir" >> "$DIR/dovecot/users"
    chown -R mail:mail "$DIR/mail"
    chown root:root "$DIR/spool"
    chown postfix:postfix "$DIR/data"
    chmod 0644 "$DIR/dovecot/users"
    touch "$DIR/log/postfix.log"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_ports() {
    local p i
    for p in 2525 2587 1143 2424; do
        for i in $(seq 1 100); do
            port_open "$p" && break
            sleep 0.1
        done
        port_open "$p" || { log "port $p did not open; see $DIR/log"; exit 1; }
    done
}

start() {
    command -v postfix >/dev/null || install
    configure
    if postfix -c "$DIR/postfix" status >/dev/null 2>&1; then
        postfix -c "$DIR/postfix" reload </dev/null >/dev/null 2>&1 || true
    else
        # Postfix prints fatal errors only to a terminal: run it under script(1).
        if ! script -qec "postfix -c '$DIR/postfix' start" /dev/null </dev/null > "$DIR/log/postfix-start.out" 2>&1; then
            cat "$DIR/log/postfix-start.out" >&2
            exit 1
        fi
    fi
    # After Postfix: Dovecot's SASL socket lives in Postfix's spool/private.
    if ! port_open 1143; then
        dovecot -c "$DIR/dovecot/dovecot.conf" </dev/null >/dev/null 2>&1
    fi
    wait_ports
    log "running (SMTP 127.0.0.1:2525 and :2587, IMAP 127.0.0.1:1143)"
}

stop() {
    if [ -f "$DIR/postfix/main.cf" ]; then
        postfix -c "$DIR/postfix" stop </dev/null >/dev/null 2>&1 || true
    fi
    if [ -f "$DIR/run/dovecot/master.pid" ]; then
        kill "$(cat "$DIR/run/dovecot/master.pid")" 2>/dev/null || true
        for _ in $(seq 1 50); do port_open 1143 || break; sleep 0.1; done
    fi
    log "stopped"
}

env_lines() {
    cat <<EOF
export TREECAST_TEST_SMTP_HOST=127.0.0.1
export TREECAST_TEST_SMTP_PORT=2525
export TREECAST_TEST_SUBMISSION_PORT=2587
export TREECAST_TEST_IMAP_PORT=1143
export TREECAST_TEST_EMAIL_DOMAIN=example.test
export TREECAST_TEST_SINK_DOMAIN=sink.test
export TREECAST_TEST_POSTFIX_LOG=$DIR/log/postfix.log
EOF
}

case "${1:-}" in
    install) install ;;
    start) start ;;
    stop) stop ;;
    env) env_lines ;;
    *) echo "usage: $0 install|start|stop|env" >&2; exit 2 ;;
esac
