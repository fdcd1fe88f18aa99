#!/usr/bin/env bash
# Before and after in the same run: bench/api.sh's scenarios against the API as of BASE_REV
# (built from a git worktree) and this tree's, over the same database, in turn, ROUNDS times,
# the order rotated each round so that neither always runs first. Prints the median requests
# per second, p50 and p99 of each scenario and variant, with the ratio to the base.
#
# Usage: bench/compare.sh BASE_REV [ROUNDS] [DURATION]
#   ROUNDS defaults to 3, DURATION of each scenario to 15s; MYSQL_URL as for bench/api.sh.
#   SCENARIOS picks bench/api.sh's scenarios (default "c"). VARIANTS adds runs of this tree
#   with settings, as words "NAME:SETTING=value,SETTING=value" (the variants "base" and "this"
#   always run). KEEP=1 keeps each run's log and results (and bench/api.sh's servers' logs)
#   in a directory named at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
base_rev="${1:?usage: bench/compare.sh BASE_REV [ROUNDS] [DURATION]}"
rounds="${2:-3}"
duration="${3:-15s}"
scenarios="${SCENARIOS:-c}"
target="${CARGO_TARGET_DIR:-$PWD/target}"
work="$(mktemp -d)"
cleanup() {
  git worktree remove --force "$work/base" 2> /dev/null || true
  if [ "${KEEP:-0}" = 1 ]; then echo "kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# The base build first, then this tree's, so that the runs below find this tree's built. The
# two trees' crates have the same names in the same target directory, and cargo judges a crate
# fresh by its sources' times: after the base build, this tree's older sources would pass for
# built and its runs would run the base. So each build starts by cleaning the workspace's crates
# (only those: the dependencies stay built).
clean_workspace() { cargo clean --release --quiet -p entity -p migration -p sixpotify-loader -p sixpotify-api; }
git worktree add --quiet --detach "$work/base" "$base_rev"
(cd "$work/base" && export CARGO_TARGET_DIR="$target" && clean_workspace && cargo build --release --quiet -p sixpotify-api)
cp "$target/release/sixpotify-api" "$work/base-api"
clean_workspace
cargo build --release --quiet -p sixpotify-loader -p sixpotify-api
if cmp -s "$work/base-api" "$target/release/sixpotify-api"; then
  echo "note: $base_rev and this tree built the same API binary" >&2
fi

names=(base this)
settings=("" "")
for v in ${VARIANTS:-}; do
  names+=("${v%%:*}")
  settings+=("$(tr ',' ' ' <<< "${v#*:}")")
done
count=${#names[@]}
for round in $(seq 1 "$rounds"); do
  for i in $(seq 0 $((count - 1))); do
    j=$(( (i + round) % count ))
    name="${names[$j]}"
    api_bin="$target/release/sixpotify-api"
    [ "$name" = base ] && api_bin="$work/base-api"
    echo "round $round: $name"
    API_BIN="$api_bin" API_ENV="${settings[$j]}" SCENARIOS="$scenarios" \
      RESULTS_OUT="$work/$name.$round.tsv" LOGS_OUT="$work/$name.$round.servers" \
      bench/api.sh "$duration" > "$work/$name.$round.log" 2>&1 \
      || { cat "$work/$name.$round.log"; exit 1; }
  done
done

python3 - "$work" "$rounds" "${names[@]}" <<'PY'
import csv, statistics, sys
work, rounds, names = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
rows, scenarios = {}, []
for name in names:
    for r in range(1, rounds + 1):
        with open(f"{work}/{name}.{r}.tsv") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                if row["scenario"] not in scenarios:
                    scenarios.append(row["scenario"])
                rows.setdefault((row["scenario"], name), []).append(row)
def med(key, scenario, name):
    return statistics.median(float(x[key]) for x in rows[(scenario, name)])
print(f"median of {rounds} rounds")
print(f"{'scenario':<28}{'variant':<8}{'req/s':>9}{'p50_ms':>9}{'p99_ms':>9}{'sql/req':>9}{'prepares':>9}{'errors':>8}{'ratio':>8}")
for scenario in scenarios:
    base = med("req/s", scenario, "base")
    for name in names:
        errors = sum(int(x["http_errors"]) + int(x["graphql_errors"]) for x in rows[(scenario, name)])
        rps = med("req/s", scenario, name)
        print(f"{scenario:<28}{name:<8}{rps:>9.0f}{med('p50_ms', scenario, name):>9.2f}"
              f"{med('p99_ms', scenario, name):>9.2f}{med('sql/req', scenario, name):>9.2f}"
              f"{med('prepares', scenario, name):>9.0f}{errors:>8}{rps / base:>8.2f}")
PY
