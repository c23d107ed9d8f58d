-- pgbench: one debit a transaction, as an application does it: the UPDATE's RETURNING
-- balance comes back to the client (\gset) and goes into the entry. The reference is unique
-- by construction (run tag, client id, a per-client counter kept across transactions), so no
-- transaction can fail on the UNIQUE index; the amount has 6 decimal places.
-- Run with -D n=0 -D tag=RUN (debit-schema.sql made the tables).
\set aid random(1, 100000)
\set micros random(1, 2000000)
\set n :n + 1
BEGIN;
UPDATE accounts SET balance = balance - :micros::numeric / 1000000 WHERE id = :aid RETURNING balance \gset
INSERT INTO entries (account, amount, kind, reference, balance) VALUES (:aid, -(:micros::numeric / 1000000), 'call', :tag::text || '-' || :client_id || '-' || :n, :balance);
END;
