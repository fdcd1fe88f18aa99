#!/usr/bin/env bash
# Refreshes Chart.js, which the dashboard embeds, from the npm package pinned in
# api/assets/dashboard/package.json. The copy is committed so that building and running the API
# needs no network.
set -euo pipefail
dir="$(cd "$(dirname "$0")/../api/assets/dashboard" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$dir/package.json" "$work/"
[ -f "$dir/package-lock.json" ] && cp "$dir/package-lock.json" "$work/"
(cd "$work" && npm install --no-audit --no-fund --ignore-scripts >/dev/null)
cp "$work/package-lock.json" "$dir/"
mkdir -p "$dir/dist"
cp "$work/node_modules/chart.js/dist/chart.umd.min.js" "$dir/dist/"
# The bundle points at a source map that is not shipped.
sed -i '/^\/\/# sourceMappingURL=/d' "$dir/dist/chart.umd.min.js"
cp "$work/node_modules/chart.js/LICENSE.md" "$dir/dist/LICENSE.chart.js"
echo "vendored into $dir/dist:"
ls -la "$dir/dist"
