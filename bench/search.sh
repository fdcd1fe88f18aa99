#!/usr/bin/env bash
# Search benchmark: a synthetic catalog (synth-catalog, 10 tracks an artist, every tenth artist
# with a Korean-script alias) imported into MariaDB and into SQLite, an API over each (no
# response cache), and searchArtists and searchTracks driven by wrk with a mix of what people
# type: whole names, their first letters, a later word, a name with two letters swapped,
# Korean aliases, their first syllables, their initial consonants, and words that match
# nothing. Prints per backend and field the requests a second, p50 and p99, the time the
# index took to build and the API's RSS.
#
# Usage: bench/search.sh [TRACKS]   (default 1000000, i.e. 100,000 artists; 10000000 for 1,000,000)
#   MYSQL_URL (default mysql://root@127.0.0.1:3306) names the server; the database
#   sixpotify_bench_search is dropped and recreated unless it holds a catalog of that size. CONNECTIONS (default 4) and DURATION
#   (default 20s) set wrk's load. WORK keeps the catalog and the SQLite file between runs.
#   POOL_MB sets MariaDB's InnoDB buffer pool for the run (restored at exit); the default 128 MiB
#   makes an import of 10,000,000 tracks crawl. BACKENDS (default "mariadb sqlite") picks the
#   APIs measured.
set -euo pipefail
cd "$(dirname "$0")/.."
tracks="${1:-1000000}"
db=sixpotify_bench_search
source bench/lib.sh
cargo build --release --quiet -p sixpotify-tests --bin synth-catalog
connections="${CONNECTIONS:-4}"
duration="${DURATION:-20s}"
data="${WORK:-$work}"
mkdir -p "$data"
size_buffer_pool

if [ -f "$data/catalog-$tracks.csv.gz" ]; then
  echo "reusing $data/catalog-$tracks.csv.gz"
else
  "$bin/synth-catalog" --tracks "$tracks" --aliases "$data/aliases-$tracks.csv" "$data/catalog-$tracks.csv.gz"
fi

load() { # database URL
  DATABASE_URL="$1" "$bin/sixpotify-loader" import-csv "$data/catalog-$tracks.csv.gz" --no-progress 2> "$work/import.log" \
    || { tail -3 "$work/import.log"; exit 1; }
  tail -1 "$work/import.log"
  DATABASE_URL="$1" "$bin/sixpotify-loader" import-aliases "$data/aliases-$tracks.csv" --no-progress 2> "$work/aliases.log" \
    || { tail -3 "$work/aliases.log"; exit 1; }
  tail -1 "$work/aliases.log"
}

held=$("${client[@]}" -N -e "SELECT COUNT(*) FROM $db.tracks" 2> /dev/null || echo 0)
if [ "$held" = "$tracks" ]; then
  echo "reusing the database $db"
else
  echo "== MariaDB"
  "${client[@]}" -e "DROP DATABASE IF EXISTS $db; CREATE DATABASE $db CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
  load "$server/$db"
fi
sqlite="$data/search-$tracks.db"
if [ ! -f "$sqlite" ]; then
  echo "== SQLite"
  load "sqlite://$sqlite?mode=rwc"
fi

# What people type, drawn from the catalog.
"${client[@]}" -N "$db" -e "SELECT name FROM artists ORDER BY RAND(7) LIMIT 3000" > "$work/artists.txt"
"${client[@]}" -N "$db" -e "SELECT name FROM tracks ORDER BY RAND(7) LIMIT 3000" > "$work/tracks.txt"
"${client[@]}" -N "$db" -e "SELECT name FROM artist_aliases ORDER BY RAND(7) LIMIT 3000" > "$work/aliases.txt"
python3 bench/search_queries.py "$work" > "$work/queries.lua"
write_common_lua

printf 'backend\tfield\trequests/s\tp50 ms\tp99 ms\terrors\n' > "$work/results.tsv"
port=18470
for backend in ${BACKENDS:-mariadb sqlite}; do
  url="$server/$db"; [ "$backend" = sqlite ] && url="sqlite://$sqlite"
  port=$((port + 1))
  started=$(date +%s.%N)
  env DATABASE_URL="$url" SIXPOTIFY_ADDR="127.0.0.1:$port" SIXPOTIFY_SEED=false \
    SIXPOTIFY_RESPONSE_CACHE_MB=0 RUST_LOG=warn,sixpotify_api=info \
    "$bin/sixpotify-api" > /dev/null 2> "$work/api-$port.log" &
  api_pid=$!; pids+=("$api_pid")
  for _ in $(seq 1 18000); do # an hour: the index over 10,000,000 tracks takes minutes
    curl -fsS "http://127.0.0.1:$port/readyz" > /dev/null 2>&1 && break
    sleep 0.2
  done
  ready=$(echo "$(date +%s.%N) - $started" | bc -l)
  built=$(grep -o 'index built.*' "$work/api-$port.log" | head -1 || true)
  rss=$(awk '/VmRSS/ { print int($2 / 1024) }' "/proc/$api_pid/status")
  printf '%s: ready in %.1f s, RSS %s MiB; %s\n' "$backend" "$ready" "$rss" "$built"
  for field in searchArtists searchTracks; do
      cat > "$work/run.lua" <<LUA
dofile("$work/common.lua")
dofile("$work/queries.lua")
local list = queries["$field"]
function request()
  local q = list[math.random(#list)]
  return wrk.format(nil, nil, nil, graphql("query S(\$q: String!) { $field(query: \$q, first: 10) { id name matchedName } }", '{"q":' .. json_string(q) .. '}'))
end
LUA
      wrk -t1 -c2 -d2s -s "$work/run.lua" "http://127.0.0.1:$port/graphql" > /dev/null
      wrk -t"$threads" -c"$connections" -d"$duration" --latency --timeout 5s -s "$work/run.lua" \
        "http://127.0.0.1:$port/graphql" > "$work/out.txt"
      rps=$(awk '/^Requests\/sec/ { print $2 }' "$work/out.txt")
      p50=$(ms "$(awk '$1 == "50%" { print $2 }' "$work/out.txt")")
      p99=$(ms "$(awk '$1 == "99%" { print $2 }' "$work/out.txt")")
      errors=$(awk '/Non-2xx/ { n += $NF } /Socket errors/ { gsub(/[^0-9 ]/, " "); n += $1 + $2 + $3 + $4 } END { print n + 0 }' "$work/out.txt")
      printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$backend" "$field" "$rps" "$p50" "$p99" "$errors" >> "$work/results.tsv"
  done
  kill "$api_pid"
done
echo
column -t -s $'\t' "$work/results.tsv"
