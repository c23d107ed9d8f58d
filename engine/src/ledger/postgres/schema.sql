-- Ratel's ledger in PostgreSQL (docs/ledger.md, "PostgreSQL"). Created by the first server
-- that opens an empty database; every statement may run again.

CREATE TABLE IF NOT EXISTS ratel_meta (
    key text PRIMARY KEY,
    value text NOT NULL
);

-- One row: the sequence number the next entry gets, and the number of the last commit.
-- Every commit updates it first, so commits are numbered (and their entries sequenced) in
-- the order they become visible: a server that has read up to commit N has missed nothing
-- before it.
CREATE TABLE IF NOT EXISTS ratel_counter (
    one boolean PRIMARY KEY DEFAULT true CHECK (one),
    next_seq bigint NOT NULL,
    commits bigint NOT NULL
);
INSERT INTO ratel_counter (one, next_seq, commits) VALUES (true, 1, 0) ON CONFLICT DO NOTHING;

CREATE TABLE IF NOT EXISTS entries (
    seq bigint PRIMARY KEY,
    time timestamp NOT NULL,
    account text NOT NULL,
    amount numeric NOT NULL,
    kind text NOT NULL
        CHECK (kind IN ('opening', 'adjustment', 'card_payment', 'call')),
    reference text NOT NULL,
    balance numeric NOT NULL,
    description text NOT NULL,
    number text,
    start timestamp,
    billsec bigint,
    rated_s bigint,
    prefix text
);
CREATE UNIQUE INDEX IF NOT EXISTS entries_call_id
    ON entries (reference) WHERE kind = 'call' AND reference <> '';
CREATE UNIQUE INDEX IF NOT EXISTS entries_adjustment_reference
    ON entries (account, reference) WHERE kind = 'adjustment' AND reference <> '';
CREATE UNIQUE INDEX IF NOT EXISTS entries_one_opening
    ON entries (account) WHERE kind = 'opening';

-- Each account's balance now, and the commit that last changed it or its sessions.
CREATE TABLE IF NOT EXISTS accounts (
    account text PRIMARY KEY,
    opening numeric NOT NULL,
    balance numeric NOT NULL,
    version bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS accounts_version ON accounts (version);

CREATE TABLE IF NOT EXISTS sessions (
    id text PRIMARY KEY,
    account text NOT NULL,
    number text NOT NULL,
    start timestamp NOT NULL,
    prefix text NOT NULL,
    destination text NOT NULL,
    currency text NOT NULL,
    rate numeric NOT NULL,
    connection_fee numeric NOT NULL,
    increment_s bigint NOT NULL,
    min_time_s bigint NOT NULL,
    first_interval_s bigint NOT NULL,
    exchange_rate numeric NOT NULL,
    credit_limit numeric,
    used_s bigint NOT NULL,
    granted_s bigint NOT NULL,
    final boolean NOT NULL,
    reserved numeric NOT NULL,
    expires timestamp NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_account ON sessions (account);

CREATE OR REPLACE FUNCTION ratel_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger entries are append-only';
END $$;
DROP TRIGGER IF EXISTS entries_are_never_changed ON entries;
CREATE TRIGGER entries_are_never_changed BEFORE UPDATE OR DELETE ON entries
    FOR EACH ROW EXECUTE FUNCTION ratel_append_only();

-- One commit of one server, in one statement: numbers it, checks that no account it touches
-- changed since the server last read it (the version it read, or absent for an account it
-- opens), writes the balances, the entries and the sessions, and tells the other servers.
-- Returns the first entry's sequence number and the commit's number. A changed account
-- raises serialization_failure (40001), a key used by another server unique_violation
-- (23505): the server reads what changed and works the batch out again. The row locks are
-- held only while this statement and its commit run, never across a round trip.
CREATE OR REPLACE FUNCTION ratel_commit(guards jsonb, new_entries jsonb, puts jsonb, closed text[])
RETURNS bigint[] LANGUAGE plpgsql AS $$
DECLARE
    n bigint := jsonb_array_length(new_entries);
    first_seq bigint;
    commit_no bigint;
    opened bigint;
    touched bigint;
BEGIN
    UPDATE ratel_counter SET next_seq = next_seq + n, commits = commits + 1
        RETURNING next_seq - n, commits INTO first_seq, commit_no;
    INSERT INTO accounts (account, opening, balance, version)
        SELECT g.a, g.o::numeric, g.b::numeric, commit_no
        FROM jsonb_to_recordset(guards) AS g(a text, v bigint, o text, b text)
        WHERE g.v IS NULL
        ON CONFLICT (account) DO NOTHING;
    GET DIAGNOSTICS opened = ROW_COUNT;
    UPDATE accounts AS x SET balance = coalesce(g.b::numeric, x.balance), version = commit_no
        FROM jsonb_to_recordset(guards) AS g(a text, v bigint, o text, b text)
        WHERE g.v IS NOT NULL AND x.account = g.a AND x.version = g.v;
    GET DIAGNOSTICS touched = ROW_COUNT;
    IF opened + touched <> jsonb_array_length(guards) THEN
        RAISE EXCEPTION 'an account of this commit was changed by another server'
            USING ERRCODE = 'serialization_failure';
    END IF;
    INSERT INTO entries (seq, time, account, amount, kind, reference, balance, description,
                         number, start, billsec, rated_s, prefix)
        SELECT first_seq + e.i, e.t::timestamp, e.a, e.m::numeric, e.k, e.r, e.b::numeric, e.d,
               e.n, e.s::timestamp, e.bs, e.rs, e.p
        FROM jsonb_to_recordset(new_entries) AS e(i bigint, t text, a text, m text, k text,
             r text, b text, d text, n text, s text, bs bigint, rs bigint, p text);
    DELETE FROM sessions WHERE id = ANY(closed);
    INSERT INTO sessions (id, account, number, start, prefix, destination, currency, rate,
                          connection_fee, increment_s, min_time_s, first_interval_s,
                          exchange_rate, credit_limit, used_s, granted_s, final, reserved,
                          expires)
        SELECT p.id, p.account, p.number, p.start::timestamp, p.prefix, p.destination,
               p.currency, p.rate::numeric, p.connection_fee::numeric, p.increment_s,
               p.min_time_s, p.first_interval_s, p.exchange_rate::numeric,
               p.credit_limit::numeric, p.used_s, p.granted_s, p.final, p.reserved::numeric,
               p.expires::timestamp
        FROM jsonb_to_recordset(puts) AS p(id text, account text, number text, start text,
             prefix text, destination text, currency text, rate text, connection_fee text,
             increment_s bigint, min_time_s bigint, first_interval_s bigint,
             exchange_rate text, credit_limit text, used_s bigint, granted_s bigint,
             final boolean, reserved text, expires text)
        ON CONFLICT (id) DO UPDATE SET
            used_s = EXCLUDED.used_s, granted_s = EXCLUDED.granted_s, final = EXCLUDED.final,
            reserved = EXCLUDED.reserved, expires = EXCLUDED.expires;
    PERFORM pg_notify('ratel_ledger', commit_no::text);
    RETURN ARRAY[first_seq, commit_no];
END $$;
