#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what the tests need (PostgreSQL, Redis, HAProxy from
# Debian packages), builds, starts private PostgreSQL and Redis servers (scripts/test-services.sh), runs every test
# project against them, stops them, and ends with one line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")"

# Seconds per step, printed before the last line: where the suite's time goes (docs/testing.md, "Where the time goes").
times=()
step_started=$SECONDS
took() { times+=("$1 $((SECONDS - step_started)) s"); step_started=$SECONDS; }

scripts/install-test-deps.sh || { echo "0 passed, 1 failed"; exit 1; }
took "install"

echo "== build"
if ! dotnet build ActorService.sln -c Debug -nologo -v quiet; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi
took "build"

echo "== test services"
# Private PostgreSQL and Redis on loopback ports (ACTORSERVICE_TEST_POSTGRES / ACTORSERVICE_TEST_REDIS), stopped on exit.
if ! services=$(scripts/test-services.sh start); then
  echo "could not start the test services (PostgreSQL, Redis)"
  echo "0 passed, 1 failed"
  exit 1
fi
eval "$services"
trap 'scripts/test-services.sh stop "$ACTORSERVICE_TEST_SERVICES_DIR"' EXIT
took "services"

results=TestResults
rm -rf "$results" .test-work
mkdir -p "$results"
passed=0
failed=0
for project in tests/*/*.Tests.csproj; do
  name=$(basename "$project" .csproj)
  echo "== $name"
  timeout 1800 dotnet test "$project" --no-build -c Debug -nologo \
    --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=normal" \
    --results-directory "$results" --blame-hang-timeout 10m
  trx="$results/$name.trx"
  if [ -f "$trx" ]; then
    counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
    p=$(echo "$counters" | sed -n 's/.* passed="\([0-9]*\)".*/\1/p')
    f=$(echo "$counters" | sed -n 's/.* failed="\([0-9]*\)".*/\1/p')
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0}))
    echo "$name: ${p:-0} passed, ${f:-0} failed"
  else
    echo "$name: no results (the test run crashed or timed out)"
    failed=$((failed + 1))
  fi
  took "$name"
done

scripts/test-services.sh stop "$ACTORSERVICE_TEST_SERVICES_DIR"
trap - EXIT
took "stop"
echo "times: $(IFS=,; echo "${times[*]}" | sed 's/,/, /g'); total $SECONDS s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
