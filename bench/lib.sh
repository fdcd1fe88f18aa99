# Shared by the API benchmarks (sourced, not run): the MariaDB server, a release build, a work
# directory cleaned up on exit, importing a dataset or a synthetic catalog into the database
# "$db", starting API servers, reading their metrics, sizing InnoDB's buffer pool for a run, and
# the Lua helpers of the wrk scripts.
#
# The caller sets `db` before sourcing; MYSQL_URL (default mysql://root@127.0.0.1:3306) names
# the server.
server="${MYSQL_URL:-mysql://root@127.0.0.1:3306}"
hostport="${server#mysql://}"; hostport="${hostport#*@}"
host="${hostport%:*}"; port="${hostport#*:}"
client=(mariadb --protocol=TCP -h"$host" -P"$port" -uroot)
connections=64
threads=2

command -v wrk > /dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
cargo build --release --quiet -p sixpotify-loader -p sixpotify-api
bin="${CARGO_TARGET_DIR:-target}/release"
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

import_dataset() { # dataset: into a fresh database "$db"
  "${client[@]}" -e "DROP DATABASE IF EXISTS $db; CREATE DATABASE $db CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
  DATABASE_URL="$server/$db" "$bin/sixpotify-loader" import-csv "$1" --no-progress 2> "$work/import.log" \
    || { cat "$work/import.log"; exit 1; }
  tail -1 "$work/import.log"
}

synth_catalog() { # tracks: a synthetic catalog of that many tracks in "$db"; KEEP=1 reuses "$db"
  cargo build --release --quiet -p sixpotify-tests --bin synth-catalog
  if [ "${KEEP:-0}" = 1 ] && "${client[@]}" -e "USE $db" 2> /dev/null; then
    echo "reusing $db"
  else
    "$bin/synth-catalog" --tracks "$1" "$work/synth.csv.gz"
    import_dataset "$work/synth.csv.gz"
  fi
}

start_api() { # port, extra env...; sets api_pid. API_BIN runs another build, API_ENV adds settings
  local p="$1"; shift
  # shellcheck disable=SC2086 # API_ENV is a list of assignments
  env DATABASE_URL="$server/$db" SIXPOTIFY_ADDR="127.0.0.1:$p" SIXPOTIFY_SEED=false RUST_LOG=warn ${API_ENV:-} "$@" \
    "${API_BIN:-$bin/sixpotify-api}" > /dev/null 2> "$work/api-$p.log" &
  api_pid=$!
  pids+=("$api_pid")
}
metric() { # port, series
  curl -fsS "http://127.0.0.1:$1/metrics" | awk -v s="$2" 'index($0, s" ") == 1 { print $2; f=1 } END { if (!f) print 0 }'
}
wait_ready() { # port
  for _ in $(seq 1 300); do
    if curl -fsS "http://127.0.0.1:$1/readyz" > /dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  echo "the API on port $1 never became ready" >&2; cat "$work/api-$1.log" >&2; exit 1
}
size_buffer_pool() { # POOL_MB, when set, sizes InnoDB's buffer pool for the run (restored at exit)
  if [ -n "${POOL_MB:-}" ]; then
    pool_before=$("${client[@]}" -N -e "SELECT @@innodb_buffer_pool_size")
    restore_pool() { "${client[@]}" -e "SET GLOBAL innodb_buffer_pool_size = $pool_before" || true; }
    trap 'restore_pool; cleanup' EXIT
    "${client[@]}" -e "SET GLOBAL innodb_buffer_pool_size = $((POOL_MB * 1024 * 1024))"
    sleep 2
  fi
  echo "InnoDB buffer pool: $(( $("${client[@]}" -N -e "SELECT @@innodb_buffer_pool_size") / 1024 / 1024 )) MiB"
}
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
ms() { # wrk latency (e.g. 812.00us, 1.20ms, 1.01s) in ms
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n *= 1; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'
}

lua_list() { # name, SQL: a Lua list of the query's single column, in "$work/NAME.lua"
  { echo "$1 = {"; "${client[@]}" -N "$db" -e "$2" | sed 's/\\/\\\\/g; s/"/\\"/g; s/.*/"&",/'; echo "}"; } > "$work/$1.lua"
}

write_common_lua() { # "$work/common.lua": JSON POSTs of GraphQL, a random sequence per thread
  cat > "$work/common.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
function json_string(s) return '"' .. s:gsub('\\', '\\\\'):gsub('"', '\\"') .. '"' end
function graphql(query, variables)
  return '{"query":' .. json_string(query) .. ',"variables":' .. variables .. '}'
end
-- Each thread its own random sequence: the same one would send the same requests twice.
local thread_no = 0
function setup(thread) thread:set("id", thread_no); thread_no = thread_no + 1 end
function init(args) math.randomseed(7919 * (id + 1)) end
LUA
}

write_lookup_lua() { # "$work/c.lua": lookups of a track by random id from "$work/track_ids.lua"
  cat > "$work/c.lua" <<'LUA'
dofile(dir .. "/common.lua")
dofile(dir .. "/track_ids.lua")
q = "query Lookup($id: ID!) { track(id: $id) { name popularity durationMs album { name releaseDate } artists { name } audioFeatures { energy valence tempo } } }"
function request()
  return wrk.format(nil, nil, nil, graphql(q, '{"id":' .. json_string(track_ids[math.random(#track_ids)]) .. '}'))
end
LUA
}
