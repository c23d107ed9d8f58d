# Sourced by benches/ledger/run.sh and benches/cluster/run.sh: the data their load
# generators charge. `prepare_callers BIN DATA WORK`:
# - generates DATA as benches/load does (a 1M-row deck, 100k users, 100k cards, 200k
#   numbers) unless it is there;
# - compiles WORK/tariffs.ratel from its deck (again when the deck is newer);
# - writes WORK/users.txt, the generated plain users (every one is on the `wholesale`
#   tariff), and WORK/numbers.txt, those of the numbers that have a rate in that tariff
#   (about 10% have none), so every charge is a real one: a "rate not found" answer would
#   be cheap and flatter the figures.
prepare_callers() {
  local bin=$1 data=$2 work=$3
  if [ ! -s "$data/.complete" ]; then
    echo "== generating (as benches/load does): 1M-row deck, 100k users, 100k cards, 200k numbers =="
    "$bin/ratel-gen" -o "$data" --rows 1000000 --numbers 200000 --users 100000 --cards 100000
    echo "done" > "$data/.complete"
  fi
  if [ ! -s "$work/tariffs.ratel" ] || [ "$data/wholesale.csv" -nt "$work/tariffs.ratel" ] \
     || [ "$data/.complete" -nt "$work/tariffs.ratel" ]; then
    "$bin/tariff-compile" -o "$work/tariffs.ratel" wholesale="$data/wholesale.csv" >/dev/null
  fi
  awk -F, 'NR > 1 && $3 == "user" { print $2 }' "$data/users.csv" > "$work/users.txt"
  head -50000 "$data/numbers.txt" | "$bin/tariff-lookup" -a "$work/tariffs.ratel" -t wholesale \
    | awk -F, 'NR > 1 && $2 != "" { print $1 }' > "$work/numbers.txt"
  [ -s "$work/users.txt" ] && [ -s "$work/numbers.txt" ] \
    || { echo "no users or no rated numbers in $data" >&2; return 1; }
}
