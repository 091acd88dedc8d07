#!/usr/bin/env bash
# The benchmark command: builds Release, runs the chosen scenarios and writes the results table.
#
#   bench/run.sh [quick|all|throughput|drain|faults|memory] [--rounds N] [--seconds N]
#
# "all" (the default, ~24 min) is the set whose table goes into bench/RESULTS.md and the README; the other sets write
# only bench/results-raw/<run>/RESULTS.md. Every process the run starts (nodes, the baseline, HAProxy, wrk) is
# recorded by PID, and this script's exit trap stops whatever is still running, by PID, however the run ends
# (PostgreSQL is started and stopped by scripts/test-services.sh). See bench/README.md for the method.
# Needs the .NET SDK; installs what else is missing from Debian packages (wrk; PostgreSQL and HAProxy through
# scripts/install-test-deps.sh, as the test command does).
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-all}" in -h|--help) set -- --help ;; esac
scripts/install-test-deps.sh >/dev/null || { echo "bench: installing PostgreSQL/HAProxy failed" >&2; exit 1; }
if ! command -v wrk >/dev/null; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "bench: installing wrk"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends wrk >/dev/null \
    || { echo "bench: installing wrk failed" >&2; exit 1; }
fi

# TestSupport's process launcher (nodes, the baseline, HAProxy, wrk) writes a file named by each child's PID here.
ACTORSERVICE_PID_DIR=$(mktemp -d /tmp/actorservice-bench-pids.XXXXXX)
export ACTORSERVICE_PID_DIR
cleanup() {
  local pid left=()
  for f in "$ACTORSERVICE_PID_DIR"/*; do
    [ -e "$f" ] || continue
    pid=$(basename "$f")
    if kill -0 "$pid" 2>/dev/null; then
      echo "bench: stopping leftover $(cat "$f") (pid $pid)" >&2
      kill -TERM "$pid" 2>/dev/null || true
      left+=("$pid")
    fi
  done
  for pid in "${left[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  rm -rf "$ACTORSERVICE_PID_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== build (Release)"
for project in src/Node bench/Baseline bench/Runner; do
  dotnet build "$project" -c Release -nologo -v quiet -clp:ErrorsOnly || { echo "bench: building $project failed" >&2; exit 1; }
done

dotnet bench/Runner/bin/Release/net10.0/ActorService.Bench.Runner.dll "$@"
