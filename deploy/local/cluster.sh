#!/usr/bin/env bash
# A three-node ActorService cluster on 127.0.0.1 behind HAProxy, for trying the drain and the cluster by hand.
#
#   deploy/local/cluster.sh up        build the node, start 3 nodes (one shared database) and HAProxy on :8080
#   deploy/local/cluster.sh roll [V]  rolling restart: each node in turn SIGTERM -> exit -> start (app-version V) -> ready
#   deploy/local/cluster.sh kill [N]  SIGKILL node N (default 1), show the cluster recovering, start it again
#   deploy/local/cluster.sh status    processes, readiness, HAProxy's view, cluster members
#   deploy/local/cluster.sh down      stop everything this script started (by PID), HAProxy last
#
# Everything lives in .local-cluster/ at the repository root (STATE_DIR): pid files, logs, the SQLite database,
# haproxy.cfg (rendered from deploy/local/haproxy.cfg.template, the one the tests and the bench use), and each node
# start's shutdown report (nodeN-genG.report.json).
# Nodes get SIGTERM on down, so they drain like they would in production. Every exported ACTORSERVICE_* variable
# reaches all nodes (e.g. ACTORSERVICE_LOG_LEVEL=Debug). Ports: HAProxy 8080 (stats on 8404), nodes HTTP 8081-8083,
# management (probes, /admin, /metrics) 8558-8560, remoting 4051-4053; change them with LB_PORT, STATS_PORT,
# HTTP_BASE, MANAGEMENT_BASE, CLUSTER_BASE. LB_RETRY=conn-failure lets HAProxy
# retry connections that could not be opened (the kill -9 test's setting); by default it never retries (the rolling one).
# Remoting between the nodes is mutual TLS: the first `up` makes a private CA and a node certificate in
# .local-cluster/tls (deploy/tls/make-certs.sh), and only a process holding a certificate of that CA can join.
# TLS=off starts the nodes without it (plain TCP; a process on this machine could then join: docs/security.md).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
STATE=${STATE_DIR:-$ROOT/.local-cluster}
LB_PORT=${LB_PORT:-8080}
STATS_PORT=${STATS_PORT:-8404}
HTTP_BASE=${HTTP_BASE:-8081}
CLUSTER_BASE=${CLUSTER_BASE:-4051}
MANAGEMENT_BASE=${MANAGEMENT_BASE:-8558}   # each node's management listener: probes, /admin, /metrics
NODES=3
DLL=$ROOT/src/Node/bin/Release/net10.0/ActorService.Node.dll

http_port() { echo $((HTTP_BASE + $1 - 1)); }
cluster_port() { echo $((CLUSTER_BASE + $1 - 1)); }
management_port() { echo $((MANAGEMENT_BASE + $1 - 1)); }
pid_of() { cat "$STATE/$1.pid" 2>/dev/null || true; }
running() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null && [ "$(ps -o stat= -p "$1" | cut -c1)" != Z ]; } # an exited, unreaped process is gone
alive() { running "$(pid_of "$1")"; }
now_ms() { date +%s%3N; }
say() { printf '%s %s\n' "$(date +%H:%M:%S.%3N)" "$*"; }
token() { cat "$STATE/admin-token"; }

need_tools() {
  command -v curl >/dev/null || { echo "curl is needed" >&2; exit 1; }
  if ! command -v haproxy >/dev/null; then
    say "installing haproxy (Debian package)"
    local sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
    DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends haproxy >/dev/null
  fi
}

# HAProxy's configuration comes from deploy/local/haproxy.cfg.template, the one the tests and the bench render too.
# Active checks on /health/ready at each node's management port every 500 ms: a draining node (readiness 503) is
# taken out after 2 failed checks (<= 1 s), well within the nodes' 2 s --lb-delay, so no request meets a closed port.
write_haproxy_cfg() {
  local retries=0 retry_on=none redispatch=0 servers="" i
  [ "${LB_RETRY:-}" = conn-failure ] && { retries=3; retry_on=conn-failure; redispatch=1; }
  for i in $(seq 1 $NODES); do
    servers+="  server node$i 127.0.0.1:$(http_port "$i") check port $(management_port "$i")"
    [ "$i" -lt $NODES ] && servers+=$'\n'
  done
  { echo "# Rendered by deploy/local/cluster.sh from deploy/local/haproxy.cfg.template"
    TPL_FRONTEND=127.0.0.1:$LB_PORT TPL_STATS=127.0.0.1:$STATS_PORT TPL_CHECK_INTERVAL=500ms TPL_FALL=2 TPL_RISE=2 \
    TPL_SERVER_TIMEOUT=20s TPL_RETRIES=$retries TPL_RETRY_ON=$retry_on TPL_REDISPATCH=$redispatch TPL_SERVERS=$servers \
      render_template "$ROOT/deploy/local/haproxy.cfg.template"
  } > "$STATE/haproxy.cfg"
  haproxy -c -q -f "$STATE/haproxy.cfg"
}

render_template() { # $1 = template; each {{NAME}} becomes $TPL_NAME, and a parameter without a value is an error
  awk '{
    out = ""; line = $0
    while (match(line, /\{\{[A-Z_]+\}\}/)) {
      name = substr(line, RSTART + 2, RLENGTH - 4)
      if (!(("TPL_" name) in ENVIRON)) { print "haproxy template parameter without a value: " name > "/dev/stderr"; exit 1 }
      out = out substr(line, 1, RSTART - 1) ENVIRON["TPL_" name]
      line = substr(line, RSTART + RLENGTH)
    }
    print out line
  }' "$1"
}

# Mutual TLS for remoting (docs/security.md): the CA and node certificate in $STATE/tls, made once.
TLS=${TLS:-on}
make_certs() {
  [ "$TLS" = off ] && return 0
  [ -f "$STATE/tls/tls.crt" ] || "$ROOT/deploy/tls/make-certs.sh" all "$STATE/tls" >/dev/null
}

start_node() { # $1 = node number, $2 = app version (optional)
  local i=$1 version=${2:-}
  local seeds="127.0.0.1:$(cluster_port 1),127.0.0.1:$(cluster_port 2)"
  # Each start of a node is a generation with its own shutdown report: node1-gen1.report.json, node1-gen2... (the
  # timeline pictures of bench/timeline-demo.sh are drawn from them).
  local gen=$(( $(cat "$STATE/node$i.gen" 2>/dev/null || echo 0) + 1 ))
  echo "$gen" > "$STATE/node$i.gen"
  local args=(--http-port "$(http_port "$i")" --cluster-port "$(cluster_port "$i")" --management-port "$(management_port "$i")" --seeds "$seeds"
              --data-dir "$STATE/data" --lb-delay 2s --admin-token "$(token)" --report-path "$STATE/node$i-gen$gen.report.json")
  [ -n "$version" ] && args+=(--app-version "$version")
  [ "$TLS" = off ] || args+=(--remoting-tls-cert "$STATE/tls/tls.crt" --remoting-tls-key "$STATE/tls/tls.key" --remoting-tls-ca "$STATE/tls/ca.crt")
  echo "---- start $(date -Is) ${version:+app-version $version}" >> "$STATE/node$i.log"
  nohup dotnet "$DLL" "${args[@]}" >> "$STATE/node$i.log" 2>&1 &
  echo $! > "$STATE/node$i.pid"
}

wait_ready() { # $1 = node number
  local port; port=$(management_port "$1")
  for _ in $(seq 1 600); do
    alive "node$1" || { echo "node$1 exited; see $STATE/node$1.log" >&2; tail -20 "$STATE/node$1.log" >&2; exit 1; }
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/health/ready")" = 200 ] && return 0
    sleep 0.1
  done
  echo "node$1 not ready after 60 s; see $STATE/node$1.log" >&2; exit 1
}

haproxy_state() { # $1 = server name -> UP / DOWN / ...
  curl -s "http://127.0.0.1:$STATS_PORT/stats;csv" | awk -F, -v s="$1" '$1=="nodes" && $2==s {print $18}'
}

wait_haproxy() { # $1 = server name, $2 = state
  for _ in $(seq 1 300); do [ "$(haproxy_state "$1")" = "$2" ] && return 0; sleep 0.1; done
  echo "HAProxy did not see $1 $2 within 30 s" >&2; exit 1
}

members_up() { # $1 = node number -> number of members Up on that node
  curl -s -H "Authorization: Bearer $(token)" "http://127.0.0.1:$(management_port "$1")/admin/status" | grep -o '"status":"Up"' | wc -l
}

wait_members() { # $1 = count, asked of every running node
  local i ok
  for _ in $(seq 1 600); do
    ok=1
    for i in $(seq 1 $NODES); do alive "node$i" && [ "$(members_up "$i")" != "$1" ] && ok=0; done
    [ $ok = 1 ] && return 0
    sleep 0.1
  done
  echo "the cluster did not reach $1 members Up within 60 s" >&2; exit 1
}

wait_gone() { # $1 = name; prints milliseconds waited
  local pid start; pid=$(pid_of "$1"); start=$(now_ms)
  while running "$pid"; do sleep 0.05; done
  echo $(( $(now_ms) - start ))
}

cmd_up() {
  mkdir -p "$STATE/data"
  for i in $(seq 1 $NODES); do alive "node$i" && { echo "node$i already runs (pid $(pid_of "node$i")); run down first" >&2; exit 1; }; done
  need_tools
  make_certs
  say "building the node (Release)"
  dotnet build "$ROOT/src/Node" -c Release -nologo -v quiet >/dev/null
  [ -f "$STATE/admin-token" ] || head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$STATE/admin-token"
  write_haproxy_cfg
  for i in $(seq 1 $NODES); do start_node "$i"; done
  for i in $(seq 1 $NODES); do wait_ready "$i"; say "node$i ready on :$(http_port "$i") (pid $(pid_of "node$i"))"; done
  wait_members $NODES
  nohup haproxy -db -f "$STATE/haproxy.cfg" >> "$STATE/haproxy.log" 2>&1 &
  echo $! > "$STATE/haproxy.pid"
  for i in $(seq 1 $NODES); do wait_haproxy "node$i" UP; done
  say "cluster of $NODES up; HAProxy on http://127.0.0.1:$LB_PORT (stats http://127.0.0.1:$STATS_PORT/stats); admin token in $STATE/admin-token"
}

cmd_roll() {
  local version=${1:-}
  for i in $(seq 1 $NODES); do
    alive "node$i" || { echo "node$i is not running" >&2; exit 1; }
    say "node$i: SIGTERM (pid $(pid_of "node$i"))"
    kill -TERM "$(pid_of "node$i")"
    local took; took=$(wait_gone "node$i")
    say "node$i: exited after $took ms: $(grep -o 'finished in [0-9]* ms, exit code [0-9]*' "$STATE/node$i.log" | tail -1)"
    local start; start=$(now_ms)
    start_node "$i" "$version"
    wait_ready "$i"
    say "node$i: ready again after $(( $(now_ms) - start )) ms${version:+ (app-version $version)}"
    wait_haproxy "node$i" UP
    wait_members $NODES
    say "node$i: UP in HAProxy, $NODES members Up"
  done
}

cmd_kill() {
  local i=${1:-1}
  alive "node$i" || { echo "node$i is not running" >&2; exit 1; }
  local survivor=1; [ "$i" = 1 ] && survivor=2
  say "node$i: SIGKILL (pid $(pid_of "node$i"))"
  local killed; killed=$(now_ms)
  kill -KILL "$(pid_of "node$i")"
  wait_gone "node$i" >/dev/null
  for _ in $(seq 1 600); do [ "$(members_up "$survivor")" = $((NODES - 1)) ] && break; sleep 0.1; done
  say "node$i: removed from the cluster $(( $(now_ms) - killed )) ms after the kill (node$survivor sees $((NODES - 1)) members Up)"
  start_node "$i"
  wait_ready "$i"
  wait_members $NODES
  wait_haproxy "node$i" UP
  say "node$i: back, $NODES members Up, UP in HAProxy, $(( $(now_ms) - killed )) ms after the kill"
}

cmd_status() {
  for i in $(seq 1 $NODES); do
    if alive "node$i"; then
      printf 'node%s pid %-7s :%s ready %s, members Up %s, HAProxy %s\n' "$i" "$(pid_of "node$i")" "$(http_port "$i")" \
        "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$(management_port "$i")/health/ready")" "$(members_up "$i")" "$(haproxy_state "node$i")"
    else
      printf 'node%s not running\n' "$i"
    fi
  done
  if alive haproxy; then echo "haproxy pid $(pid_of haproxy) on :$LB_PORT"; else echo "haproxy not running"; fi
}

cmd_down() {
  # One node at a time, newest slot first: each hands its shards to the nodes still running and leaves a cluster
  # that can confirm it (stopping all at once leaves the last ones waiting for each other until their deadlines).
  local i
  for i in $(seq $NODES -1 1); do
    if alive "node$i"; then
      say "node$i: SIGTERM (pid $(pid_of "node$i"))"
      kill -TERM "$(pid_of "node$i")"
      local took; took=$(wait_gone "node$i")
      say "node$i: exited after $took ms: $(grep -o 'finished in [0-9]* ms, exit code [0-9]*' "$STATE/node$i.log" | tail -1)"
    fi
    rm -f "$STATE/node$i.pid"
  done
  if alive haproxy; then kill -TERM "$(pid_of haproxy)"; wait_gone haproxy >/dev/null; say "haproxy stopped"; fi
  rm -f "$STATE/haproxy.pid"
}

case "${1:-}" in
  up) cmd_up ;;
  roll) cmd_roll "${2:-}" ;;
  kill) cmd_kill "${2:-1}" ;;
  status) cmd_status ;;
  down) cmd_down ;;
  *) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
