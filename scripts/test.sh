#!/usr/bin/env bash
# Every test of treecast: installs and starts the real peers (Postfix +
# Dovecot, Synapse, the Telegram emulator behind our compatibility layer,
# nats-server for the delivery workers, headless Chromium behind
# chromedriver for the browser tests),
# then runs the whole workspace's tests, peer tests included. Needs root for
# apt-get on a fresh machine; everything listens on 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PEERS="email telegram matrix nats chromium"
stop_peers() {
    for p in $PEERS; do scripts/peers/$p.sh stop >/dev/null 2>&1 || true; done
}
trap stop_peers EXIT

started=$(date +%s)
for p in $PEERS; do
    echo "== peer $p: install and start"
    scripts/peers/$p.sh install
    scripts/peers/$p.sh start
    eval "$(scripts/peers/$p.sh env)"
done
echo "== peers up in $(( $(date +%s) - started )) s"

# The whole workspace with every adapter; peer tests are #[ignore]d in a
# plain `cargo test` and run here.
cargo test --workspace --all-features --no-fail-fast -- --include-ignored
echo "== tests done in $(( $(date +%s) - started )) s"

# Every fuzz target for 30 s from the committed corpus (fails on a crash).
scripts/fuzz.sh 30
echo "== all tests and fuzzing done in $(( $(date +%s) - started )) s"
