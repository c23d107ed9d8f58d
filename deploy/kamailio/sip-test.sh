#!/usr/bin/env bash
# End to end with real SIP (issue 19): the Ratel server on the demo data, Kamailio with
# deploy/kamailio/ratel.cfg in front of it, and SIPp as callers and as the carrier's gateway,
# all on loopback. Each case checks what the caller saw (SIPp's exit status) and what Ratel
# charged (balances to the cent, exact).
#
#   bash deploy/kamailio/sip-test.sh      # needs kamailio and sipp: deploy/kamailio/install.sh
#
# The cases: an answered call is charged its answered seconds; a call longer than the payer
# can afford is cut by the proxy at granted_s and charged that; an unknown caller gets 404 and
# a payer without money 402, with nothing held; two simultaneous calls on a payer that can
# afford one get one 200 and one 402; a call cancelled before the answer is charged nothing
# and releases what it held. Exit status 0 when every case passed. About 20 s.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

source deploy/kamailio/harness.sh
harness_start sip-test
# Ratel on the demo data, with two more payers: tiny (0.03 USD: 3 s at 0.5 a minute) and
# single (1 USD: one whole call of 120 s, since a grant is the whole call here).
harness_ratel $'90,tiny,user,0,retail,vip_custom,USD,0.03,0.03,t1nyh4sh,,,,Tiny,Caller,\n91,single,user,0,retail,vip_custom,USD,1,1,s1ngleh4sh,,,,Single,Line,\n'
harness_kamailio -A 'CHILDREN=4'
pids+=("$kamailio")

failures=0
pass() { echo "ok   $1"; }
fail() { echo "FAIL $1"; failures=$((failures + 1)); }
token="Authorization: Bearer demo-token-change-me"
balance() { curl -sS --max-time 5 -H "$token" "http://$api/v1/balance?account=$1"; }
expect_balance() { # case, account, balance, reserved
  local got; got=$(balance "$2")
  local want="{\"balance\":\"$3\",\"currency\":\"USD\",\"reserved\":\"$4\",\"available\":\"$3\"}"
  [ "$4" = "0.000000" ] || want=""
  if [ -n "$want" ] && [ "$got" = "$want" ]; then pass "$1: $2 has $3, holds nothing"; else fail "$1: $2: got $got"; fi
}
callers() { printf 'SEQUENTIAL\n%s;\n' "$1" > "$work/$1.csv"; echo "$work/$1.csv"; }
gateway() { harness_gateway "$@"; }
# call SCENARIO ACCOUNT EXTRA...: one or more calls to 37061234567; SIPp's exit status.
call() {
  local scenario=$1 account=$2; shift 2
  timeout 60 sipp "127.0.0.1:$proxy_port" -sf "$scenario" -inf "$(callers "$account")" \
    -s 37061234567 -i 127.0.0.1 -p "$caller_port" -nostdin -timeout 30 \
    -trace_err -error_file "$work/caller-errors.log" "$@" > "$work/caller.out" 2>&1
}
# refused STATUS: the refused caller's scenario for STATUS.
refused() { sed "s/STATUS/$1/" deploy/kamailio/sipp/uac_refused.xml > "$work/refused_$1.xml"; echo "$work/refused_$1.xml"; }

# 1. An answered call of 2 s: charged 2 s at 0.5 a minute.
gateway uas.xml 1
if call deploy/kamailio/sipp/uac.xml alice -m 1 -d 2000; then pass "answered call"; else fail "answered call"; fi
expect_balance "answered call" alice 59.983333 0.000000

# 2. A call of 10 s by a payer who can afford 3 s: cut by the proxy, charged the 3 s granted.
gateway uas.xml 1
started=$(date +%s%N)
if call deploy/kamailio/sipp/uac.xml tiny -m 1 -d 10000; then pass "cut call"; else fail "cut call"; fi
took_ms=$(( ($(date +%s%N) - started) / 1000000 ))
if [ "$took_ms" -lt 8000 ]; then pass "cut call: ended by the proxy after $took_ms ms"; else fail "cut call lasted $took_ms ms"; fi
expect_balance "cut call" tiny 0.005000 0.000000

# 3. An unknown caller: 404, nothing held. 4. A payer without money (tiny, 0.005): 402.
if call "$(refused 404)" nobody -m 1; then pass "unknown caller: 404"; else fail "unknown caller: not 404"; fi
if call "$(refused 402)" tiny -m 1; then pass "no money: 402"; else fail "no money: not 402"; fi
expect_balance "no money" tiny 0.005000 0.000000

# 5. Two simultaneous calls by a payer who can afford one: one 200 (charged 2 s), one 402.
gateway uas.xml 1
call deploy/kamailio/sipp/uac.xml single -m 2 -l 2 -r 10 -d 2000 || true
counts=$(awk -F'|' '/Successful call|Failed call/ { gsub(/ /, "", $3); printf "%s ", $3 }' "$work/caller.out")
if [ "$counts" = "1 1 " ]; then pass "two calls at once: one answered, one refused"; else fail "two calls at once: successful/failed $counts"; fi
if grep -q "SIP/2.0 402 Payment Required" "$work/caller.out" "$work/caller-errors.log" 2>/dev/null; then
  pass "two calls at once: the second got 402"
else
  fail "two calls at once: no 402 seen"
fi
expect_balance "two calls at once" single 0.983333 0.000000

# 6. A call cancelled while it rings: charged nothing, nothing held after.
gateway uas_ring.xml 1
if call deploy/kamailio/sipp/uac_cancel.xml alice -m 1 -d 1000; then pass "cancelled call"; else fail "cancelled call"; fi
expect_balance "cancelled call" alice 59.983333 0.000000

metrics=$(curl -sS --max-time 5 "http://$admin/metrics")
open=$(echo "$metrics" | sed -n 's/^ratel_sessions_open \(.*\)/\1/p')
started=$(echo "$metrics" | sed -n 's/^ratel_sessions_started_total \(.*\)/\1/p')
if [ "$open" = "0" ] && [ "$started" = "4" ]; then pass "sessions: 4 opened, none left open"; else fail "sessions: open $open, started $started"; fi

if [ "$failures" -ne 0 ]; then
  echo "--- kamailio.log (ratel lines)"; grep -i "ratel\|error" "$work/kamailio.log" | tail -30
  echo "--- caller.out"; tail -30 "$work/caller.out"
  echo "--- server.log"; tail -10 "$work/server.log"
  exit 1
fi
echo "SIP end-to-end test passed"
