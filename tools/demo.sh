#!/usr/bin/env bash
# The first thing to run on a fresh clone: compiles the demo tariffs, prices a few numbers,
# then serves the demo data on 127.0.0.1:8080 (API) and 127.0.0.1:9090 (admin) until Ctrl-C.
#   bash tools/demo.sh            # interactive: leaves the server running in the foreground
#   bash tools/demo.sh --smoke    # CI: free ports, one request per endpoint checked, then stop
set -euo pipefail
cd "$(dirname "$0")/.."
# A first build takes several minutes: cargo shows its progress.
echo "== building the tools and the server (release) =="
cargo build --release -p ratel-tools -p ratel-server
target/release/tariff-compile -o fixtures/demo/tariffs.ratel \
  fixtures/demo/tariffs/retail.csv fixtures/demo/tariffs/wholesale.csv fixtures/demo/tariffs/vip_custom.csv
echo
echo "== tariff-lookup: the retail tariff, now =="
target/release/tariff-lookup -a fixtures/demo/tariffs.ratel -t retail < fixtures/demo/numbers.txt
echo

# The carrier's workbench (docs/workbench.md); in --smoke mode its outputs must equal the
# golden files the tests hold.
mkdir -p target/demo
target/release/tariff-compile -o target/demo/next.ratel fixtures/demo/next/retail.csv > /dev/null
target/release/tariff-compile --currency carrier_b=EUR -o target/demo/lcr.ratel fixtures/demo/tariffs/retail.csv \
  fixtures/demo/tariffs/wholesale.csv fixtures/demo/suppliers/carrier_a.csv fixtures/demo/suppliers/carrier_b.csv > /dev/null
echo "== tariff-diff: what the retail deck's next version changes from 2027-01-01 (7 days' notice) =="
target/release/tariff-diff fixtures/demo/tariffs.ratel target/demo/next.ratel -t retail --at 2027-01-01 \
  --notice-days 7 --received 2026-11-26 | tee target/demo/diff.csv
echo
echo "== tariff-lcr: suppliers for the demo numbers, cheapest first, margins against retail =="
target/release/tariff-lcr -a target/demo/lcr.ratel --sell retail --supplier wholesale --supplier carrier_a \
  --at 2026-11-26 < fixtures/demo/numbers.txt | tee target/demo/lcr-numbers.csv
echo
target/release/tariff-lcr -a target/demo/lcr.ratel --sell retail --supplier wholesale --supplier carrier_a \
  --supplier carrier_b --currencies fixtures/demo/currencies.csv --prefixes --top 2 --at 2026-11-26 \
  > target/demo/lcr-prefixes.csv
if [ "${1:-}" = "--smoke" ]; then
  for golden in diff:tariff-diff lcr-numbers:tariff-lcr-numbers lcr-prefixes:tariff-lcr-prefixes; do
    diff -u "fixtures/golden/${golden#*:}.csv" "target/demo/${golden%%:*}.csv"
    echo "ok   ${golden#*:} equals its golden file"
  done
  echo
fi

if [ "${1:-}" != "--smoke" ]; then
  cat <<'TXT'
== ratel-server on the demo data; try (README "API by example" has every endpoint):
   curl 'http://127.0.0.1:8080/billing/api/simple_balance/a1b2c3d4e5'
   curl "http://127.0.0.1:8080/billing/api/rate_get?u=admin&username=admin&prefix=370&hash=$(printf adminsecret | sha1sum | cut -c1-40)"
   curl 'http://127.0.0.1:9090/metrics'
   curl -H 'Authorization: Bearer demo-token-change-me' 'http://127.0.0.1:8080/v1/authorize?account=alice&number=37061234567'
   curl -H 'Authorization: Bearer demo-token-change-me' -d '{"calls":[{"id":"c-1","account":"alice","number":"37061234567","start":"2026-11-26 10:00:00","billsec":65}]}' http://127.0.0.1:8080/v1/calls
   curl -H 'Authorization: Bearer demo-token-change-me' -d '{"id":"s-1","account":"alice","number":"37061234567"}' http://127.0.0.1:8080/v1/sessions
   curl -H 'Authorization: Bearer demo-token-change-me' -d '{"id":"s-1","billsec":42}' http://127.0.0.1:8080/v1/sessions/end
   (balances persist in fixtures/demo/ledger.sqlite; delete it, server stopped, to start over)
TXT
  exec target/release/ratel-server --config fixtures/demo/ratel.toml
fi

# Smoke test: the demo configuration on free ports, every endpoint once.
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
cp fixtures/demo/*.csv fixtures/demo/tariffs.ratel "$work/"
sed -e 's/^listen = .*/listen = "127.0.0.1:0"/' -e 's/^admin_listen = .*/admin_listen = "127.0.0.1:0"/' \
    fixtures/demo/ratel.toml > "$work/ratel.toml"
target/release/ratel-server --config "$work/ratel.toml" 2> "$work/log" &
server=$!
for _ in $(seq 100); do grep -q "listening on" "$work/log" && break; sleep 0.1; done
api=$(sed -n 's|.*listening on http://\([^/]*\)/.*|\1|p' "$work/log")
admin=$(sed -n 's|.*admin on http://\([^ ]*\) .*|\1|p' "$work/log")
hash() { printf '%s' "$1" | sha1sum | cut -c1-40; }
failures=0
check() { # name, expected, url [curl args]
  local name=$1 expected=$2; shift 2
  local got; got=$(curl -sS --max-time 5 "$@")
  if [ "$got" = "$expected" ]; then echo "ok   $name"; else echo "FAIL $name: got [$got]"; failures=$((failures + 1)); fi
}
contains() { # name, needle, url [curl args]
  local name=$1 needle=$2; shift 2
  local got; got=$(curl -sS --max-time 5 "$@")
  case "$got" in *"$needle"*) echo "ok   $name" ;; *) echo "FAIL $name: got [$got]"; failures=$((failures + 1)) ;; esac
}
check simple_balance "60.0000" "http://$api/billing/api/simple_balance/a1b2c3d4e5"
check user_balance_get "$(printf '<?xml version="1.0" encoding="UTF-8"?>\n<page>\n  <balance>55.2000</balance>\n  <currency>EUR</currency>\n</page>')" \
  "http://$api/billing/api/user_balance_get?username=alice&user_currency=1&hash=$(hash alicesecret)"
check rate_get "$(printf '<?xml version="1.0" encoding="UTF-8"?>\n<page>\n  <rate>0.155#Lithuania Mobile#3706</rate>\n</page>')" \
  -d "u=admin&username=admin&prefix=37061234567&by_full_dst=1&hash=$(hash adminsecret)" "http://$api/billing/api/rate_get"
contains calling_cards_get "<card_distributor>Test User #1</card_distributor>" "http://$api/billing/api/calling_cards_get?u=admin&number=1111111119&hash=$(hash secret)"
check card_balance_get "$(printf '<?xml version="1.0" encoding="UTF-8"?>\n<page>\n  <calling_card>\n    <balance>10.0840336134454</balance>\n    <currency>USD</currency>\n  </calling_card>\n</page>')" \
  "http://$api/billing/api/card_balance_get?u=admin&number=1111111119&hash=$(hash 1111111119secret)"
check balance.php "CurrencyName=EUR|InitBalance=92.00|Balance=55.20" "http://$api/billing/balance.php?uid=alice&e164num=37061234567&format=2"
# The ledger: a top-up, an authorization, a charged call and its resend, the balance after.
contains user_balance_update "<balance>70.0</balance>" \
  "http://$api/billing/api/user_balance_update?u=admin&user_id=3&balance=10&reference=smoke-1&hash=$(hash 310secret)"
check simple_balance_after_top_up "70.0000" "http://$api/billing/api/simple_balance/a1b2c3d4e5"
token="Authorization: Bearer demo-token-change-me"
check authorize '{"allowed":true,"max_seconds":7200,"balance":"70.000000","reserved":"0.000000","available":"70.000000","prefix":"370","destination":"Lithuania (VIP)","rate":"0.5","connection_fee":"0","increment_s":1,"min_time_s":0,"currency":"USD","balance_currency":"USD"}' \
  -H "$token" "http://$api/v1/authorize?account=alice&number=37061234567"
# The demo's [numbers] rules: 00 and 011 dial abroad, an extension shorter than 5 digits is
# not rated.
rates='{"account":"alice","numbers":["011 370 612 34567","3706"]}'
check rates_dialled '{"results":[{"number":"011 370 612 34567","tariff":"vip_custom","prefix":"370","destination":"Lithuania (VIP)","rate":"0.5","connection_fee":"0","increment_s":1,"min_time_s":0,"currency":"USD"},{"number":"3706","error":"rate not found"}]}' \
  -H "$token" -d "$rates" "http://$api/v1/rates"
call='{"calls":[{"id":"smoke-c-1","account":"alice","number":"37061234567","start":"2026-11-26 10:00:00","billsec":65}]}'
check calls '{"results":[{"id":"smoke-c-1","cost":"0.541667","currency":"USD","balance":"69.458333","prefix":"370","rated_s":65,"duplicate":false}]}' \
  -H "$token" -d "$call" "http://$api/v1/calls"
check calls_resent '{"results":[{"id":"smoke-c-1","cost":"0.541667","currency":"USD","balance":"69.458333","prefix":"370","rated_s":65,"duplicate":true}]}' \
  -H "$token" -d "$call" "http://$api/v1/calls"
check balance '{"balance":"69.458333","currency":"USD","reserved":"0.000000","available":"69.458333"}' -H "$token" "http://$api/v1/balance?account=alice"
# A call in progress: the whole call granted (2 hours, the longest call) and its price held,
# then ended and charged.
check session_start '{"id":"smoke-s-1","allowed":true,"granted_s":7200,"final":true,"reserved":"60.000000","available":"9.458333","prefix":"370","destination":"Lithuania (VIP)","rate":"0.5","connection_fee":"0","increment_s":1,"min_time_s":0,"currency":"USD","balance_currency":"USD"}' \
  -H "$token" -d '{"id":"smoke-s-1","account":"alice","number":"37061234567"}' "http://$api/v1/sessions"
check session_held '{"balance":"69.458333","currency":"USD","reserved":"60.000000","available":"9.458333"}' -H "$token" "http://$api/v1/balance?account=alice"
check session_end '{"id":"smoke-s-1","cost":"0.350000","currency":"USD","balance":"69.108333","prefix":"370","rated_s":42,"duplicate":false}' \
  -H "$token" -d '{"id":"smoke-s-1","billsec":42}' "http://$api/v1/sessions/end"
check healthz "ok: generation 1" "http://$admin/healthz"
contains reload "reloaded: generation 2" -X POST "http://$admin/reload"
contains metrics 'ratel_requests_total{endpoint="rate_get",outcome="answered"} 1' "http://$admin/metrics"
contains metrics_sessions 'ratel_sessions_started_total 1' "http://$admin/metrics"
[ "$failures" -eq 0 ] || { cat "$work/log"; exit 1; }
echo "demo smoke test passed"
