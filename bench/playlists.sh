#!/usr/bin/env bash
# Playlist benchmark at Million Playlist Dataset scale, or a fraction of it: writes synthetic
# playlists (synth-catalog --playlists, drawn like real ones), imports them with
# `sixpotify-loader import-mpd` into a fresh MariaDB database (entries a second, peak RSS),
# then runs playlist-bench over that database: the time to read the entries and build the
# co-occurrence model on one thread, its heap, the process's peak RSS, and related_artists(10)
# p50/p99 on the hybrid and playlists-only bases.
#
# Usage: bench/playlists.sh [FRACTION]   (1 = the whole dataset's size; default 0.1)
#   The whole size is 1,000,000 playlists, 2,000,000 tracks and 300,000 artists (66 entries a
#   playlist on average). MYSQL_URL (default mysql://root@127.0.0.1:3306) names the server;
#   the database sixpotify_bench_playlists is dropped and recreated. BATCH (default 50000, the
#   command's own default) is the import's --batch-size. WORK (default a temporary folder) keeps the slices (slices
#   already there are reused). POOL_MB sets InnoDB's buffer pool for the run (restored after).
set -euo pipefail
cd "$(dirname "$0")/.."
fraction="${1:-0.1}"
server="${MYSQL_URL:-mysql://root@127.0.0.1:3306}"
batch="${BATCH:-50000}"
hostport="${server#mysql://}"; hostport="${hostport#*@}"
host="${hostport%:*}"; port="${hostport#*:}"
client=(mariadb --protocol=TCP -h"$host" -P"$port" -uroot)
scale() { printf '%.0f' "$(echo "$1 * $fraction" | bc -l)"; }
playlists=$(scale 1000000); tracks=$(scale 2000000); artists=$(scale 300000)

cargo build --release --quiet -p sixpotify-loader -p sixpotify-tests --bin synth-catalog --bin playlist-bench
bin="${CARGO_TARGET_DIR:-target}/release"
work="${WORK:-$(mktemp -d)}"
cleanup() { [ -n "${WORK:-}" ] || rm -rf "$work"; }
trap cleanup EXIT
if [ -n "${POOL_MB:-}" ]; then
  pool_before=$("${client[@]}" -N -e "SELECT @@innodb_buffer_pool_size")
  trap '"${client[@]}" -e "SET GLOBAL innodb_buffer_pool_size = $pool_before" || true; cleanup' EXIT
  "${client[@]}" -e "SET GLOBAL innodb_buffer_pool_size = $((POOL_MB * 1024 * 1024))"
  sleep 2
fi
echo "InnoDB buffer pool: $(( $("${client[@]}" -N -e "SELECT @@innodb_buffer_pool_size") / 1024 / 1024 )) MiB"
db="$server/sixpotify_bench_playlists"

echo "== $playlists playlists over $tracks tracks of $artists artists (fraction $fraction)"
if [ -f "$work/mpd/mpd.slice.0-999.json" ]; then
  echo "reusing the slices in $work/mpd"
else
  "$bin/synth-catalog" --playlists "$playlists" --tracks "$tracks" --artists "$artists" "$work/mpd"
fi
du -sh "$work/mpd"

"${client[@]}" -e "DROP DATABASE IF EXISTS sixpotify_bench_playlists; CREATE DATABASE sixpotify_bench_playlists CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
DATABASE_URL="$db" "$bin/sixpotify-loader" migrate 2>/dev/null
start=$(date +%s.%N)
/usr/bin/time -f '%M' -o "$work/rss" env DATABASE_URL="$db" \
  "$bin/sixpotify-loader" import-mpd "$work/mpd" --no-progress --batch-size "$batch" 2> "$work/import.log" \
  || { tail -5 "$work/import.log"; exit 1; }
end=$(date +%s.%N)
tail -1 "$work/import.log"
entries=$("${client[@]}" -N sixpotify_bench_playlists -e "SELECT COUNT(*) FROM playlist_tracks")
secs=$(echo "$end - $start" | bc -l)
printf 'import-mpd\t%s entries in %.1f s\t%.0f entries/s\tpeak RSS %.0f MiB\n' \
  "$entries" "$secs" "$(echo "$entries / $secs" | bc -l)" "$(echo "$(cat "$work/rss") / 1024" | bc -l)"

# The model is built on one core; the database answers on the other.
taskset -c 0 "$bin/playlist-bench" "$db" 5000
