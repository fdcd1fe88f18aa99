#!/usr/bin/env bash
# Sixpotify beside its peer: Seaography, the SeaORM team's GraphQL server, generated from the
# benchmark database with the two CLIs from crates.io (sea-orm-cli's `generate entity
# --seaography`, then seaography-cli), and driven with the same four queries as Sixpotify, one
# server at a time, wrk at 64 connections:
#
#   artists   20 artists with their genres
#   nested    50 artists with their genres and 10 tracks each, each track's album, artists and
#             audio features
#   lookup    a track by random id with its album, artists and audio features
#   filtered  the 20 most popular tracks with energy at least 0.8 and valence at most 0.4
#
# Sixpotify runs in three modes: deployed (every cache on), without the response cache, and
# with no cache at all (every request reaches MariaDB); Seaography has no cache. Each query
# warms up for WARM (default 10s) and then runs for DURATION; ROUNDS rounds, the servers'
# order rotated each round. Prints the median requests per second, p50 and p99 of each server
# and query, the responses that failed (HTTP errors or GraphQL errors), and the ratio of
# Sixpotify to Seaography.
#
# Usage: bench/peers.sh [DURATION] [DATASET.csv.gz]
#   DURATION defaults to 15s, ROUNDS to 1; MYSQL_URL (default mysql://root@127.0.0.1:3306)
#   names the server, whose database sixpotify_bench_peers is dropped and recreated.
#   PEERS_CACHE (default ~/.cache/sixpotify-peers) keeps the two CLIs, the generated server
#   and its build between runs: the first run installs and builds them (about 15 minutes on
#   two cores), later runs generate the server again and rebuild only its own crate.
#   SERVERS picks some of the servers (default "sixpotify sixpotify_no_response_cache
#   sixpotify_no_cache seaography"; the ratio needs seaography), API_BIN runs another build
#   of Sixpotify, and RESULTS_OUT keeps the results table (TSV) in that file.
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-15s}"
dataset="${2:-../shared/data/spotify_songs.csv.gz}"
rounds="${ROUNDS:-1}"
warm="${WARM:-10s}"
db=sixpotify_bench_peers
listen=18185
# shellcheck source=bench/lib.sh
. bench/lib.sh
cache="${PEERS_CACHE:-$HOME/.cache/sixpotify-peers}"
sea_orm_cli_version=2.0.4   # the sea-orm this workspace uses
seaography_version=2.0.0-rc.9  # the release for sea-orm 2 (pre-releases only so far)

read -r -a servers <<< "${SERVERS:-sixpotify sixpotify_no_response_cache sixpotify_no_cache seaography}"
import_dataset "$dataset"

# The peer, generated from the database as its users generate it.
if [[ " ${servers[*]} " == *" seaography "* ]]; then
  mkdir -p "$cache"
  if ! "$cache/bin/sea-orm-cli" --version 2> /dev/null | grep -q "$sea_orm_cli_version"; then
    cargo install --quiet --root "$cache" --locked sea-orm-cli --version "$sea_orm_cli_version" \
      --no-default-features --features codegen,sqlx-mysql,runtime-tokio
  fi
  if ! "$cache/bin/seaography-cli" --version 2> /dev/null | grep -q "$seaography_version"; then
    cargo install --quiet --root "$cache" --locked seaography-cli --version "$seaography_version"
  fi
  server_dir="$cache/server"
  rm -rf "$server_dir/src"
  "$cache/bin/sea-orm-cli" generate entity -u "$server/$db" -o "$server_dir/src/entities" --seaography \
    --tables artists,albums,tracks,track_artists,audio_features,genres,artist_genres,track_genres \
    > "$work/generate.log" 2>&1 || { cat "$work/generate.log"; exit 1; }
  "$cache/bin/seaography-cli" -o "$server_dir" -e "$server_dir/src/entities" -u "$server/$db" -f axum \
    sixpotify-seaography >> "$work/generate.log" 2>&1 || { cat "$work/generate.log"; exit 1; }
  # Two settings made equal for a fair run: the pool Sixpotify uses (16 connections; the
  # template takes sea-orm's default of 10), and no log line per SQL statement on stdout.
  perl -0pi -e 's/Database::connect\(&\*DATABASE_URL\)/Database::connect({ let mut o = sea_orm::ConnectOptions::new(DATABASE_URL.as_str()); o.max_connections(16).sqlx_logging(false); o })/; s/tracing::Level::INFO/tracing::Level::WARN/' \
    "$server_dir/src/main.rs"
  grep -q 'max_connections(16)' "$server_dir/src/main.rs" \
    || { echo "the generated server's main.rs changed shape: the pool setting did not apply" >&2; exit 1; }
  # seaography 2.0.0-rc.9 asks for async-graphql ~7.0.17 while the resolver takes the newest
  # derive, parser and value crates (7.2): the same release for all of them.
  (cd "$server_dir" && cargo generate-lockfile --quiet \
    && for c in async-graphql-derive async-graphql-parser async-graphql-value; do
         cargo update --quiet -p "$c" --precise "$(cargo tree -i async-graphql --depth 0 -e normal | awk '{ print substr($2, 2); exit }')"
       done \
    && CARGO_TARGET_DIR="$cache/target" cargo build --release --quiet)
fi
seaography_bin="$cache/target/release/sixpotify-seaography"

# The queries, in each server's dialect. Seaography has no lookup by id (a list filtered on the
# id instead), takes the id as a String, pages with `pagination`, names a relation by its table
# and filters on a related table's columns with `having`.
lua_list track_ids "SELECT id FROM tracks ORDER BY id"
write_common_lua
declare -A query
query[sixpotify.artists]='{ artists(first: 20) { edges { node { name popularity genres { name } } } } }'
query[seaography.artists]='{ artists(orderBy: {popularity: DESC}, pagination: {page: {limit: 20, page: 0}}) { edges { node { name popularity genres { nodes { name } } } } } }'
query[sixpotify.nested]='{ artists(first: 50) { edges { node { name genres { name } tracks(first: 10) { edges { node { name album { name } artists { name } audioFeatures { energy valence } } } } } } } }'
query[seaography.nested]='{ artists(orderBy: {popularity: DESC}, pagination: {page: {limit: 50, page: 0}}) { edges { node { name genres { nodes { name } } tracks(orderBy: {popularity: DESC}, pagination: {page: {limit: 10, page: 0}}) { edges { node { name albums { name } artists { nodes { name } } audioFeatures { energy valence } } } } } } } }'
query[sixpotify.lookup]='query Lookup($id: ID!) { track(id: $id) { name popularity durationMs album { name releaseDate } artists { name } audioFeatures { energy valence tempo } } }'
query[seaography.lookup]='query Lookup($id: String!) { tracks(filters: {id: {eq: $id}}) { nodes { name popularity durationMs albums { name releaseDate } artists { nodes { name } } audioFeatures { energy valence tempo } } } }'
query[sixpotify.filtered]='{ tracks(first: 20, filter: {audioFeatures: {energy: {min: 0.8}, valence: {max: 0.4}}}, orderBy: {field: POPULARITY, direction: DESC}) { edges { node { name popularity audioFeatures { energy valence } } } } }'
query[seaography.filtered]='{ tracks(having: {audioFeatures: {energy: {gte: 0.8}, valence: {lte: 0.4}}}, orderBy: {popularity: DESC}, pagination: {page: {limit: 20, page: 0}}) { edges { node { name popularity audioFeatures { energy valence } } } } }'
queries=(artists nested lookup filtered)
json() { python3 -c 'import json, sys; print(json.dumps(sys.argv[1]))' "$1"; }
for dialect in sixpotify seaography; do
  for q in "${queries[@]}"; do
    {
      echo "dofile(\"$work/common.lua\")"
      echo "dofile(\"$work/track_ids.lua\")"
      echo "q = $(json "${query[$dialect.$q]}")"
      if [ "$q" = lookup ]; then
        echo 'function request() return wrk.format(nil, nil, nil, graphql(q, "{\"id\":" .. json_string(track_ids[math.random(#track_ids)]) .. "}")) end'
      else
        echo 'wrk.body = graphql(q, "{}")'
      fi
      # A response that is not 200 or carries GraphQL errors counts as failed.
      cat <<'LUA'
local threads = {}
local base_setup = setup
function setup(thread) base_setup(thread); table.insert(threads, thread) end
failed = 0
function response(status, headers, body)
  if status ~= 200 or body:find('"errors"', 1, true) then failed = failed + 1 end
end
function done(summary, latency, requests)
  local n = 0
  for _, t in ipairs(threads) do n = n + t:get("failed") end
  io.write(string.format("failed %d\n", n))
end
LUA
    } > "$work/$dialect.$q.lua"
  done
done

# The servers, one at a time.
start() { # name: starts it on $listen and waits until it answers; sets server_pid
  local log="$work/$1.log"
  case "$1" in
    seaography)
      env DATABASE_URL="$server/$db" URL="127.0.0.1:$listen" ENDPOINT=/graphql "$seaography_bin" > /dev/null 2> "$log" &
      server_pid=$!
      pids+=("$server_pid") ;;
    sixpotify*)
      local settings=()
      [ "$1" != sixpotify ] && settings+=(SIXPOTIFY_RESPONSE_CACHE_MB=0)
      [ "$1" = sixpotify_no_cache ] && settings+=(SIXPOTIFY_ENTITY_CACHE_ENTRIES=0)
      start_api "$listen" "${settings[@]}"
      server_pid=$api_pid
      log="$work/api-$listen.log" ;;
  esac
  for _ in $(seq 1 300); do
    if curl -fsS -o /dev/null -H 'Content-Type: application/json' -d '{"query":"{ __typename }"}' \
        "http://127.0.0.1:$listen/graphql" 2> /dev/null; then return 0; fi
    kill -0 "$server_pid" 2> /dev/null || break
    sleep 0.2
  done
  echo "$1 never answered" >&2; cat "$log" >&2; exit 1
}
stop() { kill "$server_pid"; wait "$server_pid" 2> /dev/null || true; }
check() { # name dialect query: one request, which must answer data without errors
  local body
  body=$(sed -n 's/^q = //p' "$work/$2.$3.lua")
  local vars='{}'
  [ "$3" = lookup ] && vars="{\"id\":\"$(sed -n '2p' "$work/track_ids.lua" | tr -d '",')\"}"
  curl -fsS -H 'Content-Type: application/json' -d "{\"query\":$body,\"variables\":$vars}" \
    "http://127.0.0.1:$listen/graphql" | python3 -c '
import json, sys
r = json.load(sys.stdin)
if r.get("errors") or not r.get("data"):
    sys.exit(f"{sys.argv[1]} {sys.argv[2]}: {json.dumps(r)[:400]}")' "$1" "$3"
}

results="$work/results.tsv"
printf 'server\tquery\treq/s\tp50_ms\tp99_ms\tfailed\n' > "$results"
for round in $(seq 1 "$rounds"); do
  for i in "${!servers[@]}"; do
    name="${servers[$(( (i + round - 1) % ${#servers[@]} ))]}"
    dialect=sixpotify; [ "$name" = seaography ] && dialect=seaography
    echo "round $round: $name"
    start "$name"
    for q in "${queries[@]}"; do
      check "$name" "$dialect" "$q"
      wrk -t"$threads" -c"$connections" -d"$warm" -s "$work/$dialect.$q.lua" "http://127.0.0.1:$listen/graphql" > /dev/null
      wrk -t"$threads" -c"$connections" -d"$duration" --latency --timeout 5s -s "$work/$dialect.$q.lua" \
        "http://127.0.0.1:$listen/graphql" > "$work/out"
      printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$q" "$(awk '/^Requests\/sec/ { print $2 }' "$work/out")" \
        "$(ms "$(awk '$1 == "50%" { print $2 }' "$work/out")")" "$(ms "$(awk '$1 == "99%" { print $2 }' "$work/out")")" \
        "$(awk '/^failed/ { f = $2 } /Socket errors/ { gsub(/[^0-9 ]/, " "); s = $1 + $2 + $3 + $4 } END { print f + s }' "$work/out")" \
        >> "$results"
    done
    stop
  done
done
if [ -n "${RESULTS_OUT:-}" ]; then cp "$results" "$RESULTS_OUT"; fi

python3 - "$results" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
servers = list(dict.fromkeys(r["server"] for r in rows))
queries = list(dict.fromkeys(r["query"] for r in rows))
def med(server, query, key):
    return statistics.median(float(r[key]) for r in rows if r["server"] == server and r["query"] == query)
print(f"{'query':<10}{'server':<30}{'req/s':>9}{'p50_ms':>9}{'p99_ms':>9}{'failed':>8}{'/ seaography':>14}")
for q in queries:
    peer = med("seaography", q, "req/s") if "seaography" in servers else float("nan")
    for s in servers:
        failed = sum(int(r["failed"]) for r in rows if r["server"] == s and r["query"] == q)
        rps = med(s, q, "req/s")
        print(f"{q:<10}{s:<30}{rps:>9.0f}{med(s, q, 'p50_ms'):>9.2f}{med(s, q, 'p99_ms'):>9.2f}{failed:>8}{rps / peer:>14.2f}")
PY
