#!/usr/bin/env bash
# Cluster benchmark: the same loads and reads on one MariaDB server and on a local three-node
# Galera cluster behind HAProxy (scripts/cluster.sh), in one run.
#
#   1. imports of the shared dataset into a fresh database, one server and the cluster (through
#      HAProxy's writer) alternately, RUNS times each; migrations run before the clock starts
#   2. an import of SYNTH synthetic tracks (bench/lib.sh synth_catalog's generator), once on
#      each, with the summary refresh timed from the loader's log
#   3. the API's read throughput: track lookups by random id (bench/api.sh's scenario c) with
#      no cache at all, so that every lookup reaches the database, by an API over the single
#      server, over node 1 directly, then over HAProxy's read port with one, two and three
#      nodes in rotation (the others set to maintenance on HAProxy's admin socket; the cluster
#      keeps three members)
#
# Everything shares this machine's cores: three mariadbd, HAProxy, the API and wrk. The cluster's
# figures say what replication costs here, not what three machines would serve.
#
# Usage: bench/cluster.sh [RUNS] [SYNTH] [DURATION]
#   RUNS (default 3), SYNTH tracks (default 1000000; 0 skips step 2), DURATION of each read
#   run (default 20s). NODE_POOL_MB (default 2048) sizes each node's buffer pool, and the single
#   server's for the run. CLUSTER_DIR (default /var/tmp/sixpotify-bench-cluster) holds the
#   cluster, stopped at exit. MYSQL_URL (default mysql://root@127.0.0.1:3306) is the server.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
synth="${2:-1000000}"
duration="${3:-20s}"
dataset=../shared/data/spotify_songs.csv.gz
db=sixpotify_bench_cluster
export NODE_POOL_MB="${NODE_POOL_MB:-2048}"
POOL_MB="$NODE_POOL_MB"
export CLUSTER_DIR="${CLUSTER_DIR:-/var/tmp/sixpotify-bench-cluster}"
# shellcheck source=bench/lib.sh
. bench/lib.sh
size_buffer_pool
cargo build --release --quiet -p sixpotify-tests --bin synth-catalog

mkdir -p "$CLUSTER_DIR"; chmod 755 "$CLUSTER_DIR"
scripts/cluster.sh start
stop_cluster() { scripts/cluster.sh stop || true; }
trap 'stop_cluster; restore_pool 2> /dev/null || true; cleanup' EXIT
cluster="mysql://root@127.0.0.1:3320"
cluster_client=(mariadb --protocol=TCP -h127.0.0.1 -P3320 -uroot)

now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

timed_import() { # label, URL of the server, file: one import into a fresh "$db"; prints a row
  local label="$1" url="$2" file="$3" admin
  if [ "$url" = "$cluster" ]; then admin=("${cluster_client[@]}"); else admin=("${client[@]}"); fi
  "${admin[@]}" -e "DROP DATABASE IF EXISTS $db; CREATE DATABASE $db CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
  DATABASE_URL="$url/$db" "$bin/sixpotify-loader" migrate 2> /dev/null
  local t0 t1
  t0=$(now)
  DATABASE_URL="$url/$db" RUST_LOG=info "$bin/sixpotify-loader" import-csv "$file" --no-progress \
    2> "$work/import-$label.log" || { tail -20 "$work/import-$label.log"; exit 1; }
  t1=$(now)
  local refresh
  refresh=$(grep -o 'BI summaries refreshed.*' "$work/import-$label.log" | grep -o 'elapsed_ms=[0-9]*' | tail -1 | cut -d= -f2)
  printf '%s\t%.2f\t%.2f\n' "$label" "$(echo "$t1 - $t0" | bc -l)" "$(echo "${refresh:-0} / 1000" | bc -l)"
}

echo "== 1. the shared dataset ($dataset), $runs imports on each"
printf 'where\timport_s\tsummary_refresh_s\n'
: > "$work/single.tsv"; : > "$work/cluster.tsv"
for _ in $(seq 1 "$runs"); do
  timed_import single "$server" "$dataset" | tee -a "$work/single.tsv"
  timed_import cluster "$cluster" "$dataset" | tee -a "$work/cluster.tsv"
done
ms_=$(cut -f2 "$work/single.tsv" | median); mc=$(cut -f2 "$work/cluster.tsv" | median)
printf 'median: one server %.2f s, cluster %.2f s, cluster / one server %.2f\n' "$ms_" "$mc" "$(echo "$mc / $ms_" | bc -l)"
# Every node holds what the writer holds.
for n in 1 2 3; do
  mariadb --protocol=TCP -h127.0.0.1 -P331$n -uroot -N "$db" -e \
    "SELECT CONCAT('node$n: ', COUNT(*), ' tracks, checksum ', SUM(CRC32(CONCAT_WS('|', id, name, popularity)))) FROM tracks"
done

if [ "$synth" -gt 0 ]; then
  echo "== 2. $synth synthetic tracks, one import on each"
  "$bin/synth-catalog" --tracks "$synth" "$work/synth.csv.gz"
  printf 'where\timport_s\tsummary_refresh_s\n'
  timed_import single "$server" "$work/synth.csv.gz"
  timed_import cluster "$cluster" "$work/synth.csv.gz"
  "${cluster_client[@]}" -N -e "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_replicated_bytes', 'wsrep_flow_control_paused', 'wsrep_local_cert_failures')"
  # Step 3 reads the shared dataset.
  timed_import single "$server" "$dataset" > /dev/null
  timed_import cluster "$cluster" "$dataset" > /dev/null
fi

echo "== 3. reads: track lookups by random id, no cache, wrk at $connections connections for $duration"
lua_list track_ids "SELECT id FROM tracks ORDER BY id"
write_common_lua
write_lookup_lua
sed -i "1i dir = \"$work\"" "$work/c.lua"
haproxy_admin() { echo "$1" | socat stdio "unix-connect:$CLUSTER_DIR/haproxy.sock" > /dev/null; }
port=18191
reads() { # label, database URL: one API with no cache over it, driven by wrk; prints a row
  local label="$1" url="$2"
  env DATABASE_URL="$url/$db" SIXPOTIFY_ADDR="127.0.0.1:$port" SIXPOTIFY_SEED=false RUST_LOG=warn \
    SIXPOTIFY_RESPONSE_CACHE_MB=0 SIXPOTIFY_ENTITY_CACHE_ENTRIES=0 \
    "$bin/sixpotify-api" > /dev/null 2> "$work/api-$port.log" &
  local pid=$!
  pids+=("$pid")
  wait_ready "$port"
  wrk -t1 -c"$connections" -d5s -s "$work/c.lua" "http://127.0.0.1:$port/graphql" > /dev/null
  wrk -t"$threads" -c"$connections" -d"$duration" --latency --timeout 5s -s "$work/c.lua" \
    "http://127.0.0.1:$port/graphql" > "$work/reads-$label.out"
  kill "$pid"; wait "$pid" 2> /dev/null || true
  port=$((port + 1))
  local errors
  errors=$(awk '/Non-2xx/ { n += $NF } /Socket errors/ { gsub(/[^0-9 ]/, " "); n += $1 + $2 + $3 + $4 } END { print n + 0 }' "$work/reads-$label.out")
  [ "$errors" = 0 ] || { echo "$label: $errors errors" >&2; head -20 "$work/reads-$label.out" >&2; exit 1; }
  printf '%s\t%s\t%s\t%s\t%s\n' "$label" "$(awk '/^Requests\/sec/ { printf "%.0f", $2 }' "$work/reads-$label.out")" \
    "$(ms "$(awk '$1 == "50%" { print $2 }' "$work/reads-$label.out")")" \
    "$(ms "$(awk '$1 == "99%" { print $2 }' "$work/reads-$label.out")")" "$errors"
}
printf 'where\treq/s\tp50_ms\tp99_ms\terrors\n'
reads "one server" "$server"
reads "node 1, no HAProxy" "mysql://root@127.0.0.1:3311"
for n in 1 2 3; do
  for m in 1 2 3; do
    if [ "$m" -le "$n" ]; then haproxy_admin "set server reads/node$m state ready"; else haproxy_admin "set server reads/node$m state maint"; fi
  done
  reads "HAProxy, $n node(s)" "mysql://root@127.0.0.1:3321"
done
