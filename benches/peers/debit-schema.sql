-- The anchor's tables: what an application keeping balances in PostgreSQL would have (an
-- account row with its balance, an entry a debit with a unique reference). Used by
-- benches/ledger/run.sh and benches/cluster/run.sh, run with pgbench's debit.sql.
CREATE TABLE accounts (id int PRIMARY KEY, balance numeric NOT NULL);
INSERT INTO accounts SELECT g, 100 FROM generate_series(1, 100000) AS g;
CREATE TABLE entries (
  seq bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  account int NOT NULL,
  amount numeric NOT NULL,
  kind text NOT NULL,
  reference text NOT NULL,
  balance numeric NOT NULL
);
CREATE UNIQUE INDEX entries_reference ON entries (reference);
VACUUM ANALYZE;
