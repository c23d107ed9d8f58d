#!/usr/bin/env bash
# SIP calls a second through Kamailio with Ratel behind it (a session opened and ended for
# every call), against the same Kamailio relaying alone (-A RELAY_ONLY), in one run (issue 19,
# "Performance"). SIPp places short calls at a fixed rate (-r) for a fixed number of calls;
# the figure is calls completed a second and the calls that failed. Everything on loopback.
#
#   bash benches/sip/run.sh                    # 3,000 calls at 150 a second, each way, 3 rounds
#   bash benches/sip/run.sh --rate 300 --calls 6000 --rounds 1
#
# Needs kamailio and sipp (deploy/kamailio/install.sh). Exit status 0 when every run
# completed (failed calls are reported, not judged: the machine is shared).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

rate=150
calls=3000
rounds=3
while [ $# -gt 0 ]; do
  case $1 in
    --rate) rate=$2; shift 2 ;;
    --calls) calls=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    *) echo "run.sh: unknown option $1 (see the head of this script)" >&2; exit 2 ;;
  esac
done
source deploy/kamailio/harness.sh
harness_start run.sh
# Ratel on the demo data with one caller rich enough for every call at once.
harness_ratel $'92,bench,user,0,retail,vip_custom,USD,1000000000,1000000000,b3nchh4sh,,,,Bench,Caller,\n'
printf 'SEQUENTIAL\nbench;\n' > "$work/callers.csv"

# kamailio_start [RELAY_ONLY]: the proxy, with Ratel or relaying alone; sets kamailio.
kamailio_start() {
  if [ -n "${1:-}" ]; then harness_kamailio -A RELAY_ONLY; else harness_kamailio; fi
}
# run NAME: one SIPp run of $calls calls at $rate a second; sets per_s and failed.
run() {
  harness_gateway uas.xml "$calls"
  local started ended
  started=$(date +%s%N)
  timeout 600 sipp "127.0.0.1:$proxy_port" -sf deploy/kamailio/sipp/uac.xml -inf "$work/callers.csv" \
    -s 37061234567 -i 127.0.0.1 -p "$caller_port" -nostdin -timeout 120 -d 0 \
    -r "$rate" -m "$calls" -l 2000 > "$work/$1.out" 2>&1 || true
  ended=$(date +%s%N)
  local ok
  ok=$(awk -F'|' '/Successful call/ { gsub(/ /, "", $3); print $3 }' "$work/$1.out")
  failed=$(awk -F'|' '/Failed call/ { gsub(/ /, "", $3); print $3 }' "$work/$1.out")
  per_s=$(awk -v n="${ok:-0}" -v ns=$((ended - started)) 'BEGIN { printf "%.0f", n / (ns / 1e9) }')
  # Why calls failed, in SIPp's words (its message table's timeout and unexpected columns).
  why=$(awk '/Timeout|Unexpected/ && /[0-9]/ { print }' "$work/$1.out" | tr -s ' ' | head -3 | tr '\n' ';')
  [ "${failed:-0}" = 0 ] || echo "$1: $failed failed calls; SIPp: $(grep -c 'Aborting\|timeout' "$work/$1.out" || true) aborts; $(grep -m2 -i 'aborting\|timeout' "$work/$1.out" | tr '\n' ' ')"
}

results=()
for round in $(seq "$rounds"); do
  kamailio_start RELAY_ONLY
  run "relay-$round"; relay_s=$per_s; relay_failed=$failed
  kill "$kamailio"; wait "$kamailio" 2>/dev/null || true
  kamailio_start
  run "ratel-$round"; ratel_s=$per_s; ratel_failed=$failed
  kill "$kamailio"; wait "$kamailio" 2>/dev/null || true
  results+=("round $round: relaying alone $relay_s calls/s ($relay_failed failed); with Ratel $ratel_s calls/s ($ratel_failed failed)")
  echo "${results[-1]}"
done
metrics=$(curl -sS --max-time 5 "http://$admin/metrics")
echo ""
echo "SIP calls through Kamailio 5.6.3, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown), $(nproc) cores; SIPp offering $rate calls/s, $calls calls a run (0 s talk: INVITE, 200, ACK, BYE, 200), SIPp, Kamailio and Ratel on the same cores."
for line in "${results[@]}"; do echo "- $line"; done
echo "Ratel: $(echo "$metrics" | sed -n 's/^ratel_sessions_started_total //p') sessions started, $(echo "$metrics" | sed -n 's/^ratel_sessions_open //p') open at the end, $(echo "$metrics" | sed -n 's/^ratel_sessions_refused_total //p') refused."
