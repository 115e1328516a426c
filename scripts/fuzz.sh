#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 60) from the committed seeds
# plus a local corpus (fuzz/corpus, not committed). Needs cargo-fuzz; the
# stable toolchain takes the nightly flags with RUSTC_BOOTSTRAP=1.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../fuzz"
secs="${1:-60}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz
export RUSTC_BOOTSTRAP=1
cargo fuzz build -O
for t in command email survey_def answers csv_import store_decode; do
    mkdir -p "corpus/$t"
    seeds=()
    [ -d "seeds/$t" ] && seeds=("seeds/$t")
    echo "== $t for ${secs}s"
    cargo fuzz run -O "$t" "corpus/$t" "${seeds[@]}" -- -max_total_time="$secs" -rss_limit_mb=4096 2>&1 | grep -E "^Done|ERROR|panicked" || true
done
