#!/usr/bin/env bash
# The peer a carrier would use instead: a PostgreSQL prefix table, on the same generated deck,
# measured next to Ratel in one run. Not part of CI.
#
#   bash benches/peers/postgres.sh [ROWS] [SECONDS]     (defaults: 1000000 rows, 20 s per pgbench run)
#
# PostgreSQL runs as a throwaway cluster listening on a Unix socket only (no TCP), and is
# stopped at the end. Two forms of the usual longest-prefix query are measured with pgbench
# (prepared statements, 2 clients, a random number of the list per transaction):
#   btree:  an index on prefix, WHERE prefix IN (every prefix of the number)
#   gist:   the prefix extension's prefix_range with a GiST index, WHERE pr @> number
# Both honour effective_from like Ratel: the newest row not after now, undated rows last.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS=${1:-1000000}
SECONDS_PER_RUN=${2:-20}
PGBIN=/usr/lib/postgresql/15/bin

if [ ! -x "$PGBIN/initdb" ] || [ ! -f /usr/share/postgresql/15/extension/prefix.control ] || ! command -v bc >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql postgresql-15-prefix bc >/dev/null
fi

cargo build --release --quiet -p ratel-tools
DATA=target/data/peer-$ROWS
mkdir -p "$DATA"
target/release/ratel-gen -o "$DATA" --rows "$ROWS" --numbers 1000000 --users 10 --cards 10 >/dev/null

# Ratel: load (compile) time and mass lookup throughput on the same numbers.
start=$(date +%s.%N)
target/release/tariff-compile -o "$DATA/deck.ratel" "$DATA/wholesale.csv" >/dev/null
ratel_load=$(echo "$(date +%s.%N) - $start" | bc)
start=$(date +%s.%N)
target/release/tariff-lookup -a "$DATA/deck.ratel" -t wholesale < "$DATA/numbers.txt" >/dev/null
ratel_lookup_s=$(echo "$(date +%s.%N) - $start" | bc)
ratel_rate=$(echo "1000000 / $ratel_lookup_s" | bc)

# Ratel rate_get over HTTP: ratel-server on the same deck, wrk cycling through the same
# numbers (by_full_dst=1), with 64 connections as in benches/load and with 2 like pgbench.
cargo build --release --quiet -p ratel-server
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
target/release/ratel-load requests --data "$DATA" --deck wholesale="$DATA/wholesale.csv" --secret peer \
  --count 200000 -o "$DATA/requests" >/dev/null
cat > "$DATA/ratel.toml" <<TOML
listen = "127.0.0.1:0"
admin_listen = "127.0.0.1:0"
[data]
artifact = "deck.ratel"
users = "users.csv"
cards = "cards.csv"
card_groups = "card_groups.csv"
currencies = "currencies.csv"
[api]
secret_key = "peer"
TOML
target/release/ratel-server --config "$DATA/ratel.toml" 2> "$DATA/server.log" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q "listening on" "$DATA/server.log" && break; sleep 0.1; done
api=$(sed -n 's|.*listening on http://\([^/]*\)/.*|\1|p' "$DATA/server.log")
http_load=$(sed -n 's/.*loaded in \([0-9.]*\) s.*/\1/p' "$DATA/server.log")
http_rps() { wrk -t2 -c"$1" -d"${SECONDS_PER_RUN}"s -s benches/load/paths.lua "http://$api" -- "$DATA/requests/rate_get_full.txt" \
  | sed -n 's/.* rps=\([0-9]*\).*/\1/p'; }
http64=$(http_rps 64)
http2=$(http_rps 2)
kill "$server"

# PostgreSQL: a private cluster owned by the postgres user, socket only.
PGDIR=$(mktemp -d /tmp/ratel-pg.XXXXXX)
chown postgres "$PGDIR"
cp "$DATA/wholesale.csv" "$DATA/numbers.txt" "$PGDIR/" && chown postgres "$PGDIR"/*
as_pg() { runuser -u postgres -- "$@"; }
cleanup() { as_pg "$PGBIN/pg_ctl" -D "$PGDIR/db" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$PGDIR"; }
trap cleanup EXIT
as_pg "$PGBIN/initdb" -D "$PGDIR/db" -A trust >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$PGDIR/db" -l "$PGDIR/log" -w \
  -o "-c listen_addresses='' -c unix_socket_directories='$PGDIR' -c shared_buffers=512MB -c fsync=off" start >/dev/null
psql_() { as_pg psql -h "$PGDIR" -d postgres -v ON_ERROR_STOP=1 -q "$@"; }

start=$(date +%s.%N)
psql_ <<SQL
CREATE TABLE rates (prefix text NOT NULL, destination text, rate numeric NOT NULL,
  connection_fee numeric, increment_s int, min_time_s int, effective_from timestamp);
\copy rates FROM '$PGDIR/wholesale.csv' CSV HEADER
CREATE INDEX rates_prefix ON rates (prefix);
ANALYZE rates;
SQL
btree_load=$(echo "$(date +%s.%N) - $start" | bc)
start=$(date +%s.%N)
psql_ <<SQL
CREATE EXTENSION prefix;
ALTER TABLE rates ADD COLUMN pr prefix_range;
UPDATE rates SET pr = prefix::prefix_range;
CREATE INDEX rates_pr ON rates USING gist (pr);
ANALYZE rates;
SQL
gist_load=$(echo "$(date +%s.%N) - $start" | bc)
psql_ <<SQL
CREATE TABLE numbers (id serial PRIMARY KEY, n text NOT NULL);
\copy numbers (n) FROM '$PGDIR/numbers.txt'
ANALYZE numbers;
SQL

# Both sides must give the same answers before their speeds mean anything.
psql_ <<SQL
\copy (SELECT n.n, best.prefix, best.destination FROM numbers n LEFT JOIN LATERAL (SELECT prefix, destination FROM rates WHERE prefix IN (SELECT left(n.n, k) FROM generate_series(1, length(n.n)) AS k) AND (effective_from IS NULL OR effective_from <= now()) ORDER BY length(prefix) DESC, effective_from DESC NULLS LAST LIMIT 1) best ON true WHERE n.id <= 2000 ORDER BY n.id) TO '$PGDIR/pg_answers.csv' CSV
SQL
head -2000 "$DATA/numbers.txt" | target/release/tariff-lookup -a "$DATA/deck.ratel" -t wholesale \
  | tail -n +2 | cut -d, -f1-3 > "$PGDIR/ratel_answers.csv"
if cmp -s "$PGDIR/pg_answers.csv" "$PGDIR/ratel_answers.csv"; then
  agreement="answers agree on the first 2000 numbers (prefix and destination)"
else
  agreement="ANSWERS DIFFER: $(diff "$PGDIR/pg_answers.csv" "$PGDIR/ratel_answers.csv" | grep -c '^<') of 2000 numbers"
fi

cat > "$PGDIR/btree.sql" <<'SQL'
\set i random(1, 1000000)
SELECT prefix, rate, destination FROM rates
WHERE prefix IN (SELECT left(n, k) FROM numbers, generate_series(1, length(n)) AS k WHERE id = :i)
  AND (effective_from IS NULL OR effective_from <= now())
ORDER BY length(prefix) DESC, effective_from DESC NULLS LAST LIMIT 1;
SQL
cat > "$PGDIR/gist.sql" <<'SQL'
\set i random(1, 1000000)
SELECT prefix, rate, destination FROM rates
WHERE pr @> (SELECT n FROM numbers WHERE id = :i)
  AND (effective_from IS NULL OR effective_from <= now())
ORDER BY length(prefix) DESC, effective_from DESC NULLS LAST LIMIT 1;
SQL
chown postgres "$PGDIR"/*.sql
tps() { as_pg pgbench -h "$PGDIR" -n -M prepared -c 2 -j 2 -T "$SECONDS_PER_RUN" -f "$PGDIR/$1.sql" postgres 2>/dev/null \
  | awk '/^tps/ {printf "%d", $3}'; }
btree_tps=$(tps btree)
gist_tps=$(tps gist)

printf '\n%-44s %14s %14s\n' "$ROWS-row deck, 1M numbers, 2 cores" "lookups/s" "load (s)"
printf '%-44s %14s %14.2f\n' "Ratel tariff-lookup (both cores)" "$ratel_rate" "$ratel_load"
printf '%-44s %14s %14.2f\n' "Ratel rate_get over HTTP, wrk 64 connections" "$http64" "$http_load"
printf '%-44s %14s %14.2f\n' "Ratel rate_get over HTTP, wrk 2 connections" "$http2" "$http_load"
printf '%-44s %14s %14.2f\n' "PostgreSQL btree, prefix IN (...), pgbench" "$btree_tps" "$btree_load"
printf '%-44s %14s %14.2f\n' "PostgreSQL prefix GiST, pr @> n, pgbench" "$gist_tps" "$gist_load"
echo "(Ratel load: tariff-compile for tariff-lookup, the server's startup for rate_get; PostgreSQL load = COPY + index + ANALYZE; the GiST load adds the column and its index to the btree table.)"
echo "$agreement"
