#!/usr/bin/env bash
# SIGTERM-to-exit time of one node, idle and under load (wrk, 32 connections of deposits), N runs each.
# Usage: bench/drain-exit-time.sh [runs] [lb-delay]   (needs a Release build: dotnet build -c Release src/Node)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
lb=${2:-1s}
dll=src/Node/bin/Release/net10.0/ActorService.Node.dll
[ -f "$dll" ] || dotnet build -c Release src/Node -nologo -v quiet
work=$(mktemp -d)
port=18080
lua=$work/deposit.lua
cat > "$lua" <<'LUA'
local n = 0
request = function()
  n = n + 1
  return wrk.format("POST", "/accounts/acc-" .. (n % 500) .. "/deposit",
    { ["Content-Type"] = "application/json", ["Idempotency-Key"] = "k-" .. math.random(1, 2^30) .. "-" .. n },
    '{"amount": 1}')
end
LUA

one_run() { # $1 = idle|load
  local dir=$work/$1-$RANDOM
  dotnet "$dll" --http-port $port --cluster-port 14053 --data-dir "$dir" --lb-delay "$lb" --report-path "$dir/report.json" --log-level Warning > "$dir.log" 2>&1 &
  local pid=$!
  until curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null; do sleep 0.1; done
  local loadpid=""
  if [ "$1" = load ]; then
    wrk -t2 -c32 -d30s -s "$lua" "http://127.0.0.1:$port" > "$dir.wrk" 2>&1 &
    loadpid=$!
    sleep 3
  fi
  local start end
  start=$(date +%s%N)
  kill -TERM $pid
  wait $pid || true
  end=$(date +%s%N)
  [ -n "$loadpid" ] && kill $loadpid 2>/dev/null || true
  echo "$1 $(( (end - start) / 1000000 ))"
}

for mode in idle load; do
  for i in $(seq 1 "$runs"); do one_run $mode; done
done | awk -v lb="$lb" '{ t[$1] = t[$1] " " $2 } END { for (m in t) print m ": SIGTERM-to-exit ms:" t[m] "  (lb-delay " lb ")" }'
rm -rf "$work"
