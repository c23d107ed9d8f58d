#!/usr/bin/env bash
# Compiles the demo tariffs and prices a few numbers: the first thing to run on a fresh clone.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet -p ratel-tools
target/release/tariff-compile -o fixtures/demo/tariffs.ratel \
  fixtures/demo/tariffs/retail.csv fixtures/demo/tariffs/wholesale.csv fixtures/demo/tariffs/vip_custom.csv
echo
echo "== retail tariff, now =="
target/release/tariff-lookup -a fixtures/demo/tariffs.ratel -t retail < fixtures/demo/numbers.txt
echo
echo "== retail tariff, 2025-06-01 (before the UK rate change) =="
target/release/tariff-lookup -a fixtures/demo/tariffs.ratel -t retail --at "2025-06-01 00:00:00" < fixtures/demo/numbers.txt
