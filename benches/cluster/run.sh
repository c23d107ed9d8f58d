#!/usr/bin/env bash
# Several servers on one PostgreSQL, side by side in one run on the same database server
# (docs/deploy.md "Sizing", docs/performance.md):
#   1. pgbench's own debit transaction (one UPDATE ... RETURNING and one INSERT a
#      transaction), at 16 and 64 clients: the anchor, its best TPS;
#   2. charges a second (POST /v1/calls) through one ratel-server and through two at once,
#      with 1 call a request and 100 calls a request;
#   3. GET /v1/authorize (a rate lookup and a balance) through HAProxy
#      (deploy/haproxy/haproxy.cfg) with one server up and with two.
# Data: benches/load's generated deck and 100k users (target/load/data, generated if
# missing). Loopback only; every run is bounded (--seconds, default 10).
#   bash benches/cluster/run.sh [--seconds N]
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
seconds=10
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    *) echo "usage: benches/cluster/run.sh [--seconds N]" >&2; exit 2 ;;
  esac
done
for tool in wrk haproxy pgbench; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is missing (apt-get install wrk haproxy postgresql)" >&2; exit 1; }
done
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
work=$(mktemp -d /tmp/ratel-cluster-bench.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  as_pg "$PGBIN/pg_ctl" -D "$work/pg/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

cargo build --release --quiet -p ratel-tools -p ratel-server
bin=$root/target/release
data=$root/target/load/data
. benches/ledger/callers.sh
prepare_callers "$bin" "$data" "$work" || exit 1
# The second server's load generator walks the users from the other end: two softswitches
# charge different callers (walking the same list in step, every batch of one server would
# touch the accounts the other just changed, a conflict a batch).
tac "$work/users.txt" > "$work/users2.txt"

# The database server: a private cluster, Unix socket only, default durability.
sock=$work/pg
mkdir "$sock"
[ "$(id -u)" != 0 ] || chown postgres "$sock"
as_pg "$PGBIN/initdb" -D "$sock/data" -A trust -U ratel >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$sock/data" -l "$sock/log" -w \
  -o "-c listen_addresses='' -c unix_socket_directories='$sock' -c max_connections=200" start >/dev/null
psql_() { as_pg psql -h "$sock" -U ratel -v ON_ERROR_STOP=1 -qAtX "$@"; }
psql_ -d postgres -c "CREATE DATABASE ratel" -c "CREATE DATABASE anchor"
# The anchor's tables and its debit transaction (benches/peers/, shared with benches/ledger).
psql_ -d anchor < benches/peers/debit-schema.sql
cp benches/peers/debit.sql "$work/debit.sql"
chmod 644 "$work/debit.sql"

token=bench-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')
for n in 1 2; do
  cat > "$work/server$n.toml" <<TOML
listen = "127.0.0.1:1808$n"
admin_listen = "127.0.0.1:1909$n"
[data]
artifact = "tariffs.ratel"
users = "$data/users.csv"
cards = "$data/cards.csv"
card_groups = "$data/card_groups.csv"
currencies = "$data/currencies.csv"
[api]
native_token = "$token"
[ledger]
url = "postgresql://ratel@/ratel?host=$sock"
TOML
done
start_server() {
  "$bin/ratel-server" --config "$work/server$1.toml" >> "$work/server$1.log" 2>&1 &
  server_pid[$1]=$!
  pids+=($!)
  for _ in $(seq 600); do
    curl -sf "http://127.0.0.1:1909$1/healthz" >/dev/null 2>&1 && return
    sleep 0.1
  done
  echo "run.sh: server $1 did not start" >&2; tail -n 5 "$work/server$1.log" >&2; exit 1
}
declare -A server_pid
# The first server opens the 200k accounts; the second then reads them.
start_server 1
start_server 2
haproxy -f deploy/haproxy/haproxy.cfg >> "$work/haproxy.log" 2>&1 &
pids+=($!)
sleep 1.5

report() { echo "$@" | tee -a "$work/report.md"; }
field() { sed -n "s/.* $1=\\([0-9.]*\\).*/\\1/p" <<< "$2"; }
lua=$root/benches/ledger/calls.lua
# charge PORT CONNECTIONS PER_REQUEST TAG: one wrk run; prints its RESULT line.
charge() {
  local users=$work/users.txt
  [ "$1" != 18082 ] || users=$work/users2.txt
  wrk -t1 -c"$2" -d"${seconds}s" -s "$lua" "http://127.0.0.1:$1" -- "$users" "$work/numbers.txt" \
    "$3" "$token" "$4" 2>&1 | grep '^RESULT' || echo "RESULT calls_per_s=0 call_errors=1 non200=1"
}

report "# Several servers on one PostgreSQL"
report ""
report "Run $(date -u '+%Y-%m-%d %H:%M:%S UTC') on $(nproc) cores, commit $(git rev-parse --short HEAD), $seconds s a run; PostgreSQL $(as_pg "$PGBIN/postgres" --version | awk '{print $3}') in a private folder (Unix socket, default durability), the servers, HAProxy and the load generators share the machine."
report ""
report "| run | result |"
report "|---|---|"
best=0
for clients in 16 64; do
  psql_ -d anchor -c CHECKPOINT
  out=$(as_pg pgbench -h "$sock" -U ratel -n -M prepared -c $clients -j 2 -T "$seconds" -D n=0 -D tag=b$clients \
    -f "$work/debit.sql" anchor 2>&1)
  tps=$(awk '/^tps =/ { printf "%d", $3 }' <<< "$out")
  report "| pgbench debit transaction, $clients clients | $tps TPS |"
  [ "${tps:-0}" -le "$best" ] || best=$tps
done
declare -A calls
for per in 1 100; do
  if [ "$per" = 1 ]; then conns=64; else conns=8; fi
  psql_ -d ratel -c CHECKPOINT
  one=$(charge 18081 $conns $per one$per)
  calls[one,$per]=$(field calls_per_s "$one")
  report "| one server, $per call a request, $conns connections | ${calls[one,$per]} calls/s (errors $(field call_errors "$one"), non-200 $(field non200 "$one")) |"
  psql_ -d ratel -c CHECKPOINT
  charge 18081 $((conns / 2)) $per twoa$per > "$work/a.txt" &
  charge 18082 $((conns / 2)) $per twob$per > "$work/b.txt"
  wait %% 2>/dev/null || true
  sleep 0.5
  a=$(cat "$work/a.txt"); b=$(cat "$work/b.txt")
  calls[two,$per]=$(awk -v x="$(field calls_per_s "$a")" -v y="$(field calls_per_s "$b")" 'BEGIN { printf "%d", x + y }')
  report "| two servers at once, $per call a request, $((conns / 2)) connections each | ${calls[two,$per]} calls/s (errors $(( $(field call_errors "$a") + $(field call_errors "$b") )), non-200 $(( $(field non200 "$a") + $(field non200 "$b") ))) |"
done
# Where the servers' commit time went: commits and their mean time, per server; the
# database's scans of its tables.
for p in 19091 19092; do
  curl -s "http://127.0.0.1:$p/metrics" | awk -v p=$p '/^ratel_ledger_commits_total/ { c = $2 } /^ratel_ledger_commit_seconds_total/ { s = $2 } /^ratel_ledger_conflicts_total/ { k = $2 }
    END { printf "server admin %s: %d commits, mean %.2f ms, %d conflicts\n", p, c, c ? 1000 * s / c : 0, k }' >> "$work/diag.txt"
done
psql_ -d ratel -c "SELECT relname, seq_scan, seq_tup_read, idx_scan FROM pg_stat_user_tables ORDER BY relname" >> "$work/diag.txt"
sed 's/^/    /' "$work/diag.txt"
conflicts=$(for p in 19091 19092; do curl -s "http://127.0.0.1:$p/metrics" | sed -n 's/^ratel_ledger_conflicts_total \([0-9]*\)/\1/p'; done | paste -sd+ | bc 2>/dev/null || echo "?")
report ""
report "pgbench's best: $best TPS. Two servers, 1 call a request: $(awk -v a="${calls[two,1]}" -v b="$best" 'BEGIN { printf "%.2f", a / b }')x; 100 calls a request: $(awk -v a="${calls[two,100]}" -v b="$best" 'BEGIN { printf "%.2f", a / b }')x. Batches worked out again after another server's change: $conflicts."
# Reads through HAProxy: one account and number that have a rate.
account=$(head -1 "$work/users.txt"); number=$(head -1 "$work/numbers.txt")
path="/v1/authorize?account=$account&number=$number"
read_run() {
  wrk -t2 -c64 -d"${seconds}s" -H "Authorization: Bearer $token" "http://127.0.0.1:18080$path" 2>&1 \
    | awk '/Requests\/sec/ { printf "%d", $2 } /Non-2xx/ { bad = $NF } END { if (bad) printf " (non-2xx %s)", bad }'
}
two_reads=$(read_run)
kill "${server_pid[2]}"; sleep 1.5
one_reads=$(read_run)
report ""
report "| GET /v1/authorize through HAProxy, 64 connections | requests/s |"
report "|---|---|"
report "| two servers | $two_reads |"
report "| one server (the other stopped, taken out by its health check) | $one_reads |"
