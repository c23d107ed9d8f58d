#!/usr/bin/env bash
# The carrier's tools against the issue's targets (issue 11, "Performance"): tariff-compile,
# tariff-rate, tariff-diff and tariff-lcr on ratel-gen data, each run under GNU time (wall
# time and peak RSS), medians over the rounds, with the command lines. See
# benches/tools/README.md.
#
#   bash benches/tools/run.sh               # full: 1M-row decks, 3M CDRs, 5 suppliers, 3 rounds
#   bash benches/tools/run.sh --rounds 5    # five rounds
#   bash benches/tools/run.sh --smoke       # CI: 20k-row decks, one round, under a minute
#
# Options: --rounds N (default 3, at most 9; an even N reports the lower middle), --smoke,
# --only "compile rate lookup diff lcr" (the parts to run; default all), --data DIR (the generated
# CSVs; default target/data/tools, or a temporary folder with --smoke).
# Each tool first runs once untimed with its output counted (the check: exit status 0 and the
# expected rows), then N timed rounds, every part in turn, output to /dev/null. Exit status:
# 0 when every run exited 0 and every check passed, 1 otherwise, 2 on a usage error; never
# because of a figure (the machine is shared and noisy: targets are read in the report).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

rounds=3
smoke=0
parts="compile rate lookup diff lcr"
data=""
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --smoke) smoke=1; shift ;;
    --only) parts=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    *) echo "run.sh: unknown option $1 (see the head of this script)" >&2; exit 2 ;;
  esac
done
if ! [[ "$rounds" =~ ^[1-9]$ ]]; then
  echo "run.sh: --rounds must be 1 to 9" >&2; exit 2
fi
for part in $parts; do
  case $part in compile | rate | lookup | diff | lcr) ;; *) echo "run.sh: unknown part $part (compile rate lookup diff lcr)" >&2; exit 2 ;; esac
done
has() { [[ " $parts " == *" $1 "* ]]; }

/usr/bin/time -f '%e %M' -o /dev/null true 2>/dev/null || {
  echo "run.sh: GNU time is missing at /usr/bin/time (Debian/Ubuntu: apt-get install -y time)" >&2; exit 1; }
cargo build --release --quiet -p ratel-tools
bin=$root/target/release
for tool in tariff-diff tariff-lcr; do
  part=${tool#tariff-}
  if has "$part" && [ ! -x "$bin/$tool" ]; then
    echo "run.sh: $tool is not in this checkout; run with --only \"${parts/$part/}\"" >&2; exit 1
  fi
done

# --- Data -------------------------------------------------------------------------------
suppliers=5
if [ "$smoke" = 1 ]; then
  rounds=1
  rows=20000; cdrs=60000; numbers=20000
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  data=${data:-$work/data}
  report=$root/target/tools/report-smoke.md
else
  rows=1000000; cdrs=3000000; numbers=1000000
  work=$root/target/tools
  data=${data:-$root/target/data/tools}
  report=$work/report.md
fi
mkdir -p "$work" "$data" "$(dirname "$report")"
: > "$report"
out() { echo "$@" | tee -a "$report"; }
supplier_names=(); supplier_files=()
for k in $(seq "$suppliers"); do supplier_names+=("supplier_$k"); supplier_files+=("$data/supplier_$k.csv"); done

gen_args=(--rows "$rows" --cdrs "$cdrs" --asterisk --numbers "$numbers" --suppliers "$suppliers" --next --users 10 --cards 10)
# The data is kept between runs while the arguments and the generator's last commit stay.
stamp="${gen_args[*]} ratel_gen@$(git log -1 --format=%h -- tools/src/ratel_gen 2>/dev/null || echo unknown)"
if [ "$(cat "$data/.complete" 2>/dev/null)" != "$stamp" ]; then
  echo "== generating into $data: ratel-gen ${gen_args[*]} =="
  rm -f "$data/.complete"
  "$bin/ratel-gen" -o "$data" "${gen_args[@]}"
  # A third of the CDRs, to show that peak memory does not grow with the input.
  head -n $((cdrs / 3 + 1)) "$data/cdrs.csv" > "$data/cdrs_third.csv"
  echo "$stamp" > "$data/.complete"
fi
# The numbers five times over, as dialled (plain) and with the international prefix 00:
# tariff-lookup without and with the dialled-number rules on the same destinations.
if [ ! -s "$data/numbers_x5_00.txt" ] || [ "$data/numbers.txt" -nt "$data/numbers_x5_00.txt" ]; then
  for _ in 1 2 3 4 5; do cat "$data/numbers.txt"; done > "$data/numbers_x5.txt"
  sed 's/^/00/' "$data/numbers_x5.txt" > "$data/numbers_x5_00.txt"
fi
third=$((cdrs / 3))

# --- Helpers ----------------------------------------------------------------------------
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# per A B: A / B as a whole number with thousands separators ("n/a" when B is 0).
per() { awk -v a="$1" -v b="$2" 'BEGIN { if (b <= 0) { print "n/a"; exit } x = sprintf("%.0f", a / b); s = ""; while (length(x) > 3) { s = "," substr(x, length(x) - 2) s; x = substr(x, 1, length(x) - 3) } print x s }'; }
mb() { awk -v kb="$1" 'BEGIN { printf (kb < 10240 ? "%.1f" : "%.0f"), kb / 1024 }'; }
failures=0
fail() { out "FAIL: $*"; failures=$((failures + 1)); }
# shown CMD...: the command as the report prints it, paths relative to the repository.
shown() { local text="$*"; text=${text//$bin\//}; text=${text//$work\//}; text=${text//$data\//}; text=${text//$root\//}; echo "$text"; }

# timed LABEL INPUT CMD...: runs CMD under GNU time, stdin from INPUT, stdout to /dev/null;
# adds its wall seconds and peak RSS (kB) to the label's lists. A non-zero exit fails the run.
declare -A secs rss cmds
timed() {
  local label=$1 input=$2 s m
  shift 2
  cmds[$label]="$(shown "$@")$([ "$input" = /dev/null ] || echo " < $(shown "$input")") > /dev/null"
  if ! /usr/bin/time -f '%e %M' -o "$work/time.txt" "$@" < "$input" > /dev/null 2> "$work/stderr.txt"; then
    fail "$label exited $(head -1 "$work/time.txt"): $(head -3 "$work/stderr.txt")"
    return 0
  fi
  read -r s m < <(tail -1 "$work/time.txt")
  secs[$label]+="$s "; rss[$label]+="$m "
}

# checked LABEL INPUT MIN_LINES CMD...: the untimed check run: exit 0 and at least MIN_LINES
# lines of output (header included); sets lines and keeps stderr in $work/LABEL.stderr.
checked() {
  local label=$1 input=$2 min=$3
  shift 3
  if ! lines=$("$@" < "$input" 2> "$work/$label.stderr" | wc -l); then
    fail "$label (check run) failed: $(head -3 "$work/$label.stderr")"; lines=0; return 0
  fi
  [ "$lines" -ge "$min" ] || fail "$label (check run) wrote $lines lines, expected at least $min"
}

# --- Artifacts and check runs -------------------------------------------------------------
sell=$work/sell.ratel next=$work/next.ratel all=$work/all.ratel
compile_sell=("$bin/tariff-compile" -o "$sell" "wholesale=$data/wholesale.csv")
compile_next=("$bin/tariff-compile" -o "$next" "wholesale=$data/wholesale_next.csv")
compile_all=("$bin/tariff-compile" -o "$all" "wholesale=$data/wholesale.csv")
for k in $(seq "$suppliers"); do compile_all+=("supplier_$k=$data/supplier_$k.csv"); done
# compiled CMD...: one untimed compile that must succeed (the artifacts every part reads).
compiled() { "$@" > /dev/null || { echo "run.sh: $(shown "$@") failed" >&2; exit 1; }; }
compiled "${compile_sell[@]}"
compiled "${compile_next[@]}"
compiled "${compile_all[@]}"
rate=("$bin/tariff-rate" -a "$sell" -t wholesale)
lookup=("$bin/tariff-lookup" -a "$sell" -t wholesale)
# The rules a carrier dialling abroad with 00 or 011 runs (on plain numbers: every number is
# checked against them and none changes, so input and output are the same bytes as without).
lookup_rules=("${lookup[@]}" --international-prefix 00 --international-prefix 011 --min-digits 5)
# The same calls as Asterisk writes them (Master.csv: quoted, no header, local time, 00).
rate_asterisk=("$bin/tariff-rate" -a "$sell" -t wholesale --cdr-format asterisk --timezone Europe/Vilnius --international-prefix 00)
diff=("$bin/tariff-diff" "$sell" "$next" -t wholesale --at 2026-12-15 --notice-days 7 --received 2026-11-26)
supplier_args=(); for name in "${supplier_names[@]}"; do supplier_args+=(--supplier "$name"); done
lcr=("$bin/tariff-lcr" -a "$all" --sell wholesale "${supplier_args[@]}")

sell_prefixes=$(cut -d, -f1 "$data/wholesale.csv" | tail -n +2 | sort -u | wc -l)
if has rate; then
  checked rate "$data/cdrs.csv" $((cdrs + 1)) "${rate[@]}"
  [ "$lines" -eq $((cdrs + 1)) ] || fail "tariff-rate wrote $lines lines for $cdrs CDRs and a header"
  # Its summary (stderr's last line) counts every CDR as a row.
  grep -q "^tariff-rate: $cdrs rows: " "$work/rate.stderr" ||
    fail "tariff-rate's summary does not count $cdrs rows: $(tail -1 "$work/rate.stderr")"
  checked rate_third "$data/cdrs_third.csv" $((third + 1)) "${rate[@]}"
  checked rate_asterisk "$data/Master.csv" "$cdrs" "${rate_asterisk[@]}"
  [ "$lines" -eq "$cdrs" ] || fail "tariff-rate --cdr-format asterisk wrote $lines lines for $cdrs CDRs"
  grep -q "^tariff-rate: $cdrs rows: .* not answered, 0 bad$" "$work/rate_asterisk.stderr" ||
    fail "tariff-rate's Asterisk summary does not count $cdrs rows: $(tail -1 "$work/rate_asterisk.stderr")"
fi
if has lookup; then
  checked lookup "$data/numbers_x5.txt" $((5 * numbers + 1)) "${lookup[@]}"
  checked lookup_rules "$data/numbers_x5.txt" $((5 * numbers + 1)) "${lookup_rules[@]}"
  checked lookup_00 "$data/numbers_x5_00.txt" $((5 * numbers + 1)) "${lookup_rules[@]}"
  # The same output for numbers that start with a country code (the generator's misses start
  # with 0, and some with 00 or 011, which the rules do strip), and the same rates for the
  # numbers dialled with 00.
  cmp -s <(grep -v '^0' "$data/numbers.txt" | "${lookup[@]}") <(grep -v '^0' "$data/numbers.txt" | "${lookup_rules[@]}") ||
    fail "tariff-lookup's rules changed the answer for numbers with a country code"
  cmp -s <("${lookup[@]}" < "$data/numbers.txt" | cut -d, -f2-) <("${lookup_rules[@]}" < <(sed 's/^/00/' "$data/numbers.txt") | cut -d, -f2-) ||
    fail "tariff-lookup gives other rates for the numbers dialled with 00 under the rules"
fi
if has diff; then
  # Every prefix of either deck has a row; the old deck's distinct prefixes are a floor.
  checked diff /dev/null $((sell_prefixes + 1)) "${diff[@]}"
  diff_rows=$((lines - 1))
fi
if has lcr; then
  # Nearly every sell prefix has at least one supplier (each supplier holds 87-93% of them).
  checked lcr_prefixes /dev/null "$sell_prefixes" "${lcr[@]}" --prefixes
  lcr_rows=$((lines - 1))
  checked lcr_numbers "$data/numbers.txt" "$numbers" "${lcr[@]}"
  lcr_number_rows=$((lines - 1))
fi

# --- Rounds -----------------------------------------------------------------------------
for round in $(seq "$rounds"); do
  echo "== round $round of $rounds =="
  if has compile; then
    timed compile_sell /dev/null "${compile_sell[@]}"
    timed compile_next /dev/null "${compile_next[@]}"
    timed compile_all /dev/null "${compile_all[@]}"
  fi
  if has rate; then
    timed rate "$data/cdrs.csv" "${rate[@]}"
    timed rate_third "$data/cdrs_third.csv" "${rate[@]}"
    timed rate_asterisk "$data/Master.csv" "${rate_asterisk[@]}"
  fi
  if has lookup; then
    # Alternating which goes first, so that a drift of the machine favours neither.
    if [ $((round % 2)) = 1 ]; then
      timed lookup "$data/numbers_x5.txt" "${lookup[@]}"
      timed lookup_rules "$data/numbers_x5.txt" "${lookup_rules[@]}"
    else
      timed lookup_rules "$data/numbers_x5.txt" "${lookup_rules[@]}"
      timed lookup "$data/numbers_x5.txt" "${lookup[@]}"
    fi
    timed lookup_00 "$data/numbers_x5_00.txt" "${lookup_rules[@]}"
  fi
  if has diff; then
    timed diff /dev/null "${diff[@]}"
  fi
  if has lcr; then
    timed lcr_prefixes /dev/null "${lcr[@]}" --prefixes
    timed lcr_numbers "$data/numbers.txt" "${lcr[@]}"
  fi
done

# --- Report -----------------------------------------------------------------------------
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
out ""
out "Ratel carrier's tools, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $commit, $(nproc) cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)), load average at the end $(cut -d' ' -f1-3 /proc/loadavg)$([ "$smoke" = 1 ] && echo ", SMOKE (tiny data: targets not applicable)")"
out ""
out "Data (\`ratel-gen ${gen_args[*]}\`): wholesale.csv $rows rows ($sell_prefixes distinct prefixes), $(for f in "${supplier_files[@]}" "$data/wholesale_next.csv"; do printf '%s %s rows, ' "$(basename "$f")" $(($(wc -l < "$f") - 1)); done)cdrs.csv $cdrs CDRs, numbers.txt $numbers numbers."
out "Artifacts: $(for a in "$sell" "$next" "$all"; do printf '%s %s MB; ' "$(basename "$a")" "$(mb $(($(stat -c %s "$a") / 1024)))"; done | sed 's/; $/./')"
out ""
out "$rounds round(s); medians of wall time and peak RSS (GNU time \`%e %M\`); every round's seconds in the last column."
out ""
out "| run | median s | peak RSS MB | figure | target | rounds (s) |"
out "|---|---:|---:|---|---|---|"
# verdict VALUE TARGET min|max: whether the median meets the target (not judged in a smoke run).
verdict() {
  if [ "$smoke" = 1 ]; then echo "n/a (smoke)"; return; fi
  awk -v v="$1" -v t="$2" -v up="$3" 'BEGIN { print ((up == "min" ? v >= t : v <= t) ? "met" : "MISSED") }'
}
row() {  # row LABEL NAME FIGURE TARGET
  local label=$1
  [ -n "${secs[$label]:-}" ] || return 0
  # shellcheck disable=SC2086
  out "| $2 | $(median ${secs[$label]}) | $(mb "$(median ${rss[$label]})") | $3 | $4 | ${secs[$label]% } |"
}
# m LABEL: the label's median seconds (0 when it never ran).
# shellcheck disable=SC2086
m() { if [ -n "${secs[$1]:-}" ]; then median ${secs[$1]}; else echo 0; fi; }
if has compile; then
  row compile_sell "tariff-compile, sell deck ($rows rows)" "$(per "$rows" "$(m compile_sell)") rows/s" "reported (CGRateS: 45-90 min for a 170k-destination plan)"
  row compile_next "tariff-compile, next deck" "$(per "$(($(wc -l < "$data/wholesale_next.csv") - 1))" "$(m compile_next)") rows/s" "reported"
  all_rows=$(($(cat "$data/wholesale.csv" "${supplier_files[@]}" | wc -l) - 1 - suppliers))
  row compile_all "tariff-compile, sell + $suppliers suppliers ($all_rows rows)" "$(per "$all_rows" "$(m compile_all)") rows/s" "reported"
fi
if has rate; then
  rate_s=$(m rate); rate_per_s=$(awk -v n="$cdrs" -v s="$rate_s" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print 0 }')
  row rate "tariff-rate, $cdrs CDRs" "$(per "$cdrs" "$rate_s") CDRs/s, $(per "$rate_per_s" 10000)x Asterisell (10,000/s)" "≥ 3,000,000 CDRs/s (≥ 300x): $(verdict "$rate_per_s" 3000000 min)"
  # shellcheck disable=SC2086
  asterisk_s=$(m rate_asterisk); asterisk_per_s=$(awk -v n="$cdrs" -v s="$asterisk_s" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print 0 }')
  row rate_asterisk "tariff-rate --cdr-format asterisk, the same $cdrs CDRs as Master.csv ($(mb $(($(stat -c %s "$data/Master.csv") / 1024))) MB), --timezone Europe/Vilnius" "$(per "$cdrs" "$asterisk_s") CDRs/s" "≥ 3,000,000 CDRs/s: $(verdict "$asterisk_per_s" 3000000 min)"
  row rate_third "tariff-rate, $third CDRs (a third)" "$(per "$third" "$(m rate_third)") CDRs/s; peak RSS $(awk -v a="$(median ${rss[rate_third]:-0})" -v b="$(median ${rss[rate]:-0})" 'BEGIN { if (b > 0) printf "%.0f%%", 100 * a / b; else print "n/a" }') of the full run's" "memory flat in the input size"
fi
if has lookup; then
  row lookup "tariff-lookup, $((5 * numbers)) numbers, no rules" "$(per $((5 * numbers)) "$(m lookup)") numbers/s" "the anchor"
  cost=$(awk -v a="$(m lookup)" -v b="$(m lookup_rules)" 'BEGIN { if (a > 0) printf "%.1f", 100 * (b - a) / a; else print "n/a" }')
  row lookup_rules "tariff-lookup, the same numbers, rules on (00, 011, at least 5 digits)" "$(per $((5 * numbers)) "$(m lookup_rules)") numbers/s; normalisation costs ${cost}% of the time" "≤ 5%: $(verdict "$cost" 5 max)"
  # Instructions (callgrind, one thread, the first 200,000 numbers with a country code): a
  # count the machine's noise does not move.
  if command -v valgrind > /dev/null; then
    awk '!/^0/ { print; if (++n == 200000) exit }' "$data/numbers.txt" > "$work/numbers_200k.txt"
    counted() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" --threads 1 < "$work/numbers_200k.txt" 2>&1 > /dev/null | sed -n 's/.*Collected : //p'; }
    plain_ir=$(counted "${lookup[@]}"); rules_ir=$(counted "${lookup_rules[@]}")
    counted_numbers=$(wc -l < "$work/numbers_200k.txt")
    out "| tariff-lookup under callgrind, $counted_numbers numbers, one thread | | | $(per "$plain_ir" "$counted_numbers") instructions a number without rules, $(per "$rules_ir" "$counted_numbers") with: normalisation costs $(awk -v a="$plain_ir" -v b="$rules_ir" 'BEGIN { printf "%.1f", 100 * (b - a) / a }')% | ≤ 5%: $(verdict "$(awk -v a="$plain_ir" -v b="$rules_ir" 'BEGIN { printf "%.1f", 100 * (b - a) / a }')" 5 max) | |"
  fi
  row lookup_00 "tariff-lookup, the numbers dialled with 00 (2 bytes more each, in and out), rules on" "$(per $((5 * numbers)) "$(m lookup_00)") numbers/s" "reported"
fi
if has diff; then
  row diff "tariff-diff, sell vs next ($diff_rows rows out)" "$(per "$diff_rows" "$(m diff)") rows/s" "≤ 2 s: $(verdict "$(m diff)" 2 max)"
fi
if has lcr; then
  row lcr_prefixes "tariff-lcr --prefixes, sell + $suppliers suppliers ($lcr_rows rows out)" "$(per "$lcr_rows" "$(m lcr_prefixes)") rows/s" "≤ 5 s: $(verdict "$(m lcr_prefixes)" 5 max)"
  row lcr_numbers "tariff-lcr, $numbers numbers ($lcr_number_rows rows out)" "$(per "$numbers" "$(m lcr_numbers)") numbers/s" "reported"
fi
out ""
out "Commands (in $(shown "$work")/, data in $(shown "$data")/; tools in target/release/):"
for label in compile_sell compile_next compile_all rate rate_third rate_asterisk lookup lookup_rules lookup_00 diff lcr_prefixes lcr_numbers; do
  [ -z "${cmds[$label]:-}" ] || out "- $label: \`${cmds[$label]}\`"
done
if has diff && [ -s "$work/diff.stderr" ]; then
  out ""
  out "tariff-diff's summary (stderr of the check run): $(tr '\n' ' ' < "$work/diff.stderr")"
fi
# The other tools' summaries (the last line of each check run's stderr).
out ""
out "The other summaries (the last line of each check run's stderr):"
for label in rate rate_asterisk lcr_prefixes lcr_numbers; do
  if [ -s "$work/$label.stderr" ]; then out "- $label: $(tail -1 "$work/$label.stderr")"; fi
done
out ""
out "Failures: $failures"
echo "report: $report"
[ "$failures" -eq 0 ]
