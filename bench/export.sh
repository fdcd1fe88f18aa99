#!/usr/bin/env bash
# The data lake export at scale: writes a synthetic catalog of TRACKS tracks (default
# 1,000,000) drawn from the shared dataset, imports it into MariaDB (the database of
# bench/analytics.sh, sixpotify_bench_analytics; KEEP=1 reuses it when it exists), then times
# `sixpotify-loader export --format parquet` into a directory, once with zstd and once with
# snappy, and prints each table's rows and bytes, the peak resident memory of the export, and
# how long DuckDB takes to group the exported tracks by decade and mode (needs
# `pip install -r tests/lake/requirements.txt`).
#
# Usage: bench/export.sh [TRACKS]
#   MYSQL_URL (default mysql://root@127.0.0.1:3306) names the server. POOL_MB sets MariaDB's
#   InnoDB buffer pool for the run (restored at exit).
set -euo pipefail
cd "$(dirname "$0")/.."
tracks="${1:-1000000}"
db=sixpotify_bench_analytics
command -v /usr/bin/time > /dev/null || { echo "GNU time is missing: apt-get install time" >&2; exit 1; }
# shellcheck source=bench/lib.sh
. bench/lib.sh

size_buffer_pool
synth_catalog "$tracks"
echo "catalog: $("${client[@]}" -N "$db" -e "SELECT COUNT(*) FROM tracks") tracks"
for codec in zstd snappy; do
  out="$work/lake-$codec"
  echo "== export --compression $codec"
  /usr/bin/time -f 'peak RSS %M KiB, %e s wall' \
    env DATABASE_URL="$server/$db" "$bin/sixpotify-loader" export --format parquet \
    --compression "$codec" --out "$out" --date 2026-11-30 2>&1 | grep -v ' INFO '
  du -sb "$out" | awk '{ printf "lake on disk: %d bytes\n", $1 }'
done
if python3 -c "import duckdb" 2> /dev/null; then
  python3 - "$work/lake-zstd" << 'PY'
import sys, time, duckdb
lake = sys.argv[1]
con = duckdb.connect()
query = f"""SELECT release_year - release_year % 10 AS decade, mode, count(*), avg(energy),
    stddev_pop(energy) FROM read_parquet('{lake}/tracks/*/*.parquet', hive_partitioning = true)
    GROUP BY ALL"""
times = []
for _ in range(7):
    start = time.perf_counter()
    con.execute(query).fetchall()
    times.append((time.perf_counter() - start) * 1000)
times.sort()
print(f"DuckDB over the lake, tracks by decade and mode: median {times[3]:.1f} ms, max {times[-1]:.1f} ms (7 runs)")
PY
fi
