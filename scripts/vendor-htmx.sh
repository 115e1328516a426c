#!/usr/bin/env bash
# Refreshes the web console's vendored htmx from its npm package (the
# console is served from the binary, with no CDN: a deployment may have no
# internet). Usage: scripts/vendor-htmx.sh [VERSION]   (default: 2.0.11)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VERSION="${1:-2.0.11}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "htmx.org@$VERSION" >/dev/null && tar xzf htmx.org-*.tgz)
cp "$tmp/package/dist/htmx.min.js" "$ROOT/src/web/static/htmx.min.js"
cp "$tmp/package/LICENSE" "$ROOT/src/web/static/htmx.LICENSE"
echo "htmx $VERSION: $(sha256sum "$ROOT/src/web/static/htmx.min.js" | cut -c1-16)…"
