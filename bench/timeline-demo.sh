#!/usr/bin/env bash
# Real drains under load, drawn with tools/Timeline (the pictures in the README's Observability section).
#   bench/timeline-demo.sh single   one node under wrk load (64 connections of deposits on 100 accounts), SIGTERM
#   bench/timeline-demo.sh rolling  deploy/local/cluster.sh's 3 nodes (one SQLite file) behind HAProxy, wrk through it,
#                                   and its rolling restart to a new app-version: one lane per node
# Writes docs/timeline-<mode>.svg and keeps the reports and logs in the printed work folder. Needs wrk; Release build.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-single}
[ "$mode" = single ] || [ "$mode" = rolling ] || { echo "usage: $0 single|rolling" >&2; exit 2; }
dotnet build -c Release src/Node -nologo -v quiet >/dev/null
dotnet build -c Release tools/Timeline -nologo -v quiet >/dev/null
dll=src/Node/bin/Release/net10.0/ActorService.Node.dll
work=$(mktemp -d /tmp/timeline-demo.XXXXXX)
echo "work folder: $work"
lua=$work/deposit.lua
cat > "$lua" <<'LUA'
local n = 0
request = function()
  n = n + 1
  return wrk.format("POST", "/accounts/acc-" .. (n % 100) .. "/deposit",
    { ["Content-Type"] = "application/json", ["Idempotency-Key"] = "k-" .. math.random(1, 2^30) .. "-" .. n },
    '{"amount": 1}')
end
LUA

pids=()
loads=()
http_port() { echo $((18180 + $1)); }
cluster_port() { echo $((14180 + $1)); }
management_port() { echo $((18580 + $1)); }   # probes, /admin, /metrics (the management listener)

start_node() { # single mode: $1 = node number, $2 = generation (report and log names), $3 = app version
  local args=(--http-port "$(http_port "$1")" --cluster-port "$(cluster_port "$1")" --management-port "$(management_port "$1")" --data-dir "$work/data"
    --lb-delay 1s --report-path "$work/report-$1-$2.json" --app-version "$3" --log-level Information)
  dotnet "$dll" "${args[@]}" > "$work/node-$1-$2.log" 2>&1 &
  pids[$1]=$!
}
wait_ready() { until curl -sf "http://127.0.0.1:$(http_port "$1")/health/ready" >/dev/null; do sleep 0.2; done; }
drain() { # SIGTERM and wait for the exit; prints the exit code
  kill -TERM "${pids[$1]}"
  local code=0
  wait "${pids[$1]}" || code=$?
  echo "node $1 drained: exit $code, report $work/report-$1-1.json"
}
load() { # $1 = node number, $2 = connections, $3 = duration
  wrk -t1 -c"$2" -d"$3" -s "$lua" "http://127.0.0.1:$(http_port "$1")" > "$work/wrk-$1.txt" 2>&1 &
  loads+=($!)
}
cleanup() { for p in "${loads[@]}" "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

if [ "$mode" = single ]; then
  start_node 1 1 1.0.0
  wait_ready 1
  load 1 64 60s
  sleep 5
  drain 1
  out=docs/timeline-single.svg
  dotnet tools/Timeline/bin/Release/net10.0/ActorService.Timeline.dll "$work/report-1-1.json" "$out"
else
  # The rolling restart is deploy/local/cluster.sh's (the one a person runs), in a state folder of its own.
  cluster() { STATE_DIR=$work LB_PORT=18180 STATS_PORT=18190 HTTP_BASE=18181 CLUSTER_BASE=14181 deploy/local/cluster.sh "$@"; }
  trap 'cleanup; cluster down >/dev/null 2>&1 || true' EXIT
  ACTORSERVICE_LOG_LEVEL=Information cluster up
  wrk -t2 -c72 -d300s -s "$lua" "http://127.0.0.1:18180" > "$work/wrk.txt" 2>&1 &
  loads+=($!)
  sleep 8
  ACTORSERVICE_LOG_LEVEL=Information cluster roll 1.0.1
  out=docs/timeline-rolling.svg
  dotnet tools/Timeline/bin/Release/net10.0/ActorService.Timeline.dll "$work"/node{1,2,3}-gen1.report.json "$out"
fi
echo "picture: $out"
