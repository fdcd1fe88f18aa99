#!/usr/bin/env bash
# Import benchmark: sixpotify-loader import-csv of the shared "30000 Spotify Songs" dataset into
# a fresh MariaDB database, next to LOAD DATA LOCAL INFILE of the same (uncompressed) file into
# a flat staging table, measured alternately in the same run. Prints every run, then medians
# and their ratio.
#
# Usage: bench/import.sh [RUNS] [DATASET.csv.gz]
#   MYSQL_URL (default mysql://root@127.0.0.1:3306) names the server; the databases
#   sixpotify_bench_import and sixpotify_bench_staging are dropped and recreated each run.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
dataset="${2:-../shared/data/spotify_songs.csv.gz}"
server="${MYSQL_URL:-mysql://root@127.0.0.1:3306}"
hostport="${server#mysql://}"; hostport="${hostport#*@}"
host="${hostport%:*}"; port="${hostport#*:}"
client=(mariadb --protocol=TCP -h"$host" -P"$port" -uroot)

cargo build --release --quiet -p sixpotify-loader
loader="${CARGO_TARGET_DIR:-target}/release/sixpotify-loader"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
gzip -dc "$dataset" > "$work/songs.csv"
rows=$(( $(wc -l < "$work/songs.csv") - 1 ))

staging_ddl="CREATE TABLE staging (
  track_id VARCHAR(64), track_name VARCHAR(512), track_artist VARCHAR(512), track_popularity INT,
  track_album_id VARCHAR(64), track_album_name VARCHAR(512), track_album_release_date VARCHAR(10),
  playlist_name VARCHAR(512), playlist_id VARCHAR(64), playlist_genre VARCHAR(64),
  playlist_subgenre VARCHAR(64), danceability DOUBLE, energy DOUBLE, \`key\` INT, loudness DOUBLE,
  mode INT, speechiness DOUBLE, acousticness DOUBLE, instrumentalness DOUBLE, liveness DOUBLE,
  valence DOUBLE, tempo DOUBLE, duration_ms INT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"

now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

: > "$work/import.tsv"; : > "$work/load.tsv"
printf 'run\timport_s\trows_per_s\tpeak_rss_mib\tload_data_s\n'
for i in $(seq 1 "$runs"); do
  "${client[@]}" -e "DROP DATABASE IF EXISTS sixpotify_bench_import; CREATE DATABASE sixpotify_bench_import CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
  # Migrations run before the clock starts, as they would on a database already in service.
  DATABASE_URL="$server/sixpotify_bench_import" "$loader" migrate 2>/dev/null
  t0=$(now)
  /usr/bin/time -f '%M' -o "$work/rss" env DATABASE_URL="$server/sixpotify_bench_import" \
    "$loader" import-csv "$dataset" --no-progress 2> "$work/import.log" || { cat "$work/import.log"; exit 1; }
  t1=$(now)
  import_s=$(echo "$t1 - $t0" | bc -l)
  rss_mib=$(echo "$(cat "$work/rss") / 1024" | bc -l)

  "${client[@]}" -e "DROP DATABASE IF EXISTS sixpotify_bench_staging; CREATE DATABASE sixpotify_bench_staging CHARACTER SET utf8mb4"
  "${client[@]}" sixpotify_bench_staging -e "$staging_ddl"
  t0=$(now)
  "${client[@]}" --local-infile=1 sixpotify_bench_staging -e "LOAD DATA LOCAL INFILE '$work/songs.csv' INTO TABLE staging CHARACTER SET utf8mb4 FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' LINES TERMINATED BY '\n' IGNORE 1 LINES"
  t1=$(now)
  load_s=$(echo "$t1 - $t0" | bc -l)
  loaded=$("${client[@]}" -N sixpotify_bench_staging -e "SELECT COUNT(*) FROM staging")
  [ "$loaded" = "$rows" ] || { echo "LOAD DATA loaded $loaded of $rows rows" >&2; exit 1; }

  echo "$import_s" >> "$work/import.tsv"; echo "$load_s" >> "$work/load.tsv"; echo "$rss_mib" >> "$work/rss.tsv"
  printf '%s\t%.3f\t%.0f\t%.1f\t%.3f\n' "$i" "$import_s" "$(echo "$rows / $import_s" | bc -l)" "$rss_mib" "$load_s"
done
tail -n 1 "$work/import.log"

# The floor for INSERT statements on this server: replay the catalog the last import wrote, as
# mysqldump's multi-row INSERTs (no upsert clause, no client work), into a fresh schema.
mysqldump --protocol=TCP -h"$host" -P"$port" -uroot --no-create-info --skip-add-locks --skip-lock-tables \
  --skip-triggers sixpotify_bench_import genres artists albums tracks audio_features track_artists track_genres artist_genres \
  > "$work/replay.sql"
"${client[@]}" -e "DROP DATABASE IF EXISTS sixpotify_bench_replay; CREATE DATABASE sixpotify_bench_replay CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
DATABASE_URL="$server/sixpotify_bench_replay" "$loader" migrate 2>/dev/null
t0=$(now)
"${client[@]}" sixpotify_bench_replay < "$work/replay.sql"
t1=$(now)
replay_s=$(echo "$t1 - $t0" | bc -l)
catalog_rows=$("${client[@]}" -N sixpotify_bench_replay -e "SELECT (SELECT COUNT(*) FROM genres)+(SELECT COUNT(*) FROM artists)+(SELECT COUNT(*) FROM albums)+(SELECT COUNT(*) FROM tracks)+(SELECT COUNT(*) FROM audio_features)+(SELECT COUNT(*) FROM track_artists)+(SELECT COUNT(*) FROM track_genres)+(SELECT COUNT(*) FROM artist_genres)")

# Streaming: peak memory on four times the rows (the same rows four times over).
{ head -n 1 "$work/songs.csv"; for _ in 1 2 3 4; do tail -n +2 "$work/songs.csv"; done; } | gzip -1 > "$work/songs4.csv.gz"
"${client[@]}" -e "DROP DATABASE IF EXISTS sixpotify_bench_import; CREATE DATABASE sixpotify_bench_import CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
/usr/bin/time -f '%M' -o "$work/rss4" env DATABASE_URL="$server/sixpotify_bench_import" \
  "$loader" import-csv "$work/songs4.csv.gz" --no-progress 2> "$work/import4.log" || { cat "$work/import4.log"; exit 1; }
rss4_mib=$(echo "$(cat "$work/rss4") / 1024" | bc -l)

mi=$(median < "$work/import.tsv"); ml=$(median < "$work/load.tsv"); mr=$(median < "$work/rss.tsv")
printf '\nrows: %s (%s)\n' "$rows" "$dataset"
printf 'median import-csv: %.3f s (%.0f rows/s), peak RSS %.1f MiB\n' "$mi" "$(echo "$rows / $mi" | bc -l)" "$mr"
printf 'median LOAD DATA LOCAL INFILE: %.3f s (%.0f rows/s)\n' "$ml" "$(echo "$rows / $ml" | bc -l)"
printf 'ratio import / LOAD DATA: %.2f (goal: at most 5)\n' "$(echo "$mi / $ml" | bc -l)"
printf 'replay of the written catalog (%s rows in 8 tables) as plain multi-row INSERTs: %.3f s, %.2f x LOAD DATA\n' \
  "$catalog_rows" "$replay_s" "$(echo "$replay_s / $ml" | bc -l)"
printf 'peak RSS on %s rows: %.1f MiB (on %s rows: %.1f MiB)\n' "$((rows * 4))" "$rss4_mib" "$rows" "$mr"
"${client[@]}" -e "DROP DATABASE IF EXISTS sixpotify_bench_import; DROP DATABASE IF EXISTS sixpotify_bench_staging; DROP DATABASE IF EXISTS sixpotify_bench_replay"
