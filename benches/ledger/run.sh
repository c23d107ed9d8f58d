#!/usr/bin/env bash
# The ledger's performance (issue 10, "Performance"), measured side by side in one run:
#   1. the PostgreSQL anchor: a throwaway PostgreSQL 15 cluster (fsync and synchronous_commit
#      on, the defaults), pgbench, one debit per transaction (UPDATE ... RETURNING balance,
#      then INSERT of the entry with a unique reference), at 2, 16 and 64 clients;
#   2. ratel-server's POST /v1/calls with one call per request, 64 connections (wrk);
#   3. /v1/calls with 100 calls per request;
#   3b. sessions (calls in progress): starts, and the end of each one granted once its start
#      was answered, 64 connections (wrk with sessions.lua): completed sessions a second;
#   4. balance reads (user_simple_balance_get) against the hello-world ceiling, alone and
#      while rate-limited chargers send 5,000 calls and 2,500 sessions a second (their p99 is
#      the p99 of a charge), and against the ceiling under the same side load (the chargers
#      then send to the ceiling, so their load generators cost both sides alike);
#   5. the SQLite ledger's size per entry.
# See benches/ledger/README.md.
#
#   bash benches/ledger/run.sh             # everything, 20 s per measured run (about 4 minutes)
#   bash benches/ledger/run.sh --quick     # everything, 5 s per measured run
#   bash benches/ledger/run.sh --rounds 3  # three rounds of everything, medians (about 10 minutes)
#
# Options: --seconds N (each pgbench/wrk run, default 20, at most 120), --quick (= --seconds 5),
# --only "pg single batch sessions reads size" (the parts to run; default all), --data DIR (ratel-gen
# data; default target/load/data when benches/load made it, else target/ledger/data),
# --batch N (calls per request in part 3, default 100), --batch-connections N (default 64),
# --charge-rate N (calls a second in part 4, default 5000), --session-rate N (sessions a second
# in part 4, each a start and an end: twice as many requests; default 2500), --charger
# calls|sessions|both (part 4's side load: finished calls, sessions, or both at once; default
# both), --server-bin PATH (the ratel-server binary to measure, such as an older build kept
# for a before/after; default the one this script builds), --profile (perf record of the
# server during parts 2-4: its top functions go into the report), --rounds N (default 1, at
# most 5: parts 1-3 run N times in turn, PostgreSQL then Ratel, and part 4 runs N rounds of
# ceiling / reads alone / reads while charging; medians and every round are reported).
# Traffic goes to 127.0.0.1 and a Unix socket only. Exit status: 0 when every request was
# answered 200 with no socket error, no call was refused, and pgbench had no failed or
# aborted transaction; 1 otherwise (never because of a figure: the machine is shared).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

seconds=20
parts="pg single batch sessions reads size"
data=""
batch=100
batch_connections=64
charge_rate=5000
charger_connections=100
session_rate=2500
charger_kind=both
rounds=1
profile=0
server_bin=""
while [ $# -gt 0 ]; do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --quick) seconds=5; shift ;;
    --only) parts=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    --batch) batch=$2; shift 2 ;;
    --batch-connections) batch_connections=$2; shift 2 ;;
    --charge-rate) charge_rate=$2; shift 2 ;;
    --session-rate) session_rate=$2; shift 2 ;;
    --charger) charger_kind=$2; shift 2 ;;
    --profile) profile=1; shift ;;
    --server-bin) server_bin=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    *) echo "run.sh: unknown option $1 (see the head of this script)" >&2; exit 2 ;;
  esac
done
case $charger_kind in calls | sessions | both) ;; *) echo "run.sh: --charger is calls, sessions or both" >&2; exit 2 ;; esac
for part in $parts; do
  case $part in pg | single | batch | sessions | reads | size) ;; *) echo "run.sh: unknown part $part" >&2; exit 2 ;; esac
done
[[ "$seconds" =~ ^[0-9]+$ ]] && [ "$seconds" -ge 1 ] && [ "$seconds" -le 120 ] \
  && [[ "$batch" =~ ^[0-9]+$ ]] && [ "$batch" -ge 1 ] && [ "$batch" -le 1000 ] \
  && [[ "$batch_connections" =~ ^[0-9]+$ ]] && [ "$batch_connections" -ge 2 ] \
  && [[ "$charge_rate" =~ ^[0-9]+$ ]] && [ "$charge_rate" -ge 2 ] \
  && [[ "$session_rate" =~ ^[0-9]+$ ]] && [ "$session_rate" -ge 1 ] \
  && [[ "$rounds" =~ ^[0-9]+$ ]] && [ "$rounds" -ge 1 ] && [ "$rounds" -le 5 ] || {
  echo "run.sh: --seconds 1..120, --batch 1..1000, --batch-connections >= 2, --charge-rate >= 2, --session-rate >= 1, --rounds 1..5" >&2; exit 2; }
has() { [[ " $parts " == *" $1 "* ]]; }

work=$root/target/ledger
mkdir -p "$work"
report=$work/report.md
: > "$report"
out() { echo "$@" | tee -a "$report"; }
errors_total=0

# Cleanup of everything this script starts, whatever way it ends.
server=""; hello=""; charger=""; pgdir=""; profiler=""
PGBIN=/usr/lib/postgresql/15/bin
cleanup() {
  for pid in $profiler $server $hello $charger ${host_watch_pid:-}; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -n "$pgdir" ]; then
    as_pg "$PGBIN/pg_ctl" -D "$pgdir/db" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$pgdir"
  fi
}
trap cleanup EXIT

# field NAME LINE: the value of NAME=... in a RESULT line.
field() { sed -n "s/.* $1=\\([0-9]*\\).*/\\1/p" <<< "$2"; }
# The disk under target/ (the ledger's, and /tmp's here): disk_mark, then disk_report sets
# diskinfo (writes and flushes a second with their mean times, from /proc/diskstats; the
# flushes are the fsyncs of both databases). Empty when the device is not listed there.
disk=$(basename "$(df --output=source "$work" 2>/dev/null | tail -1)")
disk_stat() { awk -v d="$disk" '$3 == d && NF >= 20 { print $8, $11, $19, $20 }' /proc/diskstats; }
disk_mark() { disk_before=$(disk_stat); disk_wall=$(date +%s.%N); }
disk_report() {
  diskinfo=$(awk -v a="$disk_before" -v b="$(disk_stat)" -v t0="$disk_wall" -v t1="$(date +%s.%N)" -v d="$disk" \
    'BEGIN { if (a == "" || b == "") { print "disk n/a"; exit }
             split(a, x, " "); split(b, y, " "); w = y[1] - x[1]; f = y[3] - x[3]; t = t1 - t0
             wm = 0; if (w > 0) wm = (y[2] - x[2]) / w
             fm = 0; if (f > 0) fm = (y[4] - x[4]) / f
             printf "disk %s: %.0f writes/s (mean %.2f ms), %.0f flushes/s (mean %.2f ms)", d, w / t, wm, f / t, fm }')
}
ms() { awk -v us="$1" 'BEGIN { printf "%.2f", us / 1000 }'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.0f%%", 100 * a / b; else print "n/a" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

out "# Ratel ledger benchmark"
out ""
out "Run $(date -u '+%Y-%m-%d %H:%M:%S UTC') on $(nproc) cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown); ${seconds} s per measured run; load generators and servers share the cores (the machine may be shared: figures are noisy)."
out "Command: \`bash benches/ledger/run.sh --seconds $seconds --only \"$parts\" --batch $batch --batch-connections $batch_connections --charge-rate $charge_rate --session-rate $session_rate --charger $charger_kind --rounds $rounds$([ "$profile" = 0 ] || echo " --profile")$([ -z "$server_bin" ] || echo " --server-bin $server_bin")\`"

# --- 1. PostgreSQL anchor ---------------------------------------------------------------
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_best=0
if has pg; then
  if [ ! -x "$PGBIN/initdb" ] || ! command -v pgbench >/dev/null; then
    [ "$(id -u)" = 0 ] || { echo "run.sh: PostgreSQL 15 is missing (apt-get install postgresql)" >&2; exit 1; }
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  # A private cluster, socket only, default durability (fsync = on, synchronous_commit = on).
  pgdir=$(mktemp -d /tmp/ratel-ledger-pg.XXXXXX)
  [ "$(id -u)" != 0 ] || chown postgres "$pgdir"
  as_pg "$PGBIN/initdb" -D "$pgdir/db" -A trust >/dev/null
  as_pg "$PGBIN/pg_ctl" -D "$pgdir/db" -l "$pgdir/log" -w \
    -o "-c listen_addresses='' -c unix_socket_directories='$pgdir'" start >/dev/null
  psql_() { as_pg psql -h "$pgdir" -d postgres -v ON_ERROR_STOP=1 -qAt "$@"; }
  settings=$(psql_ -c "SELECT string_agg(name || '=' || setting || coalesce(unit, ''), ', ' ORDER BY name) FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'wal_sync_method', 'shared_buffers', 'max_connections')")
  # The anchor's tables and its debit transaction (benches/peers/, shared with
  # benches/cluster/run.sh).
  psql_ < "$root/benches/peers/debit-schema.sql"
  cp "$root/benches/peers/debit.sql" "$pgdir/debit.sql"
  [ "$(id -u)" != 0 ] || chown postgres "$pgdir/debit.sql"
  run_tag=$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
  # pg_round ROUND: pgbench at 2, 16 and 64 clients; sets pg_tps[CLIENTS,ROUND] and
  # pg_row[CLIENTS,ROUND] (latency, transactions, failed).
  declare -A pg_tps pg_row
  pg_round() {
    local clients tps latency done_tx failed
    for clients in 2 16 64; do
      psql_ -c CHECKPOINT
      disk_mark
      as_pg pgbench -h "$pgdir" -n -M prepared -c "$clients" -j 2 -T "$seconds" -D n=0 -D "tag=$run_tag-c$clients-r$1" \
        -f "$pgdir/debit.sql" postgres > "$work/pgbench-$clients-$1.txt" 2>&1 || true
      disk_report
      tps=$(awk '/^tps =/ { printf "%d", $3 }' "$work/pgbench-$clients-$1.txt")
      latency=$(awk '/^latency average =/ { print $4 }' "$work/pgbench-$clients-$1.txt")
      done_tx=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$work/pgbench-$clients-$1.txt")
      failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$work/pgbench-$clients-$1.txt")
      if [ -z "$tps" ] || [ "${failed:-1}" != 0 ] || grep -q "aborted" "$work/pgbench-$clients-$1.txt"; then
        errors_total=$((errors_total + 1))
        pg_failures="$pg_failures pgbench at $clients clients, round $1: $(grep -m3 -i 'error\|abort' "$work/pgbench-$clients-$1.txt" | tr '\n' ' ');"
        tps=${tps:-0}
      fi
      pg_tps[$clients,$1]=$tps
      pg_row[$clients,$1]="$latency ms, $done_tx transactions, ${failed:-?} failed; $diskinfo"
    done
    # PostgreSQL's deferred writes land now, not in the next measured run.
    psql_ -c CHECKPOINT
  }
  pg_failures=""
fi

# --- Ratel: binaries, data, server -----------------------------------------------------
ratel=0
if has single || has batch || has sessions || has reads || has size; then ratel=1; fi
if [ "$ratel" = 1 ]; then
command -v wrk >/dev/null || { echo "run.sh: wrk is missing (apt-get install -y wrk)" >&2; exit 1; }
[ "$profile" = 0 ] || command -v perf >/dev/null || { echo "run.sh: --profile needs perf (apt-get install linux-perf)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "run.sh: python3 is missing (used to count the ledger's entries)" >&2; exit 1; }
cargo build --release --quiet -p ratel-tools -p ratel-server -p ratel-benches --bins
bin=$root/target/release
server_bin=${server_bin:-$bin/ratel-server}
[ -x "$server_bin" ] || { echo "run.sh: --server-bin $server_bin is not an executable" >&2; exit 2; }
lua=$root/benches/ledger/calls.lua

if [ -z "$data" ]; then
  if [ -s "$root/target/load/data/.complete" ]; then data=$root/target/load/data; else data=$work/data; fi
fi
. "$root/benches/ledger/callers.sh"
prepare_callers "$bin" "$data" "$work" || exit 1
secret=ledgersecret
if has reads && { [ ! -s "$work/requests/user_simple_balance_get.txt" ] || [ "$data/.complete" -nt "$work/requests/user_simple_balance_get.txt" ]; }; then
  "$bin/ratel-load" requests --data "$data" --deck wholesale="$data/wholesale.csv" --secret "$secret" \
    --count 100000 -o "$work/requests" >/dev/null
fi

# A fresh ledger each run: its size per entry is this run's, and the openings are counted.
token=bench-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')
tag=$(date -u +%H%M%S)-$(od -An -N3 -tx1 /dev/urandom | tr -d ' ')
rm -f "$work/ledger.sqlite" "$work/ledger.sqlite-wal" "$work/ledger.sqlite-shm" "$work/ledger.sqlite-journal"
cat > "$work/ratel.toml" <<TOML
listen = "127.0.0.1:0"
admin_listen = "127.0.0.1:0"
[data]
artifact = "tariffs.ratel"
users = "$data/users.csv"
cards = "$data/cards.csv"
card_groups = "$data/card_groups.csv"
currencies = "$data/currencies.csv"
[api]
secret_key = "$secret"
native_token = "$token"
[ledger]
path = "ledger.sqlite"
TOML

# Starts ratel-server (as benches/load/run.sh does); sets server (pid), api and admin
# (addresses).
start_server() {
  local started
  started=$(date +%s.%N)
  "$server_bin" --config "$work/ratel.toml" 2> "$work/server.log" &
  server=$!
  for _ in $(seq 1200); do
    grep -q "listening on" "$work/server.log" && break
    kill -0 "$server" 2>/dev/null || break
    sleep 0.1
  done
  api=$(sed -n 's|.*listening on http://\([^/]*\)/.*|\1|p' "$work/server.log")
  admin=$(sed -n 's|.*admin on http://\([^ ]*\) .*|\1|p' "$work/server.log")
  [ -n "$api" ] || { cat "$work/server.log"; echo "run.sh: ratel-server did not start" >&2; exit 1; }
  startup_s=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
}

# Starts the hello-world ceiling answering BYTES-byte bodies; sets hello and hello_addr.
start_hello() {
  "$bin/hello-ceiling" --body-bytes "$1" 2> "$work/hello.log" &
  hello=$!
  for _ in $(seq 100); do grep -q "listening on" "$work/hello.log" && break; sleep 0.05; done
  hello_addr=$(sed -n 's|.*listening on http://\([^ ]*\) .*|\1|p' "$work/hello.log")
  [ -n "$hello_addr" ] || { cat "$work/hello.log"; echo "run.sh: hello-ceiling did not start" >&2; exit 1; }
}

# CPU accounting around a run: cpu_mark PID, then cpu_report PID sets cores (the process's
# CPU time over the wall time, in cores), wrk_cores (the same for the foreground wrk run in
# between) and busy (the whole machine's busy share, every process and every tenant
# included).
hz=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
machine_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9, $5 + $6 }' /proc/stat; }
# children_cpu: CPU seconds of this shell's waited-for children so far (wrk runs in the
# foreground are children: the difference around a run is wrk's own CPU). `times` must run
# in this shell, not in a pipe or $(...), which would be a fresh process.
# Sets children.
children_cpu() {
  times > "$work/.times"
  children=$(awk 'NR == 2 { t = 0; for (i = 1; i <= 2; i++) { split($i, p, "m"); sub(/s$/, "", p[2]); t += p[1] * 60 + p[2] } printf "%.3f", t }' "$work/.times")
}
# thread_ticks PID: "NAME TICKS" per thread name (the ledger's threads have their own names).
thread_ticks() {
  awk '{ name = $0; sub(/^[0-9]+ \(/, "", name); sub(/\) [A-Za-z] .*/, "", name); gsub(/ /, "_", name)
         split(substr($0, index($0, ") ") + 2), f, " "); ticks[name] += f[12] + f[13] }
       END { for (name in ticks) print name, ticks[name] }' /proc/"$1"/task/*/stat 2>/dev/null || true
}
cpu_mark() {
  mark_wall=$(date +%s.%N); mark_cpu=$(cpu_ticks "$1"); mark_machine=$(machine_ticks); children_cpu; mark_children=$children
  thread_ticks "$1" > "$work/.threads"
  disk_mark
}
cpu_report() {
  local machine now
  machine=$(machine_ticks)
  now=$(date +%s.%N)
  children_cpu
  disk_report
  wrk_cores=$(awk -v a="$mark_children" -v b="$children" -v t0="$mark_wall" -v t1="$now" 'BEGIN { printf "%.2f", (b - a) / (t1 - t0) }')
  cores=$(awk -v a="$mark_cpu" -v b="$(cpu_ticks "$1")" -v t0="$mark_wall" -v t1="$now" -v hz="$hz" \
    'BEGIN { printf "%.2f", (b - a) / hz / (t1 - t0) }')
  # threads: "name cores, ..." for the threads that used at least 0.01 core, busiest first.
  threads=$(thread_ticks "$1" | awk -v hz="$hz" -v t0="$mark_wall" -v t1="$now" -v before="$work/.threads" \
    'BEGIN { while ((getline line < before) > 0) { split(line, f, " "); b[f[1]] = f[2] } }
     { c = ($2 - b[$1]) / hz / (t1 - t0); if (c >= 0.01) printf "%.2f %s\n", c, $1 }' | sort -rn | awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $2, $1 }')
  busy=$(awk -v m0="$mark_machine" -v m1="$machine" \
    'BEGIN { split(m0, a, " "); split(m1, b, " "); t = b[1] - a[1]; if (t > 0) printf "%.0f%%", 100 * (t - (b[2] - a[2])) / t; else print "n/a" }')
}

# The ledger's own counters from /metrics around a run: ledger_mark, then ledger_report
# sets group (commits, entries a commit, share of the time spent committing and syncing).
ledger_metrics() {
  curl -s "http://$admin/metrics" | awk '$1 == "ratel_ledger_commits_total" { c = $2 } $1 == "ratel_ledger_entries_total" { e = $2 }
    $1 == "ratel_ledger_commit_seconds_total" { s = $2 } $1 == "ratel_ledger_committer_wakeups_total" { w = $2 }
    END { print c + 0, e + 0, s + 0, w + 0 }'
}
ledger_mark() { ledger_before=$(ledger_metrics); ledger_wall=$(date +%s.%N); }
ledger_report() {
  group=$(awk -v a="$ledger_before" -v b="$(ledger_metrics)" -v t0="$ledger_wall" -v t1="$(date +%s.%N)" \
    'BEGIN { split(a, x, " "); split(b, y, " "); c = y[1] - x[1]; e = y[2] - x[2]; per = 0; if (c > 0) per = e / c
             w = 0; if (e > 0) w = (y[4] - x[4]) / e
             printf "%d commits, %.1f entries a commit, committing %.0f%% of the time, %.3f committer wake-ups an entry", c, per, 100 * (y[3] - x[3]) / (t1 - t0), w }')
}

# charge NAME THREADS CONNECTIONS SECONDS PER_REQUEST [RATE]: one wrk run of calls.lua;
# its output goes to $work/NAME.txt, its RESULT line to $line.
charge() {
  local rate_per_thread=0
  [ -z "${6:-}" ] || rate_per_thread=$(awk -v r="$6" -v t="$2" 'BEGIN { printf "%.3f", r / t }')
  wrk -t"$2" -c"$3" -d"$4"s --timeout 5s --latency -s "${charge_lua:-$lua}" "http://${charge_addr:-$api}" -- \
    "$work/users.txt" "$work/numbers.txt" "$5" "$token" "$tag-$1" "$rate_per_thread" > "$work/$1.txt" 2>&1 || true
  line=$(grep '^RESULT' "$work/$1.txt" || true)
  [ -n "$line" ] || { cat "$work/$1.txt"; echo "run.sh: wrk gave no RESULT line" >&2; exit 1; }
}
# Adds the errors of the last charge() to the total; prints the samples if any.
charge_errors() {
  local n=$(( $(field call_errors "$line") + $(field non200 "$line") + $(field socket_errors "$line") + $(field duplicates "$line") ))
  errors_total=$((errors_total + n))
  [ "$n" -eq 0 ] || out "  errors in $1: call errors $(field call_errors "$line"), duplicates $(field duplicates "$line"), non-200 $(field non200 "$line"), socket errors $(field socket_errors "$line"); $(grep '^SAMPLE' "$work/$1.txt" | tr '\n' ' ')"
}
charge_command() { echo "wrk -t$1 -c$2 -d$3s --timeout 5s --latency -s benches/ledger/${6:-calls}.lua http://\$API -- users.txt numbers.txt $4 \$TOKEN TAG${5:+ $5}"; }

# profile_start NAME SECONDS / profile_stop NAME / profile_print NAME: with --profile, a flat
# CPU profile of the server (perf record -F 499) over the next SECONDS, its top functions
# added to the report.
profile_start() {
  [ "$profile" = 1 ] || return 0
  perf record -q -F 499 -p "$server" -o "$work/perf-$1.data" -- sleep "$2" > /dev/null 2>&1 &
  profiler=$!
}
profile_stop() {
  [ "$profile" = 1 ] || return 0
  wait "$profiler" || true; profiler=""
  perf report -i "$work/perf-$1.data" --stdio --no-children --sort symbol --percent-limit 1.5 2>/dev/null \
    | grep -v '^#' | grep -v '^$' | sed 's/[[:space:]]*-[[:space:]]*-[[:space:]]*$//' | head -15 > "$work/profile-$1.txt" || true
}
profile_print() {
  [ "$profile" = 1 ] || return 0
  out ""
  out "Server CPU profile during $1 (perf record -F 499 -p PID, flat, functions over 1.5%; full: perf report -i $work/perf-$1.data):"
  out '```'
  while IFS= read -r profile_line; do out "$profile_line"; done < "$work/profile-$1.txt"
  out '```'
}

start_server
out ""
out "ratel-server on $api, fresh ledger $work/ledger.sqlite; started in $startup_s s (opening entries written): $(sed -n 's/.*listening on [^ ]* //p' "$work/server.log")"
out "Data: $data ($(wc -l < "$work/users.txt") users; $(wc -l < "$work/numbers.txt") numbers with a rate, of the first 50,000 of numbers.txt); every call: billsec 65, start 2026-11-26 10:00:00, a unique id."
# One call by curl first: the figures mean nothing unless a call is really charged.
probe=$(curl -s -w ' HTTP %{http_code}' -X POST "http://$api/v1/calls" -H "Authorization: Bearer $token" \
  -H 'Content-Type: application/json' \
  --data "{\"calls\":[{\"id\":\"$tag-probe\",\"account\":\"$(head -1 "$work/users.txt")\",\"number\":\"$(head -1 "$work/numbers.txt")\",\"start\":\"2026-11-26 10:00:00\",\"billsec\":65}]}")
out "Probe: POST /v1/calls one call -> $probe"
[[ "$probe" == *'"cost"'*' HTTP 200' ]] || { echo "run.sh: the probe call was not charged (above); stopping" >&2; exit 1; }
acknowledged=1
in_flight=0  # answers wrk may have dropped at its end: one batch per connection
fi

# --- Parts 1-3, in rounds -----------------------------------------------------------------
# Each round runs PostgreSQL's three pgbench runs, then Ratel's two charging runs, so the
# anchor and Ratel see the same moments of a noisy host; sections give medians and rounds.
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
single_rate=(); single_info=(); batch_rate=(); batch_info=(); pg_round_best=()
sessions_rate=(); sessions_info=()
for round in $(seq "$rounds"); do
  if has pg; then
    pg_round "$round"
    best=0
    for clients in 2 16 64; do [ "${pg_tps[$clients,$round]}" -le "$best" ] || best=${pg_tps[$clients,$round]}; done
    pg_round_best+=("$best")
  fi
  if has single; then
    [ "$round" != 1 ] || profile_start single "$seconds"
    cpu_mark "$server"; ledger_mark
    charge "single-$round" 2 64 "$seconds" 1
    cpu_report "$server"; ledger_report
    [ "$round" != 1 ] || profile_stop single
    acknowledged=$((acknowledged + $(field charged "$line"))); in_flight=$((in_flight + 64))
    single_rate+=("$(field calls_per_s "$line")")
    single_info+=("round $round: $(field calls_per_s "$line") calls/s ($(field charged "$line") calls charged in $(field requests "$line") requests), p50 $(ms "$(field p50_us "$line")") ms, p99 $(ms "$(field p99_us "$line")") ms; CPU in cores: server $cores ($threads), wrk $wrk_cores; machine busy $busy; ledger: $group; $diskinfo.")
    charge_errors "single-$round"
  fi
  if has batch; then
    [ "$round" != 1 ] || profile_start batch "$seconds"
    cpu_mark "$server"; ledger_mark
    charge "batch-$round" 2 "$batch_connections" "$seconds" "$batch"
    cpu_report "$server"; ledger_report
    [ "$round" != 1 ] || profile_stop batch
    acknowledged=$((acknowledged + $(field charged "$line"))); in_flight=$((in_flight + batch_connections * batch))
    batch_rate+=("$(field calls_per_s "$line")")
    batch_info+=("round $round: $(field calls_per_s "$line") calls/s, $(field rps "$line") requests/s, $(field charged "$line") calls charged, p50 $(ms "$(field p50_us "$line")") ms, p99 $(ms "$(field p99_us "$line")") ms a request; CPU in cores: server $cores ($threads), wrk $wrk_cores; machine busy $busy; ledger: $group; $diskinfo.")
    charge_errors "batch-$round"
  fi
  if has sessions; then
    cpu_mark "$server"; ledger_mark
    wrk -t2 -c64 -d"$seconds"s --timeout 5s --latency -s "$root/benches/ledger/sessions.lua" "http://$api" -- \
      "$work/users.txt" "$work/numbers.txt" 1 "$token" "$tag-s$round" > "$work/sessions-$round.txt" 2>&1 || true
    cpu_report "$server"; ledger_report
    line=$(grep '^RESULT' "$work/sessions-$round.txt" || true)
    [ -n "$line" ] || { cat "$work/sessions-$round.txt"; echo "run.sh: wrk gave no RESULT line" >&2; exit 1; }
    acknowledged=$((acknowledged + $(field completed "$line"))); in_flight=$((in_flight + 64))
    sessions_rate+=("$(field sessions_per_s "$line")")
    sessions_info+=("round $round: $(field sessions_per_s "$line") completed sessions/s ($(field completed "$line") completed, $(field granted "$line") granted, $(field refused "$line") refused for money), p50 $(ms "$(field p50_us "$line")") ms, p99 $(ms "$(field p99_us "$line")") ms a request (a start or an end: each one durable commit); CPU in cores: server $cores ($threads), wrk $wrk_cores; machine busy $busy; ledger: $group; $diskinfo.")
    n=$(( $(field other "$line") + $(field non200 "$line") + $(field socket_errors "$line") ))
    errors_total=$((errors_total + n))
    [ "$n" -eq 0 ] || out "  errors in sessions-$round: other $(field other "$line"), non-200 $(field non200 "$line"), socket errors $(field socket_errors "$line"); $(grep '^SAMPLE' "$work/sessions-$round.txt" | tr '\n' ' ')"
  fi
done

pg_best=0
if has pg; then
  out ""
  out "## 1. PostgreSQL anchor: one debit per transaction"
  out ""
  out "PostgreSQL $(as_pg "$PGBIN/postgres" --version | awk '{print $3}'), throwaway cluster in $pgdir (Unix socket only), default durability: $settings."
  out "100,000 accounts (numeric balance); entries with a UNIQUE index on reference. pgbench script:"
  out ""
  out '```'
  while IFS= read -r pg_line; do out "$pg_line"; done < "$pgdir/debit.sql"
  out '```'
  out ""
  out "Command: \`pgbench -h $pgdir -n -M prepared -c CLIENTS -j 2 -T $seconds -D n=0 -D tag=$run_tag-cCLIENTS-rROUND -f debit.sql postgres\`; $rounds round(s), the table gives medians."
  out ""
  out "| clients | TPS (median) | rounds: TPS (latency avg, transactions, failed; the disk during the run) |"
  out "|---:|---:|---|"
  for clients in 2 16 64; do
    values=(); detail=""
    for round in $(seq "$rounds"); do
      values+=("${pg_tps[$clients,$round]}"); detail="$detail${detail:+; }${pg_tps[$clients,$round]} (${pg_row[$clients,$round]})"
    done
    m=$(median "${values[@]}")
    out "| $clients | $m | $detail |"
    [ "$m" -le "$pg_best" ] || { pg_best=$m; pg_best_clients=$clients; }
  done
  [ -z "$pg_failures" ] || out "FAILED:$pg_failures"
  pg_entries=$(psql_ -c "SELECT count(*) FROM entries")
  pg_bytes=$(psql_ -c "SELECT pg_total_relation_size('entries')")
  out ""
  out "Best: **$pg_best TPS** at ${pg_best_clients:-?} clients (median). PostgreSQL's entries table after the runs: $pg_entries rows, $pg_bytes bytes with its two indexes (WAL not counted): $(awk -v b="$pg_bytes" -v n="$pg_entries" 'BEGIN { if (n > 0) printf "%.0f", b / n; else print "n/a" }') bytes per entry."
  as_pg "$PGBIN/pg_ctl" -D "$pgdir/db" -m fast stop >/dev/null
  rm -rf "$pgdir"; pgdir=""
fi

if has single; then
  single=$(median "${single_rate[@]}")
  out ""
  out "## 2. /v1/calls, one call per request, 64 connections"
  out ""
  if [ "$pg_best" -gt 0 ]; then
    ratios=""
    for round in $(seq "$rounds"); do ratios="$ratios${ratios:+, }$(ratio "${single_rate[$((round - 1))]}" "${pg_round_best[$((round - 1))]}")×"; done
    out "**$single calls/s** (median); PostgreSQL's best: $pg_best TPS; ratio **$(ratio "$single" "$pg_best")×** (target ≥ 3×); each round against that round's PostgreSQL best: $ratios."
  else
    out "**$single calls/s** (median); no PostgreSQL figure in this run (part pg not run): no ratio."
  fi
  for info in "${single_info[@]}"; do out "- $info"; done
  out ""
  out "Command: \`$(charge_command 2 64 "$seconds" 1)\`"
  profile_print single
fi

if has batch; then
  out ""
  out "## 3. /v1/calls, $batch calls per request, $batch_connections connections"
  out ""
  out "**$(median "${batch_rate[@]}") calls charged/s** (median; target ≥ 100,000)."
  for info in "${batch_info[@]}"; do out "- $info"; done
  out ""
  out "Command: \`$(charge_command 2 "$batch_connections" "$seconds" "$batch")\`"
  profile_print batch
fi

if has sessions; then
  sessions=$(median "${sessions_rate[@]}")
  out ""
  out "## 3b. Sessions: starts and ends, 64 connections"
  out ""
  if [ "$pg_best" -gt 0 ]; then
    out "**$sessions completed sessions/s** (median; each a durable start and a durable end); PostgreSQL's best debit: $pg_best TPS; ratio **$(ratio "$sessions" "$pg_best")×** (target ≥ 1.5×)."
  else
    out "**$sessions completed sessions/s** (median); no PostgreSQL figure in this run: no ratio."
  fi
  for info in "${sessions_info[@]}"; do out "- $info"; done
  out ""
  out "Command: \`wrk -t2 -c64 -d${seconds}s --timeout 5s --latency -s benches/ledger/sessions.lua http://\$API -- users.txt numbers.txt 1 \$TOKEN TAG\`"
fi

# --- 4. Balance reads while calls are charged --------------------------------------------
if has reads; then
  reads_file=$work/requests/user_simple_balance_get.txt
  reads_lua=$root/benches/load/paths.lua
  bytes=$(curl -s -o /dev/null -w '%{size_download}' "http://$api$(head -1 "$reads_file")")
  # read_run NAME ADDR PID: wrk with benches/load's script, 64 connections; sets rline,
  # and cores and busy for the server PID.
  # Every read run is watched for a frozen host (benches/host_watch.sh); host_runs lists
  # each run's longest stall and steal.
  . "$root/benches/host_watch.sh"
  host_runs=""
  read_run() {
    cpu_mark "$3"
    host_watch_start
    wrk -t2 -c64 -d"$seconds"s --timeout 5s -s "$reads_lua" "http://$2" -- "$reads_file" > "$work/$1.txt" 2>&1 || true
    host_watch_stop
    host_runs="$host_runs $1 ${host_gap_ms} ms, ${host_steal_pct}%;"
    rline=$(grep '^RESULT' "$work/$1.txt" || true)
    [ -n "$rline" ] || { cat "$work/$1.txt"; echo "run.sh: wrk gave no RESULT line" >&2; exit 1; }
    cpu_report "$3"
  }
  read_errors() { errors_total=$((errors_total + $(field non2xx "$rline") + $(field socket_errors "$rline"))); }
  median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
  # The side load: 2 wrk threads x 50 connections a charger, paced to its rate in total;
  # enough connections that the pace, not the answers' latency, sets the rate (with 2 x 20, a
  # 5,000/s charger reached 4,510/s: too few connections were free when their slots came).
  # Calls: one finished call a request (calls.lua); sessions: a start, then its end
  # (sessions.lua), two requests a session. Each starts a second before the reads and ends
  # two seconds after them.
  charge_seconds=$((seconds + 3))
  kinds=(); [ "$charger_kind" = sessions ] || kinds+=(calls); [ "$charger_kind" = calls ] || kinds+=(sessions)
  side_rate() { case $1 in calls) echo "$charge_rate" ;; *) echo $((2 * session_rate)) ;; esac; }
  # side_start ADDR NAME: the chargers against ADDR (ratel-server, or the ceiling: the same
  # load generators then cost the ceiling what they cost Ratel); sets side_pids, side_wrks.
  side_start() {
    side_pids=(); side_wrks=""
    local kind
    for kind in "${kinds[@]}"; do
      charge_addr=$1 charge_lua=$root/benches/ledger/$kind.lua \
        charge "$2-$kind" 2 "$charger_connections" "$charge_seconds" 1 "$(side_rate "$kind")" &
      side_pids+=($!)
    done
    charger="${side_pids[*]}"
    sleep 1
    local pid
    for pid in "${side_pids[@]}"; do side_wrks="$side_wrks $(pgrep -P "$pid" -x wrk || true)"; done
  }
  side_ticks() { local t=0 pid; for pid in $side_wrks; do t=$((t + $(cpu_ticks "$pid" 2>/dev/null || echo 0))); done; echo "$t"; }
  side_mark() { side_t0=$(date +%s.%N); side_ticks0=$(side_ticks); }
  side_cores() { awk -v a="$side_ticks0" -v b="$(side_ticks)" -v t0="$side_t0" -v t1="$(date +%s.%N)" -v hz="$hz" 'BEGIN { printf "%.2f", (b - a) / hz / (t1 - t0) }'; }
  side_wait() { local pid; for pid in "${side_pids[@]}"; do wait "$pid" || { echo "run.sh: a charger failed" >&2; exit 1; }; done; charger=""; }
  # Rounds alternate the ceiling alone, the ceiling under the side load, reads alone and reads
  # under the side load, so all four see the same moments of a noisy host; the table gives
  # medians, and every round's figures below it.
  start_hello "$bytes"
  ceil=(); ceil_p99=(); ceil_srv=(); ceil_wrk=(); ceil_busy=()
  lceil=(); lceil_p99=(); lceil_srv=(); lceil_wrk=(); lceil_busy=(); lceil_side=()
  alone=(); alone_p99=(); alone_srv=(); alone_wrk=(); alone_busy=()
  with=(); with_p99=(); with_srv=(); with_wrk=(); with_busy=(); with_side=(); with_disk=()
  declare -A side_got side_p50 side_p99 side_max
  for round in $(seq "$rounds"); do
    read_run "ceiling-$round" "$hello_addr" "$hello"
    ceil+=("$(field rps "$rline")"); ceil_p99+=("$(field p99_us "$rline")"); ceil_srv+=("$cores"); ceil_wrk+=("$wrk_cores"); ceil_busy+=("${busy%\%}")
    side_start "$hello_addr" "ceiling-side-$round"
    side_mark
    read_run "ceiling-loaded-$round" "$hello_addr" "$hello"
    lceil+=("$(field rps "$rline")"); lceil_p99+=("$(field p99_us "$rline")"); lceil_srv+=("$cores"); lceil_wrk+=("$wrk_cores"); lceil_busy+=("${busy%\%}"); lceil_side+=("$(side_cores)")
    side_wait
    read_run "reads-alone-$round" "$api" "$server"; read_errors
    alone+=("$(field rps "$rline")"); alone_p99+=("$(field p99_us "$rline")"); alone_srv+=("$cores"); alone_wrk+=("$wrk_cores"); alone_busy+=("${busy%\%}")
    side_start "$api" "charger-$round"
    [ "$round" != 1 ] || profile_start reads-charged "$seconds"
    ledger_mark
    side_mark
    read_run "reads-charged-$round" "$api" "$server"; read_errors
    with+=("$(field rps "$rline")"); with_p99+=("$(field p99_us "$rline")"); with_srv+=("$cores"); with_wrk+=("$wrk_cores"); with_busy+=("${busy%\%}"); with_disk+=("round $round: $diskinfo"); with_side+=("$(side_cores)")
    ledger_report
    [ "$round" != 1 ] || { with_threads=$threads; with_group=$group; }
    side_wait
    for kind in "${kinds[@]}"; do
      line=$(grep '^RESULT' "$work/charger-$round-$kind.txt")
      acknowledged=$((acknowledged + $(field charged "$line"))); in_flight=$((in_flight + charger_connections))
      if [ "$kind" = calls ]; then got=$(field calls_per_s "$line"); else got=$(field sessions_per_s "$line"); fi
      side_got[$kind]="${side_got[$kind]:-} $got"; side_p50[$kind]="${side_p50[$kind]:-} $(field p50_us "$line")"
      side_p99[$kind]="${side_p99[$kind]:-} $(field p99_us "$line")"; side_max[$kind]="${side_max[$kind]:-} $(field max_us "$line")"
      # A session start refused for money is an answer, not an error (a payer ran low).
      charge_errors "charger-$round-$kind"
    done
  done
  kill "$hello"; wait "$hello" 2>/dev/null || true; hello=""
  m_ceil=$(median "${ceil[@]}"); m_lceil=$(median "${lceil[@]}"); m_alone=$(median "${alone[@]}"); m_with=$(median "${with[@]}")
  side_words=(); for kind in "${kinds[@]}"; do
    if [ "$kind" = calls ]; then side_words+=("$charge_rate calls/s"); else side_words+=("$session_rate sessions/s ($((2 * session_rate)) starts and ends/s)"); fi
  done
  side_text=$(IFS=';'; echo "${side_words[*]}" | sed 's/;/ and /g')
  out ""
  out "## 4. Balance reads (user_simple_balance_get), 64 connections, with $side_text charged alongside"
  out ""
  out "$rounds round(s) of ${seconds} s each: the ceiling alone, the ceiling under the same side load (the chargers send to it: their load generators cost it what they cost Ratel), reads alone, reads under the side load; medians (CPU in cores; machine busy: every process and tenant)."
  out ""
  out "| run | requests/s | p99 ms | ratio | server CPU | reads wrk CPU | chargers' wrk CPU | machine busy |"
  out "|---|---:|---:|---:|---:|---:|---:|---:|"
  out "| hello ceiling ($bytes-byte body) | $m_ceil | $(ms "$(median "${ceil_p99[@]}")") | 100% | $(median "${ceil_srv[@]}") | $(median "${ceil_wrk[@]}") | | $(median "${ceil_busy[@]}")% |"
  out "| reads alone | $m_alone | $(ms "$(median "${alone_p99[@]}")") | $(pct "$m_alone" "$m_ceil") of the ceiling | $(median "${alone_srv[@]}") | $(median "${alone_wrk[@]}") | | $(median "${alone_busy[@]}")% |"
  out "| hello ceiling under the side load | $m_lceil | $(ms "$(median "${lceil_p99[@]}")") | $(pct "$m_lceil" "$m_ceil") of the ceiling | $(median "${lceil_srv[@]}") | $(median "${lceil_wrk[@]}") | $(median "${lceil_side[@]}") | $(median "${lceil_busy[@]}")% |"
  out "| reads under the side load | $m_with | $(ms "$(median "${with_p99[@]}")") | **$(pct "$m_with" "$m_lceil")** of the loaded ceiling (target ≥ 85%); $(pct "$m_with" "$m_ceil") of the ceiling | $(median "${with_srv[@]}") | $(median "${with_wrk[@]}") | $(median "${with_side[@]}") | $(median "${with_busy[@]}")% |"
  out ""
  out "Rounds (requests/s): ceiling ${ceil[*]}; loaded ceiling ${lceil[*]}; alone ${alone[*]}; under the side load ${with[*]}."
  out "Host, each read run's longest stall of a 50-ms tick loop (seconds mean the host froze) and steal:$host_runs"
  for kind in "${kinds[@]}"; do
    # shellcheck disable=SC2086
    if [ "$kind" = calls ]; then what="calls/s achieved (asked $charge_rate)"; else what="sessions/s completed (asked $session_rate)"; fi
    out "Side load, $kind: **$(median ${side_got[$kind]}) $what** (rounds:${side_got[$kind]}); latency of one request p50 $(ms "$(median ${side_p50[$kind]})") ms, **p99 $(ms "$(median ${side_p99[$kind]})") ms**, max $(ms "$(median ${side_max[$kind]})") ms."
  done
  out "First round under the side load: server threads (cores) $with_threads; ledger $with_group."
  out "Disk under the side load: $(printf '%s; ' "${with_disk[@]}")"
  out "Commands: \`wrk -t2 -c64 -d${seconds}s --timeout 5s -s benches/load/paths.lua http://\$ADDR -- user_simple_balance_get.txt\` (every run); side load, against the ceiling or Ratel:"
  for kind in "${kinds[@]}"; do
    out "- \`$(charge_command 2 "$charger_connections" "$charge_seconds" 1 "$(awk -v r="$(side_rate "$kind")" 'BEGIN { printf "%.3f", r / 2 }')" "$kind")\` (the last argument: requests a second per thread)."
  done
  profile_stop reads-charged
  profile_print reads-charged
fi

# --- 5. Size per entry ------------------------------------------------------------------
if has size; then
  kill "$server"; wait "$server" 2>/dev/null || true; server=""
  files=""; bytes_total=0
  for suffix in "" -wal -shm; do
    file=$work/ledger.sqlite$suffix
    [ -f "$file" ] || continue
    size=$(stat -c %s "$file")
    files="$files ledger.sqlite$suffix $size B;"
    [ "$suffix" = -shm ] || bytes_total=$((bytes_total + size))
  done
  # Sizes first: opening the file can checkpoint the WAL into it.
  counts=$(python3 - "$work/ledger.sqlite" <<'PY'
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
total = db.execute("SELECT count(*) FROM entries").fetchone()[0]
try:
    kinds = db.execute("SELECT kind, count(*) FROM entries GROUP BY kind ORDER BY kind").fetchall()
    by_kind = ", ".join(f"{k} {n}" for k, n in kinds)
except sqlite3.Error as error:
    by_kind = f"(no kind column: {error})"
print(total, by_kind)
PY
)
  entries=${counts%% *}
  calls=$(sed -n 's/.*call \([0-9]*\).*/\1/p' <<< "$counts")
  if [ -n "$calls" ] && [ "$calls" -ge "$acknowledged" ] && [ "$calls" -le $((acknowledged + in_flight)) ]; then
    check="consistent: every acknowledged call is in the ledger, and the $((calls - acknowledged)) more are at most the $in_flight calls in flight when wrk stopped"
  else
    check="INCONSISTENT: the ledger holds ${calls:-no} call entries for $acknowledged acknowledged calls (at most $in_flight more were in flight)"
    errors_total=$((errors_total + 1))
  fi
  out ""
  out "## 5. Ledger size"
  out ""
  out "After the run, server stopped:$files $entries entries (${counts#* }); **$(awk -v b="$bytes_total" -v n="$entries" 'BEGIN { if (n > 0) printf "%.0f", b / n; else print "n/a" }') bytes per entry** counting the file and its WAL (-shm not counted), $(awk -v b="$(stat -c %s "$work/ledger.sqlite")" -v n="$entries" 'BEGIN { if (n > 0) printf "%.0f", b / n; else print "n/a" }') bytes per entry for the database file alone (the WAL's size is its high-water mark: its pages are copied into the file at checkpoints, so on a small ledger it weighs more than it holds). Calls acknowledged to the load generators (probe included): $acknowledged; call entries: ${calls:-?}; $check."
fi

out ""
out "Errors (non-200 answers, socket errors, refused or duplicate calls, failed pgbench transactions): $errors_total"
echo "report: $report"
[ "$errors_total" -eq 0 ]
