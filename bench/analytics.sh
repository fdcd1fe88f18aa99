#!/usr/bin/env bash
# BI aggregates on a large catalog: writes a synthetic catalog of TRACKS tracks (default
# 1,000,000) drawn from the shared dataset, imports it into a fresh MariaDB database, starts a
# release build of the API over it with no response cache (every query is executed by the
# database), and times each aggregate RUNS times (default 7) with curl, one at a time: the fixed
# aggregates, then `trackStats` by each dimension alone, filtered, by two dimensions and with
# every figure. Prints the median and the slowest time of each, and with EXPLAIN=1 the plan
# MariaDB chose for each statement (captured from the general log during one more run).
#
# Usage: bench/analytics.sh [TRACKS]
#   MYSQL_URL (default mysql://root@127.0.0.1:3306) names the server; the database
#   sixpotify_bench_analytics is dropped and recreated. KEEP=1 reuses it as it is, with its
#   catalog, when it exists. POOL_MB sets MariaDB's InnoDB buffer pool for the run (restored
#   at exit): the default 128 MiB holds an eighth of this catalog, 1024 holds all of it.
#   After the import, the BI summaries are recomputed once more on their own
#   (`sixpotify-loader summarize`) and the time is printed.
set -euo pipefail
cd "$(dirname "$0")/.."
tracks="${1:-1000000}"
runs="${RUNS:-7}"
db=sixpotify_bench_analytics
api_port="${API_PORT:-18201}"
# shellcheck source=bench/lib.sh
. bench/lib.sh
command -v jq > /dev/null || { echo "jq is missing: apt-get install jq" >&2; exit 1; }

size_buffer_pool
synth_catalog "$tracks"
DATABASE_URL="$server/$db" "$bin/sixpotify-loader" summarize 2>&1 | tail -1
start_api "$api_port" SIXPOTIFY_RESPONSE_CACHE_MB=0 SIXPOTIFY_REQUEST_TIMEOUT=60s
wait_ready "$api_port"
genre=$("${client[@]}" -N "$db" -e "SELECT genre_id FROM track_genres GROUP BY genre_id ORDER BY COUNT(*) DESC LIMIT 1")

queries=(
  "catalogStats|{ catalogStats { artists tracks albums genres tracksWithFeatures latestLoadRun { id } } }"
  "genreStats|{ genreStats(first: 20) { name tracks artists averagePopularity averageFeatures { danceability energy valence tempo } } }"
  "genreStats by energy|{ genreStats(orderBy: { field: ENERGY }, first: 20) { name averageFeatures { energy } } }"
  "featureHistogram|{ featureHistogram(feature: ENERGY, bins: 20) { tracks bins { tracks } } }"
  "featureHistogram of a genre|{ featureHistogram(feature: TEMPO, bins: 20, genre: \"$genre\") { tracks bins { tracks } } }"
  "releaseYearStats|{ releaseYearStats { year tracks averagePopularity averageFeatures { energy valence } } }"
  "releaseYearStats of a genre|{ releaseYearStats(from: 1990, genre: \"$genre\") { year tracks averagePopularity } }"
  "topArtists by popularity|{ topArtists(by: POPULARITY, first: 10) { value artist { name } } }"
  "topArtists by followers of a genre|{ topArtists(by: FOLLOWERS, genre: \"$genre\", first: 10) { value artist { name } } }"
  "topArtists by track count|{ topArtists(by: TRACK_COUNT, first: 10) { value artist { name } } }"
  "topArtists by track count of a genre|{ topArtists(by: TRACK_COUNT, genre: \"$genre\", first: 10) { value artist { name } } }"
)
# trackStats: a chart's query (tracks and one mean per group), by each dimension alone, then
# filtered, by two dimensions, and with every figure of every measure.
chart='totalCount edges { node { count energy { mean } } }'
for d in GENRE RELEASE_YEAR DECADE KEY MODE EXPLICIT TIME_SIGNATURE ARTIST ALBUM_TYPE; do
  queries+=("trackStats by $d|{ trackStats(groupBy: [$d]) { $chart } }")
done
every='count artists'
for m in popularity durationMs danceability energy loudness speechiness acousticness instrumentalness liveness valence tempo; do
  every+=" $m { count mean min max stddev }"
done
queries+=(
  "trackStats unfiltered, no grouping|{ trackStats { $chart } }"
  "trackStats by DECADE of a genre|{ trackStats(groupBy: [DECADE], filter: { genre: \"$genre\" }) { $chart } }"
  "trackStats by ARTIST of a genre|{ trackStats(groupBy: [ARTIST], filter: { genre: \"$genre\" }) { totalCount edges { node { key { artist { name } } count energy { mean } } } } }"
  "trackStats by KEY, years and energy|{ trackStats(groupBy: [KEY], filter: { releaseYear: { min: 2010 }, audioFeatures: { energy: { min: 0.5 } } }) { $chart } }"
  "trackStats by GENRE, popularity|{ trackStats(groupBy: [GENRE], filter: { popularity: { min: 50 } }) { $chart } }"
  "trackStats by KEY, MODE with artists, sd|{ trackStats(groupBy: [KEY, MODE], first: 100) { totalCount edges { node { key { key mode } count artists energy { mean stddev } } } } }"
  "trackStats by GENRE, DECADE|{ trackStats(groupBy: [GENRE, DECADE], first: 100) { $chart } }"
  "trackStats by ARTIST, DECADE|{ trackStats(groupBy: [ARTIST, DECADE], first: 100) { $chart } }"
  "trackStats by DECADE, every figure|{ trackStats(groupBy: [DECADE]) { totalCount edges { node { $every } } } }"
  "trackStats by GENRE, every figure|{ trackStats(groupBy: [GENRE]) { totalCount edges { node { $every } } } }"
)
echo "catalog: $("${client[@]}" -N "$db" -e "SELECT COUNT(*) FROM tracks") tracks; genre filter: $genre; $runs runs each"
printf '%-42s %10s %10s\n' query median_ms max_ms
failed=0
for entry in "${queries[@]}"; do
  name="${entry%%|*}"; query="${entry#*|}"
  body=$(jq -cn --arg q "$query" '{query: $q}')
  times=()
  for _ in $(seq 1 "$runs"); do
    out=$(curl -sS -o "$work/answer.json" -w '%{time_total}' -H 'content-type: application/json' -d "$body" "http://127.0.0.1:$api_port/graphql")
    if grep -q '"errors"' "$work/answer.json"; then echo "$name failed: $(cat "$work/answer.json")" >&2; failed=1; fi
    times+=("$out")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk -v n="$name" '{ t[NR] = $1 * 1000 } END { printf "%-42s %10.1f %10.1f\n", n, t[int((NR + 1) / 2)], t[NR] }'
done
if [ "${EXPLAIN:-0}" = 1 ]; then
  # The statements the API ran, from the general log (with the values bound), and their plans.
  log_before=$("${client[@]}" -N -e "SELECT CONCAT(@@log_output, ' ', @@general_log)")
  restore_log() { "${client[@]}" -e "SET GLOBAL general_log = ${log_before#* }; SET GLOBAL log_output = '${log_before% *}'" || true; }
  trap 'restore_log; if declare -F restore_pool > /dev/null; then restore_pool; fi; cleanup' EXIT
  for entry in "${queries[@]}"; do
    name="${entry%%|*}"; query="${entry#*|}"
    "${client[@]}" -e "SET GLOBAL general_log = 0; TRUNCATE mysql.general_log; SET GLOBAL log_output = 'TABLE'; SET GLOBAL general_log = 1"
    curl -sS -o /dev/null -H 'content-type: application/json' -d "$(jq -cn --arg q "$query" '{query: $q}')" "http://127.0.0.1:$api_port/graphql"
    "${client[@]}" -e "SET GLOBAL general_log = 0"
    echo "== $name"
    # Executions carry their values; the readiness and data-version polls are left out.
    "${client[@]}" -N --raw -e "SELECT argument FROM mysql.general_log WHERE command_type = 'Execute' AND argument LIKE 'SELECT%' AND argument NOT LIKE '%load_runs%' ORDER BY event_time" |
      while IFS= read -r sql; do "${client[@]}" "$db" -e "EXPLAIN $sql" || echo "(no plan for: $sql)"; done
  done
  restore_log
fi
exit "$failed"
