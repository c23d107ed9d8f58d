-- Ratel's ledger in PostgreSQL (docs/ledger.md, "PostgreSQL"). Created by the first server
-- that opens an empty database; every statement may run again.

CREATE TABLE IF NOT EXISTS ratel_meta (
    key text PRIMARY KEY,
    value text NOT NULL
);

-- Entries are numbered from one sequence, commits from another. Neither is a row every commit
-- updates: the servers' commits run side by side, and none waits for another's WAL flush.
CREATE SEQUENCE IF NOT EXISTS ratel_entry_seq;
CREATE SEQUENCE IF NOT EXISTS ratel_commit_seq;

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
    prefix text,
    -- The transaction that wrote it (its 64-bit id, which never wraps around): other servers
    -- read the entries of transactions they have not seen by this.
    xid bigint NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS entries_call_id
    ON entries (reference) WHERE kind = 'call' AND reference <> '';
CREATE UNIQUE INDEX IF NOT EXISTS entries_adjustment_reference
    ON entries (account, reference) WHERE kind = 'adjustment' AND reference <> '';
CREATE UNIQUE INDEX IF NOT EXISTS entries_one_opening
    ON entries (account) WHERE kind = 'opening';
-- The entries other servers have not read yet. (A block-range index would be smaller, but
-- it scans every page written since the last VACUUM summarised them: on a busy ledger, the
-- whole tail, many times a second.)
CREATE INDEX IF NOT EXISTS entries_xid ON entries (xid);

-- Each account's balance now; the commit that last changed it or its sessions (`version`,
-- what a server's guard compares), and that commit's transaction (`xid`, what other servers
-- read changes by).
CREATE TABLE IF NOT EXISTS accounts (
    account text PRIMARY KEY,
    opening numeric NOT NULL,
    balance numeric NOT NULL,
    version bigint NOT NULL,
    xid bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS accounts_xid ON accounts (xid);

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

-- The answer of each commit, by the token its server gave: a server that lost its connection
-- while a commit was on its way reads here whether it was made (kept a day).
CREATE TABLE IF NOT EXISTS ratel_commits (
    token text PRIMARY KEY,
    answer bigint[] NOT NULL,
    at timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
);

CREATE OR REPLACE FUNCTION ratel_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger entries are append-only';
END $$;
DROP TRIGGER IF EXISTS entries_are_never_changed ON entries;
CREATE TRIGGER entries_are_never_changed BEFORE UPDATE OR DELETE ON entries
    FOR EACH ROW EXECUTE FUNCTION ratel_append_only();
DROP TRIGGER IF EXISTS entries_are_never_truncated ON entries;
CREATE TRIGGER entries_are_never_truncated BEFORE TRUNCATE ON entries
    FOR EACH STATEMENT EXECUTE FUNCTION ratel_append_only();

-- An account changed by anything but ratel_commit (an operator's UPDATE in psql) gets a new
-- version and the writing transaction's id, so every server reads the change and takes it in
-- instead of overwriting it or refusing every commit of that account. ratel_commit sets
-- both itself: the condition is false for it, and the function is never called.
CREATE OR REPLACE FUNCTION ratel_account_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.version := nextval('ratel_commit_seq');
    NEW.xid := pg_current_xact_id()::text::bigint;
    RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS accounts_changed_by_hand ON accounts;
CREATE TRIGGER accounts_changed_by_hand BEFORE UPDATE ON accounts
    FOR EACH ROW WHEN (NEW.version = OLD.version OR NEW.xid = OLD.xid)
    EXECUTE FUNCTION ratel_account_changed();

-- One commit of one server, in one statement: checks that no account it touches changed
-- since the server last read it (the version it read, or absent for an account it opens),
-- writes the balances, the entries and the sessions. Returns the commit's number, then the
-- entries' sequence numbers. A changed account raises serialization_failure (40001), a key
-- another server used unique_violation (23505): the server reads what changed and works the
-- batch out again. The row locks are those of the accounts touched, held while this
-- statement and its commit run, never across a round trip; commits of different accounts
-- never wait for each other. (No NOTIFY here: PostgreSQL serialises the commits of
-- notifying transactions; the server notifies after its commit, in a statement of its own.)
CREATE OR REPLACE FUNCTION ratel_commit(token text, guards jsonb, new_entries jsonb, puts jsonb,
                                        closed jsonb)
RETURNS bigint[] LANGUAGE plpgsql AS $$
DECLARE
    commit_no bigint := nextval('ratel_commit_seq');
    writer bigint := pg_current_xact_id()::text::bigint;
    seqs bigint[];
    opened bigint;
    touched bigint;
BEGIN
    SELECT coalesce(array_agg(nextval('ratel_entry_seq')), '{}') INTO seqs
        FROM generate_series(1, jsonb_array_length(new_entries));
    INSERT INTO accounts (account, opening, balance, version, xid)
        SELECT g.a, g.o::numeric, g.b::numeric, commit_no, writer
        FROM jsonb_to_recordset(guards) AS g(a text, v bigint, o text, b text)
        WHERE g.v IS NULL
        ON CONFLICT (account) DO NOTHING;
    GET DIAGNOSTICS opened = ROW_COUNT;
    -- The guards come sorted by account, and a batch's few rows are updated in that order
    -- (a nested loop over them): two servers lock the accounts they share in one order and
    -- wait for each other instead of deadlocking. (A large batch may be joined otherwise; a
    -- deadlock is then broken by PostgreSQL after deadlock_timeout, and the server that
    -- lost works its batch out again.)
    UPDATE accounts AS x SET balance = coalesce(g.b::numeric, x.balance), version = commit_no,
                             xid = writer
        FROM jsonb_to_recordset(guards) AS g(a text, v bigint, o text, b text)
        WHERE g.v IS NOT NULL AND x.account = g.a AND x.version = g.v;
    GET DIAGNOSTICS touched = ROW_COUNT;
    IF opened + touched <> jsonb_array_length(guards) THEN
        RAISE EXCEPTION 'an account of this commit was changed by another server'
            USING ERRCODE = 'serialization_failure';
    END IF;
    INSERT INTO entries (seq, time, account, amount, kind, reference, balance, description,
                         number, start, billsec, rated_s, prefix, xid)
        SELECT seqs[e.i + 1], e.t::timestamp, e.a, e.m::numeric, e.k, e.r, e.b::numeric, e.d,
               e.n, e.s::timestamp, e.bs, e.rs, e.p, writer
        FROM jsonb_to_recordset(new_entries) AS e(i int, t text, a text, m text, k text,
             r text, b text, d text, n text, s text, bs bigint, rs bigint, p text);
    -- A session is closed and extended only for its own payer (the one this server guarded).
    -- (A session opened and closed in this batch is not in the table: nothing to delete.)
    IF EXISTS (SELECT 1 FROM sessions AS x
               JOIN jsonb_to_recordset(closed) AS c(id text, account text)
                 ON x.id = c.id AND x.account <> c.account) THEN
        RAISE EXCEPTION 'a session of this commit is open for another payer'
            USING ERRCODE = 'serialization_failure';
    END IF;
    DELETE FROM sessions AS x
        USING jsonb_to_recordset(closed) AS c(id text, account text)
        WHERE x.id = c.id AND x.account = c.account;
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
            reserved = EXCLUDED.reserved, expires = EXCLUDED.expires
        WHERE sessions.account = EXCLUDED.account;
    GET DIAGNOSTICS touched = ROW_COUNT;
    IF touched <> jsonb_array_length(puts) THEN
        RAISE EXCEPTION 'a session of this commit is open for another payer'
            USING ERRCODE = 'serialization_failure';
    END IF;
    INSERT INTO ratel_commits (token, answer) VALUES (token, commit_no || seqs);
    IF commit_no % 10000 = 0 THEN
        DELETE FROM ratel_commits WHERE at < (now() AT TIME ZONE 'UTC') - interval '1 day';
    END IF;
    RETURN commit_no || seqs;
END $$;
