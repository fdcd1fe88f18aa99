#!/usr/bin/env bash
# Spotify loader benchmark: `sixpotify-loader spotify` against the fake Spotify server with a
# generated catalog (200 artists x 5 albums x 10 tracks by default, every request delayed like
# a network would), seeded by an artists file of all 200 names, into a fresh SQLite database per
# run. For each requests-per-second cap it prints every run (requests, wall time, requests per
# second, ratio to the cap), then medians.
#
# Usage: bench/spotify.sh [RUNS] [CAPS]
#   RUNS (default 3) runs per cap; CAPS (default "25 50 100") the caps to measure.
#   ARTISTS ALBUMS TRACKS (default 200 5 10), LATENCY_MS (default 20), CONCURRENCY (default 4).
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
caps="${2:-25 50 100}"
artists="${ARTISTS:-200}"; albums="${ALBUMS:-5}"; tracks="${TRACKS:-10}"
latency="${LATENCY_MS:-20}"; concurrency="${CONCURRENCY:-4}"

cargo build --release --quiet -p sixpotify-loader -p sixpotify-tests --bin sixpotify-loader --bin fake-spotify
target="${CARGO_TARGET_DIR:-target}/release"
work="$(mktemp -d)"
fake_pid=""
cleanup() { [ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

"$target/fake-spotify" "$artists" "$albums" "$tracks" "$latency" > "$work/fake.url" 2> "$work/fake.log" &
fake_pid=$!
for _ in $(seq 1 100); do [ -s "$work/fake.url" ] && break; sleep 0.1; done
url="$(head -n1 "$work/fake.url")"
for i in $(seq 0 $((artists - 1))); do echo "Artist $i"; done > "$work/artists.txt"

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

echo "catalog: $artists artists x $albums albums x $tracks tracks; ${latency} ms a request; concurrency $concurrency"
printf 'cap\trun\trequests\twall_s\treq_per_s\tratio_to_cap\ttracks\n'
: > "$work/summary.tsv"
for cap in $caps; do
  for run in $(seq 1 "$runs"); do
    rm -f "$work/b.db"*
    start=$(date +%s.%N)
    DATABASE_URL="sqlite://$work/b.db" SPOTIFY_API_URL="$url/v1" SPOTIFY_ACCOUNTS_URL="$url" \
      SPOTIFY_CLIENT_ID=fake-client-id SPOTIFY_CLIENT_SECRET=fake-client-secret-7f3a \
      "$target/sixpotify-loader" spotify --artists-file "$work/artists.txt" \
      --requests-per-second "$cap" --concurrency "$concurrency" 2> "$work/run.log" \
      || { cat "$work/run.log"; exit 1; }
    end=$(date +%s.%N)
    line="$(tail -n1 "$work/run.log")"
    requests="$(sed -E 's/.*; ([0-9]+) requests in .*/\1/' <<< "$line")"
    loaded="$(sed -E 's/.* ([0-9]+) tracks, .*/\1/' <<< "$line")"
    wall="$(awk -v a="$start" -v b="$end" 'BEGIN {print b - a}')"
    rate="$(awk -v n="$requests" -v w="$wall" 'BEGIN {print n / w}')"
    ratio="$(awk -v r="$rate" -v c="$cap" 'BEGIN {print r / c}')"
    printf '%s\t%s\t%s\t%.2f\t%.1f\t%.3f\t%s\n' "$cap" "$run" "$requests" "$wall" "$rate" "$ratio" "$loaded"
    printf '%s\t%s\t%s\t%s\n' "$cap" "$wall" "$rate" "$ratio" >> "$work/summary.tsv"
  done
done
echo
printf 'cap\tmedian_wall_s\tmedian_req_per_s\tmedian_ratio_to_cap\n'
for cap in $caps; do
  w=$(awk -v c="$cap" '$1==c {print $2}' "$work/summary.tsv" | median)
  r=$(awk -v c="$cap" '$1==c {print $3}' "$work/summary.tsv" | median)
  q=$(awk -v c="$cap" '$1==c {print $4}' "$work/summary.tsv" | median)
  printf '%s\t%.2f\t%.1f\t%.3f\n' "$cap" "$w" "$r" "$q"
done
