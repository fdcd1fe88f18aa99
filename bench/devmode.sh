#!/usr/bin/env bash
# Requests sent to endpoints Spotify's 2026 development mode refuses: the fake Spotify (12
# artists × 3 albums × 4 tracks, 20 ms a request) answers 403 on the several-ids endpoints, top
# tracks and audio features; two `spotify` runs over the 12 artists into one SQLite file, and
# after each the requests that reached every refused route. The first of each is needed to learn
# it is refused; a run should send no more than the requests in flight at that moment
# (--concurrency 4), and a second run one probe each.
#
# Usage: bench/devmode.sh [LOADER]   (default: this tree's debug build)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet -p sixpotify-tests --bin fake-spotify -p sixpotify-loader
bin="${CARGO_TARGET_DIR:-target}/debug"
loader="${1:-$bin/sixpotify-loader}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export FAKE_SPOTIFY_RETIRE='/v1/albums,/v1/tracks,/v1/artists,/v1/audio-features,/v1/audio-features/{id},/v1/artists/{id}/top-tracks'
artists=(); for i in $(seq 0 11); do artists+=(--artist "Artist $i"); done
extra=(); "$loader" spotify --help | grep -q -- --no-reccobeats && extra+=(--no-reccobeats)
for run in 1 2; do
  "$bin/fake-spotify" 12 3 4 20 > "$work/url" 2> "$work/fake.log" &
  fake=$!
  for _ in $(seq 100); do [ -s "$work/url" ] && break; sleep 0.1; done
  url=$(head -1 "$work/url")
  DATABASE_URL="sqlite://$work/devmode.db?mode=rwc" SPOTIFY_CLIENT_ID=fake-client-id \
    SPOTIFY_CLIENT_SECRET=fake-client-secret-7f3a "$loader" spotify "${artists[@]}" \
    --api-url "$url/v1" --accounts-url "$url" --artists-per-batch 12 --requests-per-second 1000 \
    "${extra[@]}" 2>&1 | tail -1
  kill -INT "$fake"; wait "$fake" || true
  sed -n 's/^fake Spotify: \([0-9]*\) requests to \(.*\)/  run '"$run"': \1 requests to \2/p' "$work/fake.log"
  awk -v run="$run" '/requests to/ { n += $3 } END { print "  run " run ": " n " requests to refused routes in all" }' "$work/fake.log"
done
