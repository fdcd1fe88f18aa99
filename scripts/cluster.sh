#!/usr/bin/env bash
# A local three-node MariaDB Galera cluster with HAProxy in front, on one machine: for tests,
# benchmarks, and as the example of a production layout (README › Running on a cluster).
#
# Usage: scripts/cluster.sh start|stop|status|kill N|restart N
#   start      initialises the nodes' data directories (the first run), bootstraps node 1 with
#              --wsrep-new-cluster, joins nodes 2 and 3 (state transfer by rsync), creates the
#              users, and starts HAProxy
#   stop       stops HAProxy and the nodes (3, 2, then 1, which is then safe to bootstrap)
#   status     each node's cluster size, state and readiness
#   kill N     SIGKILL node N (a crash)
#   restart N  starts node N again; it rejoins the running cluster (IST, or SST by rsync)
#   isolate N  cuts node N off from the others (a network partition: it becomes a minority of
#              one, non-primary, and refuses statements while the other two go on)
#   rejoin N   ends the partition; waits until node N has caught up
#   pause N    SIGSTOP node N (frozen: the others drop it after a few seconds)
#   resume N   SIGCONT node N; waits until it has caught up
#
# Node N listens on 127.0.0.1:331N for clients, 45N7 for group communication, 45N8 for
# incremental state transfer and 44N4 for rsync. HAProxy listens on 127.0.0.1:3320 for
# writes (node 1, then 2, then 3 if it is down: one writer at a time avoids certification
# conflicts; sessions on a backup are cut when node 1 is back) and on 127.0.0.1:3321 for reads
# (round robin over every node). A node counts as up while it is synced with the primary
# component; the sessions of a node marked down are cut, so that clients reconnect elsewhere.
# CLUSTER_DIR (default /var/tmp/sixpotify-cluster) holds everything; the nodes run as `mysql`.
# Clients log in as root with no password over TCP (root@127.0.0.1, mysql_native_password: the
# MySQL driver does not follow the unix_socket-or-password switch of Debian's root@localhost).
# Needs Debian's mariadb-server, galera-4, haproxy and rsync.
set -euo pipefail
dir="${CLUSTER_DIR:-/var/tmp/sixpotify-cluster}"
provider=/usr/lib/galera/libgalera_smm.so
[ -f "$provider" ] || provider=/usr/lib/libgalera_smm.so
client() { mariadb --protocol=SOCKET -S "$dir/node$1/mysqld.sock" -uroot "${@:2}"; }

config() { # N: the node's option file
  local n="$1"
  cat > "$dir/node$n/my.cnf" << EOF
[mysqld]
user=mysql
datadir=$dir/node$n/data
socket=$dir/node$n/mysqld.sock
pid-file=$dir/node$n/mysqld.pid
log-error=$dir/node$n/error.log
port=331$n
bind-address=127.0.0.1
skip-name-resolve
binlog_format=ROW
default_storage_engine=InnoDB
innodb_autoinc_lock_mode=2
innodb_buffer_pool_size=${NODE_POOL_MB:-256}M
wsrep_on=ON
wsrep_provider=$provider
wsrep_cluster_name=sixpotify
wsrep_cluster_address=gcomm://127.0.0.1:4517,127.0.0.1:4527,127.0.0.1:4537
wsrep_node_name=node$n
wsrep_node_address=127.0.0.1:45${n}7
wsrep_provider_options="gmcast.listen_addr=tcp://127.0.0.1:45${n}7;ist.recv_addr=127.0.0.1:45${n}8;repl.causal_read_timeout=PT5S"
wsrep_sst_method=rsync
wsrep_sst_receive_address=127.0.0.1:44${n}4
EOF
}

wait_node() { # N: until the node answers and is synced with the cluster
  for _ in $(seq 1 240); do
    if [ "$(client "$1" -N -e "SHOW STATUS LIKE 'wsrep_ready'" 2> /dev/null | awk '{print $2}')" = ON ]; then
      return 0
    fi
    sleep 0.5
  done
  echo "node $1 did not become ready; its log: $dir/node$1/error.log" >&2
  tail -20 "$dir/node$1/error.log" >&2
  return 1
}

start_node() { # N [--wsrep-new-cluster]
  local n="$1"; shift
  mkdir -p "$dir/node$n"
  config "$n"
  chown -R mysql:mysql "$dir/node$n"
  if [ ! -d "$dir/node$n/data/mysql" ]; then
    mariadb-install-db --defaults-file="$dir/node$n/my.cnf" --auth-root-authentication-method=normal \
      --skip-test-db > "$dir/node$n/install.log" 2>&1
  fi
  chown -R mysql:mysql "$dir/node$n"
  mariadbd --defaults-file="$dir/node$n/my.cnf" "$@" > /dev/null 2>&1 &
  wait_node "$n"
}

haproxy_config() {
  # The health check: a node is up when it answers and is synced with the primary component
  # (wsrep_local_state 4). A node that only answers (a minority after a partition, a joiner
  # still receiving its state) would refuse every statement.
  cat > "$dir/galera-check" << 'EOF'
#!/bin/sh
# HAProxy external check: <proxy addr> <proxy port> <server addr> <server port>.
state=$(mariadb --protocol=TCP -h"$3" -P"$4" -uhaproxy --connect-timeout=1 -N \
  -e "SHOW STATUS LIKE 'wsrep_local_state'" 2> /dev/null | cut -f2)
[ "$state" = 4 ]
EOF
  chmod 755 "$dir/galera-check"
  cat > "$dir/haproxy.cfg" << EOF
global
  daemon
  pidfile $dir/haproxy.pid
  stats socket $dir/haproxy.sock mode 600 level admin
  external-check
  insecure-fork-wanted
defaults
  mode tcp
  timeout connect 2s
  timeout client 1h
  timeout server 1h
  retries 2
  option redispatch
  option external-check
  external-check path "/usr/bin:/bin"
  external-check command $dir/galera-check
  default-server check inter 1s fall 2 rise 2 on-marked-down shutdown-sessions
listen writes
  bind 127.0.0.1:3320
  server node1 127.0.0.1:3311 on-marked-up shutdown-backup-sessions
  server node2 127.0.0.1:3312 backup
  server node3 127.0.0.1:3313 backup
listen reads
  bind 127.0.0.1:3321
  balance roundrobin
  server node1 127.0.0.1:3311
  server node2 127.0.0.1:3312
  server node3 127.0.0.1:3313
EOF
}

case "${1:-}" in
  start)
    mkdir -p "$dir"
    if [ -f "$dir/node1/data/grastate.dat" ]; then
      sed -i 's/^safe_to_bootstrap: 0/safe_to_bootstrap: 1/' "$dir/node1/data/grastate.dat"
    fi
    start_node 1 --wsrep-new-cluster
    client 1 -e "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED VIA mysql_native_password USING PASSWORD('');
      GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
      CREATE USER IF NOT EXISTS 'haproxy'@'127.0.0.1';"
    start_node 2
    start_node 3
    haproxy_config
    haproxy -f "$dir/haproxy.cfg"
    "$0" status
    ;;
  stop)
    if [ -f "$dir/haproxy.pid" ]; then kill "$(cat "$dir/haproxy.pid")" 2> /dev/null || true; rm -f "$dir/haproxy.pid"; fi
    for n in 3 2 1; do
      # A paused node must run to shut down.
      if [ -f "$dir/node$n/mysqld.pid" ]; then kill -CONT "$(cat "$dir/node$n/mysqld.pid")" 2> /dev/null || true; fi
      client "$n" -e "SHUTDOWN" 2> /dev/null || true
      for _ in $(seq 1 120); do [ -f "$dir/node$n/mysqld.pid" ] || break; sleep 0.5; done
      # A node that would not shut down (cut off from the others, say) is killed.
      if [ -f "$dir/node$n/mysqld.pid" ]; then kill -KILL "$(cat "$dir/node$n/mysqld.pid")" 2> /dev/null || true; rm -f "$dir/node$n/mysqld.pid"; fi
    done
    ;;
  status)
    for n in 1 2 3; do
      if out=$(client "$n" -N -e "SHOW STATUS WHERE Variable_name IN ('wsrep_cluster_size', 'wsrep_local_state_comment', 'wsrep_ready', 'wsrep_cluster_status')" 2> /dev/null); then
        echo "node$n 127.0.0.1:331$n $(echo "$out" | awk '{printf "%s=%s ", $1, $2}')"
      else
        echo "node$n 127.0.0.1:331$n down"
      fi
    done
    ;;
  kill)
    kill -KILL "$(cat "$dir/node$2/mysqld.pid")"
    rm -f "$dir/node$2/mysqld.pid"
    ;;
  restart)
    start_node "$2"
    ;;
  isolate)
    client "$2" -e "SET GLOBAL wsrep_provider_options = 'gmcast.isolate=1'"
    ;;
  rejoin)
    client "$2" -e "SET GLOBAL wsrep_provider_options = 'gmcast.isolate=0'"
    wait_node "$2"
    ;;
  pause)
    kill -STOP "$(cat "$dir/node$2/mysqld.pid")"
    ;;
  resume)
    kill -CONT "$(cat "$dir/node$2/mysqld.pid")"
    wait_node "$2"
    ;;
  *)
    sed -n '/^set -euo/q;2,$p' "$0" >&2
    exit 2
    ;;
esac
