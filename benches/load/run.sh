#!/usr/bin/env bash
# Ratel's load harness: wrk against every endpoint of a running ratel-server, next to a
# hello-world may_minihttp server answering a body of the same size (the ceiling), then hot
# reload under load, abuse under load, and optionally a soak. See benches/load/README.md.
#
#   bash benches/load/run.sh                 # the full run (about 12 minutes on 2 cores)
#   bash benches/load/run.sh --smoke         # CI: 5 s of mixed traffic on the demo data
#   bash benches/load/run.sh --soak 10       # mixed traffic for 10 minutes: RSS and errors
#
# Options: --seconds N (each wrk run, default 5), --rounds N (ceiling/Ratel pairs per table
# row, default 3; the row shows medians), --connections "64 256",
# --reload-seconds N (default 30), --only table|reload|abuse (one part), --data DIR,
# --endpoints "rate_get_full ..." (table rows to run; default every endpoint).
# Everything is loopback-only; every run is bounded in time. Exit status: 0 when every
# request was answered 2xx with no socket error and the answer checks passed, 1 otherwise
# (never because of a throughput figure: the machines are shared and noisy).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

seconds=5
rounds=3
connections="64 256"
reload_seconds=10
abuse_seconds=10
soak_minutes=0
smoke=0
only=""
endpoints="rate_get_full rate_get_exact user_balance_get user_simple_balance_get calling_cards_get card_balance_get balance_php authorize"
work=$root/target/load
while [ $# -gt 0 ]; do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --reload-seconds) reload_seconds=$2; shift 2 ;;
    --soak) soak_minutes=$2; shift 2 ;;
    --smoke) smoke=1; shift ;;
    --only) only=$2; shift 2 ;;
    --endpoints) endpoints=$2; shift 2 ;;
    --data) work=$2; shift 2 ;;
    *) echo "run.sh: unknown option $1 (see the head of this script)" >&2; exit 2 ;;
  esac
done
# Bounds: no run of this harness can go on for hours by a typo.
[ "$seconds" -le 600 ] && [ "$reload_seconds" -le 30 ] && [ "$soak_minutes" -le 120 ] || {
  echo "run.sh: --seconds at most 600, --reload-seconds at most 30, --soak at most 120" >&2; exit 2; }

command -v wrk >/dev/null || { echo "run.sh: wrk is missing (apt-get install -y wrk)" >&2; exit 1; }
if [ "$smoke" = 1 ]; then  # no ceiling in the smoke test
  cargo build --release --quiet -p ratel-tools -p ratel-server
else
  cargo build --release --quiet -p ratel-tools -p ratel-server -p ratel-benches --bins
fi
bin=$root/target/release
lua=$root/benches/load/paths.lua
mkdir -p "$work"
report=$work/report.md
: > "$report"
out() { echo "$@" | tee -a "$report"; }

# --- Data -------------------------------------------------------------------------------
smoke_dir=""
if [ "$smoke" = 1 ]; then
  work=$(mktemp -d); smoke_dir=$work; report=$work/report.md; : > "$report"
  data=$root/fixtures/demo
  secret=secret
  decks=(retail="$data/tariffs/retail.csv" wholesale="$data/tariffs/wholesale.csv" vip_custom="$data/tariffs/vip_custom.csv")
  "$bin/tariff-compile" -o "$work/deck_a.ratel" "${decks[@]}" >/dev/null
  accounts=$data
  count=1000
else
  data=$work/data
  secret=loadsecret
  if [ ! -s "$data/.complete" ]; then
    echo "== generating: 1M-row deck, 100k users, 100k cards, 200k numbers =="
    "$bin/ratel-gen" -o "$data" --rows 1000000 --numbers 200000 --users 100000 --cards 100000
    echo done > "$data/.complete"
  fi
  decks=(wholesale="$data/wholesale.csv")
  # Deck B: the same prefixes at different rates (twice the rate plus 0.0001), for reloads.
  # Also made again by a newer tariff-compile: a cached deck of an older artifact format
  # would not load (seen: format 2 decks left from an earlier run).
  if [ ! -s "$work/deck_b.ratel" ] || [ "$data/wholesale.csv" -nt "$work/deck_b.ratel" ] \
     || [ "$bin/tariff-compile" -nt "$work/deck_a.ratel" ] \
     || cmp -s "$work/deck_a.ratel" "$work/deck_b.ratel"; then
    rm -f "$work/deck_a.ratel" "$work/deck_b.ratel"  # new inodes: nothing else may link them
    "$bin/tariff-compile" -o "$work/deck_a.ratel" "${decks[@]}"
    awk -F, 'BEGIN { OFS = "," } NR == 1 { print; next } { $3 = sprintf("%.4f", $3 * 2 + 0.0001); print }' \
      "$data/wholesale.csv" > "$work/wholesale_b.csv"
    "$bin/tariff-compile" -o "$work/deck_b.ratel" wholesale="$work/wholesale_b.csv"
  fi
  accounts=$data
  count=100000
fi
# Puts a copy of deck $1 at the configured artifact path by rename. Never `cp` onto the path
# itself: after a reload test it is a hard link to one of the decks, and cp would overwrite
# that deck's bytes (seen: deck B silently became deck A, and the reload probe caught it).
install_artifact() {
  rm -f "$work/tariffs.ratel.next"
  cp "$1" "$work/tariffs.ratel.next"
  mv -f "$work/tariffs.ratel.next" "$work/tariffs.ratel"
}
install_artifact "$work/deck_a.ratel"
# The JSON API's token (/v1/authorize), fresh each run.
token=load-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
cat > "$work/ratel.toml" <<TOML
listen = "127.0.0.1:0"
admin_listen = "127.0.0.1:0"
[data]
artifact = "$work/tariffs.ratel"
users = "$accounts/users.csv"
cards = "$accounts/cards.csv"
card_groups = "$accounts/card_groups.csv"
currencies = "$accounts/currencies.csv"
[api]
secret_key = "$secret"
native_token = "$token"
TOML
"$bin/ratel-load" requests --data "$accounts" "${decks[@]/#/--deck=}" --secret "$secret" \
  --count "$count" -o "$work/requests" >/dev/null

# --- Servers ----------------------------------------------------------------------------
server=""; hello=""; side=()
cleanup() {
  for pid in $server $hello "${side[@]}" ${host_watch_pid:-}; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -z "$smoke_dir" ] || rm -rf "$smoke_dir"
}
trap cleanup EXIT

# Starts ratel-server; sets server (pid), api and admin (addresses).
start_server() {
  "$bin/ratel-server" --config "$work/ratel.toml" 2> "$work/server.log" &
  server=$!
  for _ in $(seq 300); do grep -q "listening on" "$work/server.log" && break; sleep 0.1; done
  api=$(sed -n 's|.*listening on http://\([^/]*\)/.*|\1|p' "$work/server.log")
  admin=$(sed -n 's|.*admin on http://\([^ ]*\) .*|\1|p' "$work/server.log")
  [ -n "$api" ] || { cat "$work/server.log"; echo "run.sh: ratel-server did not start" >&2; exit 1; }
}

# Starts the hello-world ceiling answering BYTES-byte bodies; sets hello and hello_addr.
start_hello() {
  local attempt
  for attempt in 1 2 3; do
    [ -z "$hello" ] || { kill "$hello" 2>/dev/null; wait "$hello" 2>/dev/null || true; hello=""; }
    "$bin/hello-ceiling" --body-bytes "$1" 2> "$work/hello.log" &
    hello=$!
    for _ in $(seq 100); do grep -q "listening on" "$work/hello.log" && break; sleep 0.05; done
    hello_addr=$(sed -n 's|.*listening on http://\([^ ]*\) .*|\1|p' "$work/hello.log")
    [ -z "$hello_addr" ] || return 0
    # Seen once in a full run: no line within 5 s. Say what the process was doing, retry.
    echo "run.sh: hello-ceiling (attempt $attempt) did not start: $(cat "$work/hello.log") state: $(awk '/^State/ {print $2}' "/proc/$hello/status" 2>/dev/null)" >&2
  done
  exit 1
}

# rss_mb KIND: the server's VmHWM (peak) or VmRSS (now), in MB.
rss_mb() { awk -v k="$1:" '$1 == k { printf "%.1f", $2 / 1024 }' "/proc/$server/status"; }

# run_wrk ADDR CONNECTIONS SECONDS FILE: sets rps p50 p99 non2xx sockerr from wrk's RESULT line.
# The bearer token goes with the JSON API's list (authorize) and the mixed list that holds it,
# on both sides (the ceiling pays for the header's bytes too).
errors_total=0
# Each run is watched for a frozen host (benches/host_watch.sh): row_gap_ms and
# row_steal_pct keep the worst of a table row's runs.
. "$root/benches/host_watch.sh"
row_gap_ms=0; row_steal_pct=0
run_wrk() {
  local line bearer=""
  case $4 in */authorize.txt | */mixed.txt) bearer=$token ;; esac
  host_watch_start
  line=$(wrk -t2 -c"$2" -d"$3"s --timeout 5s -s "$lua" "http://$1" -- "$4" "$bearer" | grep '^RESULT')
  host_watch_stop
  [ "$host_gap_ms" -le "$row_gap_ms" ] || row_gap_ms=$host_gap_ms
  row_steal_pct=$(awk -v a="$row_steal_pct" -v b="$host_steal_pct" 'BEGIN { print (b > a ? b : a) }')
  rps=$(sed -n 's/.* rps=\([0-9]*\).*/\1/p' <<< "$line")
  p50=$(sed -n 's/.* p50_us=\([0-9]*\).*/\1/p' <<< "$line")
  p99=$(sed -n 's/.* p99_us=\([0-9]*\).*/\1/p' <<< "$line")
  non2xx=$(sed -n 's/.* non2xx=\([0-9]*\).*/\1/p' <<< "$line")
  sockerr=$(sed -n 's/.* socket_errors=\([0-9]*\).*/\1/p' <<< "$line")
}
# Adds this run's non-2xx and socket errors to the total (only runs against ratel-server).
count_errors() { errors_total=$((errors_total + non2xx + sockerr)); }
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ms() { awk -v us="$1" 'BEGIN { printf "%.2f", us / 1000 }'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.0f%%", 100 * a / b; else print "n/a" }'; }

start_server
echo "ratel-server on $api (admin $admin); $(sed -n 's/.*listening on [^ ]* //p' "$work/server.log")"
"$bin/ratel-load" check --addr "$api" --requests "$work/requests" --sample 200 --token "$token"
out ""
out "Ratel load run, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)); wrk -t2, keep-alive, wrk and servers on the same cores"

if [ "$smoke" = 1 ]; then
  run_wrk "$api" 64 5 "$work/requests/mixed.txt"; count_errors
  out "smoke: mixed traffic on the demo data, 64 connections, 5 s: $rps requests/s, p99 $(ms "$p99") ms, non-2xx $non2xx, socket errors $sockerr"
  [ "$errors_total" -eq 0 ] || { echo "run.sh: FAILED: $errors_total non-2xx or socket errors" >&2; exit 1; }
  echo "load smoke test passed"
  exit 0
fi

# --- 1-2. Every endpoint against the ceiling ---------------------------------------------
declare -A clean_rps clean_p99
if [ -z "$only" ] || [ "$only" = table ]; then
  out ""
  out "Each row: $rounds rounds of ${seconds}s, ceiling then Ratel; medians (requests/s, p50, p99), errors summed."
  out ""
  out "Host: the longest stall of a 50-ms tick loop in any run of the row (seconds mean the host froze: wrk then times out every request in flight), and the most steal (time the hypervisor gave other guests) of a run."
  out ""
  out "| endpoint | conns | requests/s | p50 ms | p99 ms | non-2xx | socket errors | ceiling requests/s | ratio to ceiling | body bytes | server peak RSS MB | host: longest stall ms, steal % | rounds: Ratel / ceiling |"
  out "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
  for target in $endpoints; do
    [ -s "$work/requests/$target.txt" ] || { echo "run.sh: no endpoint $target" >&2; exit 2; }
    file=$work/requests/$target.txt
    bytes=$(curl -s -H "Authorization: Bearer $token" -o /dev/null -w '%{size_download}' "http://$api$(head -1 "$file")")
    start_hello "$bytes"
    for c in $connections; do
      # Rounds alternate ceiling and Ratel so both see the same moments of a noisy host;
      # the row gives the median of each, and their ratio.
      ceilings=(); ratels=(); p50s=(); p99s=(); row_non2xx=0; row_sockerr=0; row_gap_ms=0; row_steal_pct=0
      for _ in $(seq "$rounds"); do
        run_wrk "$hello_addr" "$c" "$seconds" "$file"; ceilings+=("$rps")
        run_wrk "$api" "$c" "$seconds" "$file"; count_errors
        ratels+=("$rps"); p50s+=("$p50"); p99s+=("$p99")
        row_non2xx=$((row_non2xx + non2xx)); row_sockerr=$((row_sockerr + sockerr))
      done
      ceiling=$(median "${ceilings[@]}"); rps=$(median "${ratels[@]}")
      out "| $target | $c | $rps | $(ms "$(median "${p50s[@]}")") | $(ms "$(median "${p99s[@]}")") | $row_non2xx | $row_sockerr | $ceiling | $(pct "$rps" "$ceiling") | $bytes | $(rss_mb VmHWM) | $row_gap_ms, $row_steal_pct% | ${ratels[*]} / ${ceilings[*]} |"
    done
  done
  kill "$hello"; wait "$hello" 2>/dev/null || true; hello=""
fi

metric() { curl -s "http://$admin/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }

# Reload and abuse compare runs without and with a disturbance, in alternating rounds.
# rounds_reset clears the figures; record_base / record_with keep the last run_wrk's;
# rounds_table TITLE CLEAN WITH prints the comparison of medians.
rounds_reset() { base=(); with=(); base_p50s=(); base_p99s=(); p50s=(); p99s=(); base_errors=0; with_errors=0; }
record_base() { base+=("$rps"); base_p50s+=("$p50"); base_p99s+=("$p99"); base_errors=$((base_errors + non2xx + sockerr)); }
record_with() { with+=("$rps"); p50s+=("$p50"); p99s+=("$p99"); with_errors=$((with_errors + non2xx + sockerr)); }
rounds_table() {
  out ""
  out "$1"
  out ""
  out "| run | requests/s | p50 ms | p99 ms | non-2xx + socket errors | rounds |"
  out "|---|---:|---:|---:|---:|---|"
  out "| $2 | $(median "${base[@]}") | $(ms "$(median "${base_p50s[@]}")") | $(ms "$(median "${base_p99s[@]}")") | $base_errors | ${base[*]} |"
  out "| $3 | $(median "${with[@]}") | $(ms "$(median "${p50s[@]}")") | $(ms "$(median "${p99s[@]}")") | $with_errors | ${with[*]} |"
  out ""
  kept=$(pct "$(median "${with[@]}")" "$(median "${base[@]}")")
}

# --- 3. Hot reload under load ------------------------------------------------------------
if [ -z "$only" ] || [ "$only" = reload ]; then
  file=$work/requests/rate_get_full.txt
  # A request whose answer differs between the decks (one with a rate): sampled during the run.
  probe=""
  while read -r candidate; do
    if curl -s "http://$api$candidate" | grep -q '<rate>'; then probe=$candidate; break; fi
  done < <(head -20 "$file")
  generation_before=$(metric ratel_snapshot_generation)
  reloads_before=$(metric ratel_reloads_total); reload_sum_before=$(metric ratel_reload_duration_seconds_sum)
  failures_before=$(metric ratel_reload_failures_total)
  artifact_reads_before=$(metric ratel_reload_artifact_reads_total)
  accounts_reads_before=$(metric ratel_reload_accounts_reads_total)
  # Rounds alternate a run without reloads and one with them, as the table alternates with
  # the ceiling, so both see the same moments of a noisy host; medians are reported.
  rounds_reset
  swap_ok=0; : > "$work/reloads.txt"
  for _ in $(seq "$rounds"); do
    run_wrk "$api" 64 "$reload_seconds" "$file"; count_errors
    record_base
    # The swaps, signals and probe run in one process (no fork per swap or probe), started
    # just before wrk and running as long.
    "$bin/ratel-load" reloads --artifact "$work/tariffs.ratel" --decks "$work/deck_b.ratel" "$work/deck_a.ratel" \
      --pid "$server" --addr "$api" --probe "$probe" --seconds "$reload_seconds" >> "$work/reloads.txt" 2>&1 &
    side+=($!); swapper=$!
    run_wrk "$api" 64 "$reload_seconds" "$file"; count_errors
    record_with
    wait "$swapper" || swap_ok=$?
  done
  sleep 0.5
  generations=$(( $(metric ratel_snapshot_generation) - generation_before ))
  reloads=$(( $(metric ratel_reloads_total) - reloads_before ))
  failures=$(( $(metric ratel_reload_failures_total) - failures_before ))
  reload_avg_ms=$(awk -v s="$(metric ratel_reload_duration_seconds_sum)" -v b="$reload_sum_before" -v n="$reloads" \
    'BEGIN { if (n > 0) printf "%.2f", 1000 * (s - b) / n; else print "n/a" }')
  # The smallest histogram bound that holds every reload so far.
  reload_max_ms=$(curl -s "http://$admin/metrics" | awk -v n="$(metric ratel_reload_duration_seconds_count)" \
    'index($0, "ratel_reload_duration_seconds_bucket{le=") == 1 && $2 == n { gsub(/.*le="|"}.*/, "", $1); print ($1 == "+Inf" ? "over 30000" : "at most " 1000 * $1); exit }')
  rounds_table "Hot reload: rate_get by_full_dst=1, 64 connections; $rounds rounds of ${reload_seconds}s without reloads, then ${reload_seconds}s with a rename of deck A or B over the artifact and a SIGHUP every 100 ms; medians" \
    "without reloads" "with reloads"
  out "Throughput with reloads: $kept of the runs without. Snapshots swapped: $generations ($reloads reloads, $failures failed, artifact re-read $(( $(metric ratel_reload_artifact_reads_total) - artifact_reads_before )) times, accounts $(( $(metric ratel_reload_accounts_reads_total) - accounts_reads_before )) times); reload time from /metrics: mean $reload_avg_ms ms, every one $reload_max_ms ms. Loop, per round: $(paste -sd ';' "$work/reloads.txt")"
  [ "$failures" -eq 0 ] || errors_total=$((errors_total + failures))
  [ "$swap_ok" -eq 0 ] || { out "FAIL: a swap failed or the answers never changed between the decks"; errors_total=$((errors_total + 1)); }
  install_artifact "$work/deck_a.ratel"
  curl -s -X POST "http://$admin/reload" >/dev/null
fi

# --- 4. Abuse under load -----------------------------------------------------------------
if [ -z "$only" ] || [ "$only" = abuse ]; then
  file=$work/requests/rate_get_full.txt
  rounds_reset
  abuse_ok=0; : > "$work/abuse.txt"
  for _ in $(seq "$rounds"); do
    run_wrk "$api" 64 "$abuse_seconds" "$file"; count_errors
    record_base
    "$bin/ratel-load" abuse --addr "$api" --slowloris 500 --malformed-per-second 200 --seconds $((abuse_seconds + 4)) \
      >> "$work/abuse.txt" 2>&1 & side+=($!); abuser=$!
    sleep 2  # the 500 half-open connections are in place before the measured run
    run_wrk "$api" 64 "$abuse_seconds" "$file"; count_errors
    record_with
    wait "$abuser" || abuse_ok=$?
  done
  rounds_table "Abuse: rate_get by_full_dst=1, 64 connections; $rounds rounds of ${abuse_seconds}s clean, then ${abuse_seconds}s while 500 slowloris connections stay half-open and 200 malformed requests a second arrive; medians" \
    "clean" "under abuse"
  out "Real clients kept $kept of clean throughput; p99 $(awk -v a="$(median "${p99s[@]}")" -v b="$(median "${base_p99s[@]}")" 'BEGIN { printf "%.2f", a / b }')x clean. Abuser, per round: $(paste -sd ';' "$work/abuse.txt")"
  [ "$abuse_ok" -eq 0 ] || errors_total=$((errors_total + 1))
fi

# --- 5. Soak -----------------------------------------------------------------------------
if [ "$soak_minutes" -gt 0 ]; then
  file=$work/requests/mixed.txt
  wrk -t2 -c64 -d"$((soak_minutes * 60))"s --timeout 5s -s "$lua" "http://$api" -- "$file" "$token" > "$work/soak.txt" &
  soaker=$!; side+=($soaker)
  sleep 10
  rss_start=$(rss_mb VmRSS)
  out ""
  out "Soak: mixed traffic (every endpoint in turn), 64 connections, $soak_minutes min; server RSS after 10 s: $rss_start MB"
  tick=0
  while kill -0 "$soaker" 2>/dev/null; do
    sleep 1; tick=$((tick + 1))
    [ $((tick % 60)) -ne 0 ] || echo "  soak: $((tick / 60 + 0)) min, server RSS $(rss_mb VmRSS) MB"
  done
  rss_end=$(rss_mb VmRSS)
  line=$(grep '^RESULT' "$work/soak.txt")
  non2xx=$(sed -n 's/.* non2xx=\([0-9]*\).*/\1/p' <<< "$line"); sockerr=$(sed -n 's/.* socket_errors=\([0-9]*\).*/\1/p' <<< "$line")
  count_errors
  out "Soak result: $(sed -n 's/.*requests=\([0-9]*\).* rps=\([0-9]*\).*/\1 requests, \2 requests\/s/p' <<< "$line"); non-2xx $non2xx, socket errors $sockerr; RSS $rss_start MB -> $rss_end MB ($(awk -v a="$rss_start" -v b="$rss_end" 'BEGIN { printf "%+.1f%%", 100 * (b - a) / a }'))"
fi

out ""
out "Errors in all runs against ratel-server (non-2xx, socket errors, failed reloads, abuse not refused): $errors_total"
echo "report: $report"
[ "$errors_total" -eq 0 ]
