#!/usr/bin/env bash
# Private PostgreSQL and Redis instances for the test suite: loopback only, free ports, a temporary folder, nothing
# shared with a system-wide service.
#
#   eval "$(scripts/test-services.sh start)"   # starts both, prints the export lines below
#   scripts/test-services.sh start --listen 198.18.7.1   # also listen on that address (a network namespace bridge's)
#   scripts/test-services.sh stop              # stops them and removes the folder (uses ACTORSERVICE_TEST_SERVICES_DIR)
#   scripts/test-services.sh start --redis-aof           # Redis appends every write to its log and fsyncs it (survives kill -9)
#   scripts/test-services.sh pg-stop DIR | pg-start DIR  # stop PostgreSQL (fast: sessions are cut) / start it again, same port
#   scripts/test-services.sh redis-kill DIR | redis-start DIR   # kill -9 Redis / start it again, same port and options
#
# The last four are the fault specs' (tests/Cluster.Tests): a database restarted or a cache killed under load.
#
# --listen ADDR: nodes in network namespaces (tests/TestSupport NetTopology) cannot reach the root namespace's
# loopback, so the servers listen on the bridge's address too, PostgreSQL trusts connections from its /24 and Redis
# leaves protected mode (which answers loopback clients only). The
# address must exist when the servers start; only 198.18.0.0/15 (a test's own bridge) is accepted.
#
# Exports:
#   ACTORSERVICE_TEST_POSTGRES      Npgsql connection string of the superuser on the private server (tests create their own databases)
#   ACTORSERVICE_TEST_REDIS         StackExchange.Redis configuration of the private Redis
#   ACTORSERVICE_TEST_SERVICES_DIR  the folder holding data, logs and pid files (what "stop" needs)
#
# PostgreSQL refuses to run as root, so initdb and the server run as the "postgres" OS user (runuser); the Debian
# package creates that user. Needs scripts/install-test-deps.sh to have run (the README's test command does).
set -euo pipefail

# A port below the kernel's ephemeral range: one inside it can be the local port of some outgoing connection (a
# shared machine has thousands), and then the server's bind fails with "Address already in use" though nothing listens.
free_port() {
  local port low=32768
  read -r low _ < /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
  [ "$low" -gt 12000 ] || low=32768
  for _ in $(seq 1 200); do
    port=$((10000 + RANDOM % (low - 10000)))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return 0; fi
  done
  echo "no free port found" >&2
  return 1
}

as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  local also="" pg_listen=127.0.0.1 redis_bind=127.0.0.1 redis_protected=yes redis_persist="--appendonly no"
  while [ $# -gt 0 ]; do
    case "$1" in
      --listen)
        also=${2:-}
        [[ "$also" =~ ^198\.1[89]\.[0-9]+\.[0-9]+$ ]] || { echo "--listen takes an address in 198.18.0.0/15, not '$also'" >&2; exit 2; }
        pg_listen="127.0.0.1,$also"
        redis_bind="127.0.0.1 $also"
        redis_protected=no # Redis's protected mode answers only loopback clients; the bridge is reachable from its namespaces alone
        shift 2 ;;
      --redis-aof) redis_persist="--appendonly yes --appendfsync always"; shift ;;
      *) echo "unknown option '$1'" >&2; exit 2 ;;
    esac
  done
  local pgbin
  pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -x "$pgbin/initdb" ] || { echo "PostgreSQL is not installed: run scripts/install-test-deps.sh" >&2; exit 1; }
  command -v redis-server >/dev/null || { echo "redis-server is not installed: run scripts/install-test-deps.sh" >&2; exit 1; }

  local dir pg_port redis_port
  dir=$(mktemp -d /tmp/actorservice-test-services.XXXXXX)
  chmod 755 "$dir"
  mkdir -p "$dir/pg" "$dir/redis"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir/pg"

  pg_port=$(free_port)
  as_postgres "$pgbin/initdb" -D "$dir/pg/data" -U postgres -A trust --no-sync -E UTF8 >"$dir/pg/initdb.log" 2>&1 \
    || { cat "$dir/pg/initdb.log" >&2; exit 1; }
  [ -n "$also" ] && echo "host all all ${also%.*}.0/24 trust" >> "$dir/pg/data/pg_hba.conf"
  # fsync stays on: the durability specs must see what production sees. Loopback only; socket in our own folder.
  # Kept for pg-start and redis-start: the same server again on the same port.
  echo "-c listen_addresses=$pg_listen -c port=$pg_port -c unix_socket_directories=$dir/pg -c max_connections=300 -c shared_buffers=64MB" > "$dir/pg/options"
  pg_start "$dir"

  redis_port=$(free_port)
  echo "--port $redis_port --bind $redis_bind --protected-mode $redis_protected --save '' $redis_persist" > "$dir/redis/args"
  echo "$redis_port" > "$dir/redis/port"
  redis_start "$dir"

  cat >"$dir/env" <<ENV
export ACTORSERVICE_TEST_POSTGRES="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=postgres"
export ACTORSERVICE_TEST_REDIS="127.0.0.1:$redis_port"
export ACTORSERVICE_TEST_SERVICES_DIR="$dir"
ENV
  echo "test services: PostgreSQL on 127.0.0.1:$pg_port, Redis on 127.0.0.1:$redis_port ($dir)" >&2
  cat "$dir/env"
}

pg_start() {
  local dir=$1 pgbin
  pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  as_postgres "$pgbin/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/server.log" -w -t 60 -o "$(cat "$dir/pg/options")" \
    start >/dev/null || { cat "$dir/pg/server.log" >&2; exit 1; }
}

pg_stop() {
  local dir=$1 pgbin
  pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  # fast: open sessions are cut and their transactions rolled back, as when a database server restarts.
  as_postgres "$pgbin/pg_ctl" -D "$dir/pg/data" -m fast -w -t 60 stop >/dev/null
}

redis_start() {
  local dir=$1 port
  port=$(cat "$dir/redis/port")
  eval "redis-server $(cat "$dir/redis/args") --daemonize yes --dir '$dir/redis' --pidfile '$dir/redis/redis.pid' --logfile '$dir/redis/redis.log'" >/dev/null
  for _ in $(seq 1 100); do
    redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && break
    sleep 0.1
  done
  redis-cli -p "$port" ping | grep -q PONG || { cat "$dir/redis/redis.log" >&2; exit 1; }
}

redis_kill() {
  local dir=$1 pid
  pid=$(cat "$dir/redis/redis.pid")
  kill -9 "$pid"
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  rm -f "$dir/redis/redis.pid"
}

# The folder given to the fault subcommands must be one this script made.
services_dir() {
  case "${1:-}" in /tmp/actorservice-test-services.*) [ -d "$1" ] && echo "$1" && return 0 ;; esac
  echo "not a test services folder: '${1:-}'" >&2
  exit 2
}

stop() {
  local dir=${1:-${ACTORSERVICE_TEST_SERVICES_DIR:-}}
  [ -n "$dir" ] && [ -d "$dir" ] || { echo "nothing to stop (ACTORSERVICE_TEST_SERVICES_DIR not set)" >&2; return 0; }
  case "$dir" in /tmp/actorservice-test-services.*) ;; *) echo "refusing to remove $dir" >&2; return 1 ;; esac
  local pgbin
  pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  if [ -f "$dir/pg/data/postmaster.pid" ]; then
    as_postgres "$pgbin/pg_ctl" -D "$dir/pg/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
  fi
  if [ -f "$dir/redis/redis.pid" ]; then
    local redis_pid
    redis_pid=$(cat "$dir/redis/redis.pid")
    kill "$redis_pid" 2>/dev/null || true
    # Redis logs its goodbye while it exits: removing the folder before that leaves it behind with just that log.
    for _ in $(seq 1 100); do kill -0 "$redis_pid" 2>/dev/null || break; sleep 0.05; done
  fi
  rm -rf "$dir"
  echo "test services stopped ($dir)" >&2
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop) stop "${2:-}" ;;
  pg-stop) pg_stop "$(services_dir "${2:-}")" ;;
  pg-start) pg_start "$(services_dir "${2:-}")" ;;
  redis-kill) redis_kill "$(services_dir "${2:-}")" ;;
  redis-start) redis_start "$(services_dir "${2:-}")" ;;
  *) echo "usage: $0 start [--listen ADDR] [--redis-aof] | stop [dir] | pg-stop|pg-start|redis-kill|redis-start DIR" >&2; exit 2 ;;
esac
