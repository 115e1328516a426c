#!/usr/bin/env bash
# Makes the web console's screenshots in docs/screenshots/ again (after a UI
# change): starts the chromium peer and runs the browser test against
# `treecast demo --web`, which copies the main pages there.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/peers/chromium.sh install
scripts/peers/chromium.sh start || true   # a driver already answering on the port is used as it is
eval "$(scripts/peers/chromium.sh env)"
TREECAST_SCREENSHOTS="$PWD/docs/screenshots" \
    cargo test --all-features --test web_browser -- --include-ignored --nocapture
ls -l docs/screenshots
