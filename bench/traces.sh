#!/usr/bin/env bash
# What traces cost on the API's hot path: bench/api.sh's scenarios b (a repeated query, answered
# from the response cache), d (the nested query, likewise) and d executed (the nested query
# with no response cache: parsed, validated and executed through the DataLoader every time),
# against three APIs over the same database, in turn, ROUNDS times, the order rotated each round:
#
#   base  the API as of BASE_REV (a commit before traces existed), built from a git worktree
#   off   this tree with --otlp-endpoint unset, the default
#   on    this tree exporting every span (all sampled) to a local OTLP sink (bench/otlp_sink.py)
#
# Prints the median requests per second, p50 and p99 of each, and off/base and on/base.
#
# Usage: bench/traces.sh BASE_REV [ROUNDS] [DURATION]
#   ROUNDS defaults to 3, DURATION of each scenario to 15s; MYSQL_URL as for bench/api.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
base_rev="${1:?usage: bench/traces.sh BASE_REV [ROUNDS] [DURATION]}"
rounds="${2:-3}"
duration="${3:-15s}"
target="${CARGO_TARGET_DIR:-$PWD/target}"
sink_port="${SINK_PORT:-14318}"
work="$(mktemp -d)"
sink=""
cleanup() {
  [ -n "$sink" ] && kill "$sink" 2> /dev/null
  git worktree remove --force "$work/base" 2> /dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# The base build first, then this tree's, so that the runs below find this tree's built.
git worktree add --quiet --detach "$work/base" "$base_rev"
(cd "$work/base" && CARGO_TARGET_DIR="$target" cargo build --release --quiet -p sixpotify-api)
cp "$target/release/sixpotify-api" "$work/base-api"
cargo build --release --quiet -p sixpotify-loader -p sixpotify-api

python3 bench/otlp_sink.py "$sink_port" "$work/sink.counts" &
sink=$!

variants=(base off on)
for round in $(seq 1 "$rounds"); do
  for i in 0 1 2; do
    variant="${variants[$(( (i + round) % 3 ))]}"
    case "$variant" in
      base) api_bin="$work/base-api"; api_env="" ;;
      off) api_bin="$target/release/sixpotify-api"; api_env="" ;;
      on) api_bin="$target/release/sixpotify-api"; api_env="SIXPOTIFY_OTLP_ENDPOINT=http://127.0.0.1:$sink_port" ;;
    esac
    echo "round $round: $variant"
    API_BIN="$api_bin" API_ENV="$api_env" SCENARIOS="b d" RESULTS_OUT="$work/$variant.$round.tsv" \
      bench/api.sh "$duration" > "$work/$variant.$round.log" 2>&1 \
      || { cat "$work/$variant.$round.log"; exit 1; }
  done
done
kill "$sink"; wait "$sink" 2> /dev/null || true; sink=""
read -r exports bytes < "$work/sink.counts"
echo "the sink received $exports exports ($bytes bytes)"

python3 - "$work" "$rounds" <<'PY'
import csv, statistics, sys
work, rounds = sys.argv[1], int(sys.argv[2])
rows = {}
for variant in ("base", "off", "on"):
    for r in range(1, rounds + 1):
        with open(f"{work}/{variant}.{r}.tsv") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                rows.setdefault((row["scenario"], variant), []).append(row)
def med(key, scenario, variant):
    return statistics.median(float(x[key]) for x in rows[(scenario, variant)])
print(f"median of {rounds} rounds")
print(f"{'scenario':<26}{'variant':<8}{'req/s':>9}{'p50_ms':>9}{'p99_ms':>9}{'errors':>8}{'ratio':>8}")
for scenario in ("b_hot_query", "d_nested_query", "d_nested_query_executed"):
    base = med("req/s", scenario, "base")
    for variant in ("base", "off", "on"):
        errors = sum(int(x["http_errors"]) + int(x["graphql_errors"]) for x in rows[(scenario, variant)])
        rps = med("req/s", scenario, variant)
        print(f"{scenario:<26}{variant:<8}{rps:>9.0f}{med('p50_ms', scenario, variant):>9.2f}"
              f"{med('p99_ms', scenario, variant):>9.2f}{errors:>8}{rps / base:>8.2f}")
PY
