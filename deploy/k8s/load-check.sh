#!/bin/sh
# Load during a rolling update, and the proof that nothing was lost. POSIX sh + curl only, so it runs in a
# throw-away curl pod inside the cluster (deploy/README.md, "Roll"):
#   load-check.sh [REQUESTS] [ACCOUNTS]          BASE_URL defaults to http://actorservice (the ClusterIP Service)
# Each request is a deposit of 1 with its own Idempotency-Key, on a new connection (so the Service spreads them over
# all pods, old and new). Any answer but 200 is an error and is printed. At the end every account's balance is read:
# their sum must equal the number of acknowledged deposits (no acknowledged write lost, none applied twice).
# Last line: "N ok, N errors; balances sum to N (expected N)". Exit 0 only with no error and matching balances.
set -u
base=${BASE_URL:-http://actorservice}
requests=${1:-3000}
accounts=${2:-20}
run=$(date +%s)-$$
ok=0
errors=0
i=0
while [ "$i" -lt "$requests" ]; do
  account="check-$run-$((i % accounts))"
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 15 -X POST "$base/accounts/$account/deposit" \
    -H 'Content-Type: application/json' -H "Idempotency-Key: $run-$i" -d '{"amount": 1}')
  if [ "$code" = "200" ]; then
    ok=$((ok + 1))
  else
    errors=$((errors + 1))
    echo "request $i to $account: HTTP $code"
  fi
  i=$((i + 1))
  [ $((i % 500)) -eq 0 ] && echo "$i sent: $ok ok, $errors errors"
done

total=0
a=0
while [ "$a" -lt "$accounts" ]; do
  body=$(curl -s --max-time 15 "$base/accounts/check-$run-$a")
  balance=$(echo "$body" | sed -n 's/.*"balance":\([0-9]*\).*/\1/p')
  total=$((total + ${balance:-0}))
  a=$((a + 1))
done
echo "$ok ok, $errors errors; balances sum to $total (expected $ok)"
[ "$errors" -eq 0 ] && [ "$total" -eq "$ok" ]
