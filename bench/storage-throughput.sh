#!/usr/bin/env bash
# POST deposit throughput of one node: SQLite and PostgreSQL, group commit on (default) and off (max-batch = 1).
# Runs the four configurations back to back on this machine and prints requests/s and the ratios between them.
#
#   bench/storage-throughput.sh [duration=15s] [connections=64]
#
# Needs a built node (dotnet build), wrk, and the private PostgreSQL (scripts/test-services.sh start; started here
# when ACTORSERVICE_TEST_POSTGRES is not set). Every run gets a fresh data folder and a fresh database.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-15s}
connections=${2:-64}
dll=src/Node/bin/${CONFIGURATION:-Debug}/net10.0/ActorService.Node.dll
[ -f "$dll" ] || { echo "build the node first: $dll missing" >&2; exit 1; }

started_services=""
if [ -z "${ACTORSERVICE_TEST_POSTGRES:-}" ]; then
  eval "$(scripts/test-services.sh start)"
  started_services=yes
fi
pg_port=$(sed -n 's/.*Port=\([0-9]*\).*/\1/p' <<<"$ACTORSERVICE_TEST_POSTGRES")
work=$(mktemp -d /tmp/actorservice-bench.XXXXXX)
node_pid=""
cleanup() {
  [ -n "$node_pid" ] && kill -9 "$node_pid" 2>/dev/null || true
  rm -rf "$work"
  [ -n "$started_services" ] && scripts/test-services.sh stop "$ACTORSERVICE_TEST_SERVICES_DIR"
}
trap cleanup EXIT

free_port() {
  local port
  while :; do
    port=$((30000 + RANDOM % 20000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
}

run() { # name, extra flags...
  local name=$1; shift
  local port cport mport
  port=$(free_port); cport=$(free_port); mport=$(free_port)
  dotnet "$dll" --http-port "$port" --cluster-port "$cport" --management-port "$mport" --data-dir "$work/$name" --lb-delay 100ms --log-level Warning "$@" \
    >"$work/$name.log" 2>&1 &
  node_pid=$!
  for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.5; done
  curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null || { echo "$name: node not ready; log:" >&2; tail -20 "$work/$name.log" >&2; exit 1; }
  wrk -t2 -c"$connections" -d3s -s bench/deposit.lua "http://127.0.0.1:$port" >/dev/null   # warm-up: JIT, pools, entities
  local out rps non2xx
  out=$(wrk -t2 -c"$connections" -d"$duration" -s bench/deposit.lua "http://127.0.0.1:$port")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
  kill -TERM "$node_pid"; wait "$node_pid" || true; node_pid=""
  printf '%-22s %10s req/s  non-2xx: %s\n' "$name" "$rps" "${non2xx:-0}" >&2
  echo "$rps"
}

newdb() {
  local db="bench_$1_$RANDOM"
  psql -q -h 127.0.0.1 -p "$pg_port" -U postgres -c "CREATE DATABASE $db" >/dev/null
  echo "Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=$db"
}

echo "wrk -t2 -c$connections -d$duration -s bench/deposit.lua, one node ($dll), $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
sqlite_on=$(run sqlite-group-on)
sqlite_off=$(run sqlite-group-off --hocon "actor-service.db.group-commit.max-batch = 1")
pg_on=$(run postgres-group-on --postgres "$(newdb on)")
pg_off=$(run postgres-group-off --postgres "$(newdb off)" --hocon "actor-service.db.group-commit.max-batch = 1")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "group commit on/off, SQLite:      $(ratio "$sqlite_on" "$sqlite_off")x"
echo "group commit on/off, PostgreSQL:  $(ratio "$pg_on" "$pg_off")x"
echo "PostgreSQL/SQLite, group on:      $(ratio "$pg_on" "$sqlite_on")x"
echo "PostgreSQL/SQLite, group off:     $(ratio "$pg_off" "$sqlite_off")x"
