#!/usr/bin/env bash
# Refreshes the GraphiQL assets the API embeds, from the npm packages pinned in
# api/assets/graphiql/package.json. The copies are committed so that building and running the
# API needs no network.
set -euo pipefail
dir="$(cd "$(dirname "$0")/../api/assets/graphiql" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$dir/package.json" "$work/"
[ -f "$dir/package-lock.json" ] && cp "$dir/package-lock.json" "$work/"
(cd "$work" && npm install --no-audit --no-fund --ignore-scripts >/dev/null)
cp "$work/package-lock.json" "$dir/"
mkdir -p "$dir/dist"
cp "$work/node_modules/graphiql/graphiql.min.js" \
   "$work/node_modules/graphiql/graphiql.min.css" \
   "$work/node_modules/react/umd/react.production.min.js" \
   "$work/node_modules/react-dom/umd/react-dom.production.min.js" \
   "$dir/dist/"
# The bundles point at source maps that are not shipped.
sed -i '/^\/\/# sourceMappingURL=/d; s|//# sourceMappingURL=[^ ]*$||; s|/\*# sourceMappingURL=[^*]*\*/||' "$dir"/dist/*
for pkg in graphiql react react-dom; do
  cp "$work/node_modules/$pkg/LICENSE" "$dir/dist/LICENSE.$pkg"
done
echo "vendored into $dir/dist:"
ls -la "$dir/dist"
