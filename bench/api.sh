#!/usr/bin/env bash
# API benchmark: imports the shared dataset into a fresh MariaDB database, starts two release
# builds of the API over it, and drives them with wrk at 64 connections, one scenario after the
# other in the same run:
#
#   a  GET /healthz                                        the HTTP ceiling
#   b  one repeated catalog query (POST)                   response-cache hits
#   c  track lookups by random id (with album, artists and audio features)
#   d  the foundation issue's nested query (artists(first: 50) … tracks(first: 10) …)
#   e  recommendations from a random artist (1 seed)
#   f  search for a random artist name prefix
#   g  the Kakao chatbot webhook asked about a random artist (its name, or in lower case)
#
# a, b, d, e and f go to an API with every cache on, as deployed. c goes to a second API
# without the response cache, so that every lookup is executed (its entity caches are on, as
# deployed, and warmed by 25 s of lookups of every track in turn, as a server running for a
# while has them: they are sized to hold this catalog), and again to a third API with no
# cache at all, so that every lookup reaches MariaDB. d, e and f run again against the second
# API. g warms up by asking about every artist in turn, for 60 s (every one of them at least
# once) before its first run and 25 s before the second, then runs against the
# API with every cache on and again against the second API, at 64 connections and at 4. For
# each scenario: requests per second, p50 and p99 latency (wrk), errors (HTTP and
# GraphQL), server CPU microseconds per request (from /proc), SQL statements per request, and
# the hit ratios of the response cache and of the entity caches (from /metrics), and the
# statements MariaDB prepared meanwhile (a driver whose statement cache evicts prepares again).
#
# Usage: bench/api.sh [DURATION] [DATASET.csv.gz]
#   DURATION of each scenario (default 15s); MYSQL_URL (default mysql://root@127.0.0.1:3306)
#   names the server; the database sixpotify_bench_api is dropped and recreated. SCENARIOS
#   picks some of the scenarios (default "a b c d e f g"); the b / a ratio needs both. API_BIN
#   runs another build of the API, API_ENV adds settings to every API ("SIXPOTIFY_X=y …"), and
#   RESULTS_OUT keeps the results table (TSV) in that file, LOGS_OUT the servers' and the
#   import's logs in that directory.
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-15s}"
scenarios="${SCENARIOS:-a b c d e f g}"
dataset="${2:-../shared/data/spotify_songs.csv.gz}"
db=sixpotify_bench_api
cached_port="${CACHED_PORT:-18181}"
uncached_port="${UNCACHED_PORT:-18182}"
bare_port="${BARE_PORT:-18183}"
# shellcheck source=bench/lib.sh
. bench/lib.sh
import_dataset "$dataset"

start_api "$cached_port"; cached_pid=$api_pid
start_api "$uncached_port" SIXPOTIFY_RESPONSE_CACHE_MB=0; uncached_pid=$api_pid
start_api "$bare_port" SIXPOTIFY_RESPONSE_CACHE_MB=0 SIXPOTIFY_ENTITY_CACHE_ENTRIES=0; bare_pid=$api_pid
wait_ready "$cached_port"; wait_ready "$uncached_port"; wait_ready "$bare_port"

# Inputs drawn from the database.
lua_list track_ids "SELECT id FROM tracks ORDER BY id"
lua_list artist_ids "SELECT DISTINCT ta.artist_id FROM track_artists ta JOIN audio_features f ON f.track_id = ta.track_id ORDER BY 1"
lua_list prefixes "SELECT DISTINCT LEFT(search_key, 4) FROM artists WHERE CHAR_LENGTH(search_key) >= 4 ORDER BY 1"
lua_list artist_names "SELECT name FROM artists ORDER BY id"

write_common_lua
cat > "$work/b.lua" <<'EOF'
dofile(dir .. "/common.lua")
wrk.body = graphql("query Hot { artists(first: 20) { edges { node { name popularity genres { name } } } } }", "{}")
EOF
write_lookup_lua
cat > "$work/c_warm.lua" <<'EOF'
dofile(dir .. "/c.lua")
-- c's lookups of every track once, in order, to fill the entity caches as a server running for
-- a while has them.
local next_id = 0
function request()
  next_id = next_id % #track_ids + 1
  return wrk.format(nil, nil, nil, graphql(q, '{"id":' .. json_string(track_ids[next_id]) .. '}'))
end
EOF
cat > "$work/d.lua" <<'EOF'
dofile(dir .. "/common.lua")
wrk.body = graphql("query Nested { artists(first: 50) { edges { node { name genres { name } tracks(first: 10) { edges { node { name album { name } artists { name } audioFeatures { energy valence } } } } } } } }", "{}")
EOF
cat > "$work/e.lua" <<'EOF'
dofile(dir .. "/common.lua")
dofile(dir .. "/artist_ids.lua")
local q = "query Recommend($a: ID!) { recommendations(seedArtists: [$a], limit: 20) { score track { name artists { name } } } }"
function request()
  return wrk.format(nil, nil, nil, graphql(q, '{"a":' .. json_string(artist_ids[math.random(#artist_ids)]) .. '}'))
end
EOF
cat > "$work/f.lua" <<'EOF'
dofile(dir .. "/common.lua")
dofile(dir .. "/prefixes.lua")
local q = "query Search($q: String!) { searchArtists(query: $q, first: 10) { name popularity } }"
function request()
  return wrk.format(nil, nil, nil, graphql(q, '{"q":' .. json_string(prefixes[math.random(#prefixes)]) .. '}'))
end
EOF
cat > "$work/g.lua" <<'EOF'
dofile(dir .. "/common.lua")
dofile(dir .. "/artist_names.lua")
function kakao(name)
  return '{"userRequest":{"utterance":' .. json_string(name) .. ',"user":{"id":"bench"}},"action":{"params":{}}}'
end
function request()
  local name = artist_names[math.random(#artist_names)]
  if math.random(2) == 1 then name = name:lower() end
  return wrk.format(nil, nil, nil, kakao(name))
end
EOF
cat > "$work/g_warm.lua" <<'EOF'
dofile(dir .. "/g.lua")
local next_name = 0
function request()
  next_name = next_name % #artist_names + 1
  return wrk.format(nil, nil, nil, kakao(artist_names[next_name]))
end
EOF
for s in b c c_warm d e f g g_warm; do sed -i "1i dir = \"$work\"" "$work/$s.lua"; done

entity_lookups() { # port: hits and misses summed over the entity caches
  curl -fsS "http://127.0.0.1:$1/metrics" | awk '
    /^sixpotify_cache_(hits|misses)_total\{/ && !/cache="(responses|persisted_queries|documents)"/ {
      if ($1 ~ /hits/) h += $2; else m += $2
    }
    END { print h + 0, m + 0 }'
}
hz=$(getconf CLK_TCK)
# Statements the server prepared (COM_STMT_PREPARE), over every client: evicted statements
# are prepared again.
prepares() { "${client[@]}" -N -e "SHOW GLOBAL STATUS LIKE 'Com_stmt_prepare'" | awk '{ print $2 }'; }
results="$work/results.tsv"
run() { # name, port, pid, url path, script or "", warm-up script (default: the script)
  local name="$1" p="$2" pid="$3" path="$4" script="$5" warm="${6:-$5}" warm_args=(-c4 -d1s)
  local args=(-t"$threads" -c"$connections" -d"$duration" --latency --timeout 5s)
  [ -n "$script" ] && args+=(-s "$work/$script")
  [ "$warm" != "$script" ] && warm_args=(-c"$connections" -d"${warm_for:-25s}")
  # Warm up: the first requests fill caches and pools.
  wrk -t1 "${warm_args[@]}" ${warm:+-s "$work/$warm"} "http://127.0.0.1:$p$path" > /dev/null
  local ticks0 sql0 err0 hit0 miss0
  ticks0=$(cpu_ticks "$pid")
  sql0=$(metric "$p" sixpotify_sql_statements_total)
  err0=$(curl -fsS "http://127.0.0.1:$p/metrics" | awk '/^sixpotify_graphql_requests_total\{.*outcome="error"/ { s += $2 } END { print s + 0 }')
  hit0=$(metric "$p" 'sixpotify_cache_hits_total{cache="responses"}')
  miss0=$(metric "$p" 'sixpotify_cache_misses_total{cache="responses"}')
  read -r ehit0 emiss0 <<< "$(entity_lookups "$p")"
  local prep0 prep1
  prep0=$(prepares)
  wrk "${args[@]}" "http://127.0.0.1:$p$path" > "$work/$name.out"
  prep1=$(prepares)
  local ticks1 sql1 err1 hit1 miss1
  ticks1=$(cpu_ticks "$pid")
  sql1=$(metric "$p" sixpotify_sql_statements_total)
  err1=$(curl -fsS "http://127.0.0.1:$p/metrics" | awk '/^sixpotify_graphql_requests_total\{.*outcome="error"/ { s += $2 } END { print s + 0 }')
  hit1=$(metric "$p" 'sixpotify_cache_hits_total{cache="responses"}')
  miss1=$(metric "$p" 'sixpotify_cache_misses_total{cache="responses"}')
  read -r ehit1 emiss1 <<< "$(entity_lookups "$p")"
  local requests rps p50 p99 http_errors
  requests=$(awk '/requests in/ { print $1 }' "$work/$name.out")
  rps=$(awk '/^Requests\/sec/ { print $2 }' "$work/$name.out")
  p50=$(ms "$(awk '$1 == "50%" { print $2 }' "$work/$name.out")")
  p99=$(ms "$(awk '$1 == "99%" { print $2 }' "$work/$name.out")")
  http_errors=$(awk '/Non-2xx/ { n += $NF } /Socket errors/ { gsub(/[^0-9 ]/, " "); n += $1 + $2 + $3 + $4 } END { print n + 0 }' "$work/$name.out")
  awk -v n="$name" -v r="$requests" -v rps="$rps" -v p50="$p50" -v p99="$p99" -v he="$http_errors" \
      -v ge="$((err1 - err0))" -v t="$((ticks1 - ticks0))" -v hz="$hz" -v sql="$(echo "$sql1 - $sql0" | bc)" \
      -v hits="$(echo "$hit1 - $hit0" | bc)" -v misses="$(echo "$miss1 - $miss0" | bc)" \
      -v ehits="$(echo "$ehit1 - $ehit0" | bc)" -v emisses="$(echo "$emiss1 - $emiss0" | bc)" \
      -v prep="$((prep1 - prep0))" 'BEGIN {
    lookups = hits + misses; elookups = ehits + emisses
    printf "%s\t%.0f\t%s\t%s\t%d\t%d\t%.0f\t%.2f\t%s\t%s\t%d\n", n, rps, p50, p99, he, ge,
      t * 1e6 / hz / r, sql / r, lookups ? sprintf("%.2f", hits / lookups) : "-",
      elookups ? sprintf("%.2f", ehits / elookups) : "-", prep
  }' >> "$results"
}

printf 'scenario\treq/s\tp50_ms\tp99_ms\thttp_errors\tgraphql_errors\tcpu_us/req\tsql/req\tresponse_cache_hits\tentity_cache_hits\tprepares\n' > "$results"
wanted() { [[ " $scenarios " == *" $1 "* ]]; }
wanted a && run "a_healthz" "$cached_port" "$cached_pid" /healthz ""
wanted b && run "b_hot_query" "$cached_port" "$cached_pid" /graphql b.lua
wanted c && run "c_lookups_by_id" "$uncached_port" "$uncached_pid" /graphql c.lua c_warm.lua
wanted c && run "c_lookups_by_id_no_cache" "$bare_port" "$bare_pid" /graphql c.lua
wanted d && run "d_nested_query" "$cached_port" "$cached_pid" /graphql d.lua
wanted e && run "e_recommendations" "$cached_port" "$cached_pid" /graphql e.lua
wanted f && run "f_search" "$cached_port" "$cached_pid" /graphql f.lua
wanted d && run "d_nested_query_executed" "$uncached_port" "$uncached_pid" /graphql d.lua
wanted e && run "e_recommendations_executed" "$uncached_port" "$uncached_pid" /graphql e.lua
wanted f && run "f_search_executed" "$uncached_port" "$uncached_pid" /graphql f.lua
wanted g && warm_for=60s run "g_chatbot" "$cached_port" "$cached_pid" /chatbot/kakao g.lua g_warm.lua
wanted g && run "g_chatbot_executed" "$uncached_port" "$uncached_pid" /chatbot/kakao g.lua g_warm.lua
# A chatbot's load is people typing: four requests in flight rather than 64.
wanted g && connections=4 run "g_chatbot_executed_4_connections" "$uncached_port" "$uncached_pid" /chatbot/kakao g.lua
column -t -s $'\t' "$results"
if [ -n "${RESULTS_OUT:-}" ]; then cp "$results" "$RESULTS_OUT"; fi
if [ -n "${LOGS_OUT:-}" ]; then mkdir -p "$LOGS_OUT" && cp "$work"/*.log "$LOGS_OUT"/; fi
awk -F'\t' '$1 == "a_healthz" { a = $2 } $1 == "b_hot_query" { b = $2 } END { if (a && b) printf "b / a = %.2f\n", b / a }' "$results"
