#!/usr/bin/env bash
# What the Redis snapshot cache buys: latency of "activate a passivated account, then deposit" with the account's
# snapshot in Redis (the entity skips the database read) and with Redis flushed (it reads PostgreSQL first).
#
#   bench/cache-activation.sh [accounts-per-thread=400]
#
# One node on PostgreSQL (ACTORSERVICE_TEST_POSTGRES, or started here) and a Redis of its own; entities passivate
# after 1 s idle, and every round waits until all of them did.
set -euo pipefail
cd "$(dirname "$0")/.."
per=${1:-400}
dll=src/Node/bin/${CONFIGURATION:-Debug}/net10.0/ActorService.Node.dll
started_services=""
if [ -z "${ACTORSERVICE_TEST_POSTGRES:-}" ]; then eval "$(scripts/test-services.sh start)"; started_services=yes; fi
pg_port=$(sed -n 's/.*Port=\([0-9]*\).*/\1/p' <<<"$ACTORSERVICE_TEST_POSTGRES")
free_port() { local p; while :; do p=$((30000 + RANDOM % 20000)); (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }; done; }
work=$(mktemp -d /tmp/actorservice-bench.XXXXXX)
http=$(free_port); cluster=$(free_port); management=$(free_port); redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes --pidfile "$work/redis.pid" --logfile "$work/redis.log" --dir "$work"
db="bench_cache_$RANDOM"
psql -q -h 127.0.0.1 -p "$pg_port" -U postgres -c "CREATE DATABASE $db"
node_pid=""
cleanup() {
  if [ -n "$node_pid" ]; then kill -9 "$node_pid" 2>/dev/null || true; wait "$node_pid" 2>/dev/null || true; fi
  if [ -f "$work/redis.pid" ]; then
    local rp; rp=$(cat "$work/redis.pid")
    kill "$rp" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$rp" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -rf "$work" || true
  [ -n "$started_services" ] && scripts/test-services.sh stop "$ACTORSERVICE_TEST_SERVICES_DIR"
  true
}
trap cleanup EXIT
dotnet "$dll" --http-port "$http" --cluster-port "$cluster" --management-port "$management" --data-dir "$work/data" --log-level Warning --admin-token bench-admin-token-0123456789abcdef \
  --postgres "Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=$db" --redis "127.0.0.1:$redis_port" \
  --hocon "actor-service.accounts.passivate-after = 1s" >"$work/node.log" 2>&1 &
node_pid=$!
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$http/health/ready" >/dev/null && break; sleep 0.5; done

passivated() {
  for _ in $(seq 1 120); do
    curl -sf -H "Authorization: Bearer bench-admin-token-0123456789abcdef" "http://127.0.0.1:$management/admin/status" | grep -q '"activeEntities":0' && return
    sleep 0.5
  done
  echo "entities did not passivate" >&2; exit 1
}
round() { # name
  passivated
  local out
  out=$(wrk -t2 -c2 -d15s --latency -s bench/activation.lua "http://127.0.0.1:$http" -- "$per" "$1")
  printf '%-28s avg %-9s p50 %-9s p99 %s\n' "$1" "$(awk '/Latency/ {print $2; exit}' <<<"$out")" \
    "$(awk '$1 == "50%" {print $2}' <<<"$out")" "$(awk '$1 == "99%" {print $2}' <<<"$out")"
}

echo "$((2 * per)) accounts, 2 sequential clients; load: $(cut -d' ' -f1-3 /proc/loadavg)"
round create                         # new accounts: cache miss, insert
round cached-1                       # snapshot in Redis: no database read before the commit
redis-cli -p "$redis_port" flushall >/dev/null
round flushed                        # Redis empty: the entity reads PostgreSQL, then commits
round cached-2
