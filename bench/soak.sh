#!/usr/bin/env bash
# Soak: imports the shared dataset into a fresh MariaDB database, starts a release build of the
# API over it with its default settings, warms it up (every track looked up once, as a server
# running for a while has its entity caches, then a minute of the mix), then drives it for DURATION
# with wrk at 64 connections and a mix of queries, sampling the server's resident memory every
# 5 seconds. The mix, by share of requests: track lookups by random id 30%, recommendations from
# a random artist 20%, searches for a random name prefix 20%, pages of tracks of random size and
# order 10%, the nested query 10%, one repeated query 10%.
#
# It prints wrk's figures, the requests that failed (HTTP or GraphQL errors), the memory samples
# (one per minute) and the change of memory from the end of the warm-up to the end. It exits
# non-zero when any request failed.
#
# Usage: bench/soak.sh [DURATION] [DATASET.csv.gz]
#   DURATION of the measured run (default 5m); MYSQL_URL (default mysql://root@127.0.0.1:3306)
#   names the server; the database sixpotify_bench_soak is dropped and recreated. API_ENV adds
#   settings to the server's environment: API_ENV="SIXPOTIFY_RESPONSE_CACHE_MB=0" executes
#   every request instead of answering repeats from the response cache.
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-5m}"
dataset="${2:-../shared/data/spotify_songs.csv.gz}"
db=sixpotify_bench_soak
api_port="${API_PORT:-18191}"
# shellcheck source=bench/lib.sh
. bench/lib.sh
import_dataset "$dataset"
# shellcheck disable=SC2086
start_api "$api_port" ${API_ENV:-}; pid=$api_pid
wait_ready "$api_port"

lua_list track_ids "SELECT id FROM tracks ORDER BY id"
lua_list artist_ids "SELECT DISTINCT ta.artist_id FROM track_artists ta JOIN audio_features f ON f.track_id = ta.track_id ORDER BY 1"
lua_list prefixes "SELECT DISTINCT LEFT(search_key, 4) FROM artists WHERE CHAR_LENGTH(search_key) >= 4 ORDER BY 1"
write_common_lua
cat > "$work/mix.lua" <<LUA
dir = "$work"
LUA
cat >> "$work/mix.lua" <<'LUA'
dofile(dir .. "/common.lua")
dofile(dir .. "/track_ids.lua")
dofile(dir .. "/artist_ids.lua")
dofile(dir .. "/prefixes.lua")
local orders = { "POPULARITY", "NAME", "RELEASE_DATE", "DURATION", "ENERGY", "VALENCE", "TEMPO" }
local function pick(list) return json_string(list[math.random(#list)]) end
local function lookup() return graphql("query Lookup($id: ID!) { track(id: $id) { name popularity album { name releaseDate } artists { name } audioFeatures { energy valence tempo } } }", '{"id":' .. pick(track_ids) .. '}') end
local function recommend() return graphql("query Recommend($a: ID!) { recommendations(seedArtists: [$a], limit: 20) { score track { name artists { name } } } }", '{"a":' .. pick(artist_ids) .. '}') end
local function search() return graphql("query Search($q: String!) { searchArtists(query: $q, first: 10) { name popularity } }", '{"q":' .. pick(prefixes) .. '}') end
local function page() return graphql("query Page($n: Int!) { tracks(first: $n, orderBy: { field: " .. orders[math.random(#orders)] .. " }) { totalCount edges { cursor node { name popularity } } } }", '{"n":' .. math.random(100) .. '}') end
local function nested() return graphql("query Nested { artists(first: 50) { edges { node { name genres { name } tracks(first: 10) { edges { node { name album { name } artists { name } audioFeatures { energy valence } } } } } } } }", "{}") end
local function hot() return graphql("query Hot { artists(first: 20) { edges { node { name popularity genres { name } } } } }", "{}") end
local mix = { lookup, lookup, lookup, recommend, recommend, search, search, page, nested, hot }
function request() return wrk.format(nil, nil, nil, mix[math.random(#mix)]()) end
failed = 0
function response(status, headers, body)
  if status ~= 200 or body:find('"errors"', 1, true) then failed = failed + 1 end
end
local threads = {}
local thread_no = 0
function setup(thread)
  thread:set("id", thread_no); thread_no = thread_no + 1
  table.insert(threads, thread)
end
function done(summary, latency, requests)
  local n = 0
  for _, t in ipairs(threads) do n = n + t:get("failed") end
  io.write(string.format("failed requests: %d\n", n))
end
LUA

rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
samples="$work/rss.tsv"
started=$(date +%s)
( while kill -0 "$pid" 2> /dev/null; do
    echo "$(( $(date +%s) - started ))	$(rss_kb "$pid")" >> "$samples"; sleep 5
  done ) &
pids+=("$!")

echo "warm-up: every track looked up once, then 60s of the mix"
cat > "$work/walk.lua" <<LUA
dir = "$work"
LUA
cat >> "$work/walk.lua" <<'LUA'
dofile(dir .. "/common.lua")
dofile(dir .. "/track_ids.lua")
local next_id = 0
function request()
  next_id = next_id % #track_ids + 1
  return wrk.format(nil, nil, nil, graphql("query Lookup($id: ID!) { track(id: $id) { name popularity album { name releaseDate } artists { name } audioFeatures { energy valence tempo } } }", '{"id":' .. json_string(track_ids[next_id]) .. '}'))
end
LUA
wrk -t1 -c"$connections" -d30s --timeout 5s -s "$work/walk.lua" "http://127.0.0.1:$api_port/graphql" > /dev/null
wrk -t"$threads" -c"$connections" -d60s --timeout 5s -s "$work/mix.lua" "http://127.0.0.1:$api_port/graphql" > "$work/warm.out"
warm_rss=$(rss_kb "$pid")
warm_at=$(( $(date +%s) - started ))
echo "soak: $duration at $connections connections"
wrk -t"$threads" -c"$connections" -d"$duration" --latency --timeout 5s -s "$work/mix.lua" "http://127.0.0.1:$api_port/graphql" > "$work/soak.out"
end_rss=$(rss_kb "$pid")
sleep 1

grep -E "requests in|Requests/sec|Non-2xx|Socket errors|failed requests" "$work/soak.out" || true
echo "p50 $(ms "$(awk '$1 == "50%" { print $2 }' "$work/soak.out")") ms, p99 $(ms "$(awk '$1 == "99%" { print $2 }' "$work/soak.out")") ms"
echo "warm-up failed requests: $(awk '/failed requests/ { print $3 }' "$work/warm.out")"
echo
echo "resident memory (MiB) by minute:"
awk -F'\t' '$1 % 60 < 5 { printf "  %3d s  %7.1f\n", $1, $2 / 1024 }' "$samples"
awk -F'\t' -v w="$warm_at" '$1 >= w { if ($2 > max) max = $2 } END { printf "after warm-up: max %.1f MiB\n", max / 1024 }' "$samples"
awk -v a="$warm_rss" -v b="$end_rss" 'BEGIN { printf "end of warm-up %.1f MiB, end %.1f MiB: %+.1f%%\n", a / 1024, b / 1024, (b - a) * 100 / a }'
echo "caches at the end:"
curl -fsS "http://127.0.0.1:$api_port/metrics" | grep -E '^sixpotify_cache_(entries|size)' | sed 's/^/  /'
failed=$(awk '/failed requests/ { n += $3 } /Non-2xx/ { n += $NF } /Socket errors/ { gsub(/[^0-9 ]/, " "); n += $1 + $2 + $3 + $4 } END { print n + 0 }' "$work/soak.out")
[ "$failed" -eq 0 ] || { echo "soak: $failed requests failed" >&2; exit 1; }
