#!/usr/bin/env bash
# What traces cost on the API's hot path: bench/api.sh's scenarios b (a repeated query, answered
# from the response cache), d (the nested query, likewise) and d executed (the nested query
# with no response cache: parsed, validated and executed through the DataLoader every time),
# through bench/compare.sh, against three APIs over the same database, in turn, ROUNDS times:
#
#   base  the API as of BASE_REV (a commit before traces existed), built from a git worktree
#   this  this tree with --otlp-endpoint unset, the default: traces off
#   on    this tree exporting every span (all sampled) to a local OTLP sink (bench/otlp_sink.py)
#
# Usage: bench/traces.sh BASE_REV [ROUNDS] [DURATION]
#   as bench/compare.sh; SINK_PORT (default 14318) is the sink's.
set -euo pipefail
cd "$(dirname "$0")/.."
sink_port="${SINK_PORT:-14318}"
counts="$(mktemp)"
python3 bench/otlp_sink.py "$sink_port" "$counts" &
sink=$!
trap 'kill "$sink" 2> /dev/null || true; rm -f "$counts"' EXIT
VARIANTS="on:SIXPOTIFY_OTLP_ENDPOINT=http://127.0.0.1:$sink_port" SCENARIOS="${SCENARIOS:-b d}" \
  bench/compare.sh "$@"
kill "$sink"; wait "$sink" 2> /dev/null || true
read -r exports bytes < "$counts"
echo "the sink received $exports exports ($bytes bytes)"
