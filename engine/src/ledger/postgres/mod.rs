//! The PostgreSQL store: the ledger of several servers that share balances (SPEC §12,
//! docs/ledger.md "PostgreSQL").
//!
//! Every commit is one call of the database function `ratel_commit` (`schema.sql`): one
//! round trip, one transaction, durable when it returns (PostgreSQL's default
//! `synchronous_commit`). The committer works a batch out against what this server last read
//! of each account; the function refuses it if another server changed one of those accounts
//! since (each account row carries the number of the commit that last changed it), and the
//! committer then reads what changed ([`Store::changes`]) and works the batch out again. So
//! the database serialises changes to an account across servers, and holds no lock across a
//! round trip.
//!
//! Other servers' commits are learnt from `NOTIFY` (the [`listener`] thread) and read by
//! commit number, so a notification missed while disconnected is caught up on by the next
//! read.

mod error;
mod listener;
mod rows;
mod target;

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use postgres::error::SqlState;
use postgres::Client;
use serde_json::{json, Value};

use error::{say, state};
use listener::Shared;
use rows::{ReadError, ENTRY_COLUMNS, SESSION_COLUMNS};

use super::references::References;
use super::session::SessionWrite;
use super::store::{AppendError, Changes, Entry, Loaded, Store, StoreError};
use super::{Kind, LedgerError, Level, Log, RefKey, Stats};
use crate::accounts::Account;

pub use target::Target;

/// The schema's version, kept in `ratel_meta`.
const SCHEMA_VERSION: &str = "1";

/// The schema: tables, indexes, the append-only trigger and `ratel_commit`.
const SCHEMA: &str = include_str!("schema.sql");

/// Serialises schema creation among servers starting at once (a transaction-scoped
/// advisory lock; any number will do, this one spells "ratel").
const SCHEMA_LOCK: i64 = 0x0072_6174_656c;

/// How often a lost connection is tried again, at most (writes in between fail at once).
const RECONNECT_EVERY: Duration = Duration::from_millis(250);

/// The least time between two reads of other servers' changes when nothing conflicted:
/// under load a server reads them at most this often, well within the second allowed.
const CATCH_UP_EVERY: Duration = Duration::from_millis(20);

/// The ledger in PostgreSQL, as one server sees it.
pub(crate) struct PgStore {
    target: Target,
    client: Option<Client>,
    /// When a lost connection may be tried again.
    retry_at: Instant,
    /// The commit each account was last changed by, as this server last read it.
    versions: HashMap<Account, u64>,
    /// Every commit up to this one has been read (or made) by this server.
    seen_commit: u64,
    /// Entries from this sequence number on may hold keys this server has not read.
    seen_seq: u64,
    last_catch_up: Instant,
    shared: Arc<Shared>,
    listener: Option<std::thread::JoinHandle<()>>,
    stats: Arc<Stats>,
    log: Log,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PgStore({})", self.target)
    }
}

impl PgStore {
    /// Connects to the database `target` names, creates the schema if it has none, checks
    /// its version and currency, and reads what it holds; starts the listener.
    pub(crate) fn open(
        target: Target,
        currency: &str,
        log: Log,
        stats: Arc<Stats>,
        references: &mut References,
    ) -> Result<(PgStore, Loaded), LedgerError> {
        let fail = |message: String| LedgerError::Store {
            path: target.to_string(),
            message,
        };
        let mut client = target.connect().map_err(|e| fail(say(&e)))?;
        create_schema(&mut client, currency).map_err(&fail)?;
        let (loaded, versions, seen_commit, seen_seq) =
            load(&mut client, references).map_err(|e| fail(e.message()))?;
        let shared = Arc::new(Shared::default());
        shared.notified.store(seen_commit, Ordering::Relaxed);
        let listener = listener::start(
            target.clone(),
            Arc::clone(&shared),
            Arc::clone(&stats),
            log.clone(),
        )
        .map_err(|e| fail(format!("cannot start the listener thread: {e}")))?;
        let store = PgStore {
            target,
            client: Some(client),
            retry_at: Instant::now(),
            versions,
            seen_commit,
            seen_seq,
            last_catch_up: Instant::now(),
            shared,
            listener: Some(listener),
            stats,
            log,
        };
        Ok((store, loaded))
    }

    /// The connection, made again if it was lost (at most every [`RECONNECT_EVERY`]).
    fn client(&mut self) -> Result<&mut Client, StoreError> {
        if self.client.as_ref().is_some_and(Client::is_closed) {
            self.lost("the connection was closed".into());
        }
        if self.client.is_none() {
            if Instant::now() < self.retry_at {
                return Err(self
                    .stats
                    .unreachable()
                    .unwrap_or_else(|| "cannot reach PostgreSQL".into()));
            }
            match self.target.connect() {
                Ok(client) => {
                    self.client = Some(client);
                    // Commits made while away are read by commit number before the next.
                    self.shared.resync.store(true, Ordering::Relaxed);
                    self.stats.set_unreachable(None);
                    self.log.say(
                        Level::Info,
                        &format!("ledger {}: connected to PostgreSQL again", self.target),
                    );
                }
                Err(error) => {
                    self.retry_at = Instant::now() + RECONNECT_EVERY;
                    let reason = say(&error);
                    self.stats.set_unreachable(Some(reason.clone()));
                    return Err(reason);
                }
            }
        }
        self.client.as_mut().ok_or_else(|| "no connection".into())
    }

    /// Drops a connection that failed; the next use connects again.
    fn lost(&mut self, reason: String) {
        if self.client.take().is_some() {
            self.log.say(
                Level::Error,
                &format!("ledger {}: lost PostgreSQL: {reason}", self.target),
            );
        }
        self.retry_at = Instant::now();
        self.stats.set_unreachable(Some(reason));
    }

    /// What a failed statement means: a database's refusal, or a lost connection.
    fn failed(&mut self, error: &postgres::Error) -> String {
        let reason = say(error);
        if error.as_db_error().is_none() {
            self.lost(reason.clone());
        }
        reason
    }

    /// One commit's arguments for `ratel_commit`.
    fn arguments(
        &self,
        entries: &[Entry],
        sessions: &[SessionWrite],
    ) -> Result<(String, String, String, Vec<String>), AppendError> {
        // Per account touched: whether the batch opens it, the balance it leaves.
        let mut touched: Vec<(Account, Option<String>, Option<String>)> = Vec::new();
        let mut at: HashMap<Account, usize> = HashMap::new();
        let touch = |touched: &mut Vec<_>, at: &mut HashMap<Account, usize>, account| -> usize {
            *at.entry(account).or_insert_with(|| {
                touched.push((account, None, None));
                touched.len() - 1
            })
        };
        let mut rows = Vec::with_capacity(entries.len());
        for (i, entry) in entries.iter().enumerate() {
            let slot = touch(&mut touched, &mut at, entry.account);
            if entry.kind == Kind::Opening {
                touched[slot].1 = Some(entry.amount.to_string());
            }
            touched[slot].2 = Some(entry.balance_after.to_string());
            rows.push(rows::entry_json(i, entry));
        }
        // The last write of each session id is what stands.
        let mut last: HashMap<&str, &SessionWrite> = HashMap::new();
        for write in sessions {
            let (id, account) = match write {
                SessionWrite::Put(session) => (session.id.as_str(), session.account),
                SessionWrite::Remove(id, account) => (id.as_str(), *account),
            };
            touch(&mut touched, &mut at, account);
            last.insert(id, write);
        }
        let mut puts = Vec::new();
        let mut closed = Vec::new();
        for write in last.into_values() {
            match write {
                SessionWrite::Put(session) => puts.push(rows::session_json(session)),
                SessionWrite::Remove(id, _) => closed.push(id.clone()),
            }
        }
        let mut guards = Vec::with_capacity(touched.len());
        for (account, opening, balance) in touched {
            let version = self.versions.get(&account).copied();
            if version.is_none() && opening.is_none() {
                // An account this server has not read yet: read it first.
                return Err(AppendError::Conflict(format!(
                    "{account} is not known to this server yet"
                )));
            }
            guards
                .push(json!({"a": account.to_string(), "v": version, "o": opening, "b": balance}));
        }
        Ok((
            Value::Array(guards).to_string(),
            Value::Array(rows).to_string(),
            Value::Array(puts).to_string(),
            closed,
        ))
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(listener) = self.listener.take() {
            let _ = listener.join();
        }
    }
}

impl Store for PgStore {
    fn append(
        &mut self,
        entries: &mut [Entry],
        sessions: &[SessionWrite],
    ) -> Result<(), AppendError> {
        let (guards, rows, puts, closed) = self.arguments(entries, sessions)?;
        let client = self.client().map_err(AppendError::Failed)?;
        let answer = client.query_one(
            "SELECT ratel_commit($1::text::jsonb, $2::text::jsonb, $3::text::jsonb, $4)",
            &[&guards, &rows, &puts, &closed],
        );
        let numbers: Vec<i64> = match answer.and_then(|row| row.try_get(0)) {
            Ok(numbers) => numbers,
            Err(error)
                if matches!(
                    state(&error),
                    Some(&SqlState::T_R_SERIALIZATION_FAILURE | &SqlState::UNIQUE_VIOLATION)
                ) =>
            {
                return Err(AppendError::Conflict(say(&error)))
            }
            Err(error) => return Err(AppendError::Failed(self.failed(&error))),
        };
        let (Some(&first), Some(&commit)) = (numbers.first(), numbers.get(1)) else {
            return Err(AppendError::Failed("ratel_commit answered nothing".into()));
        };
        let (first, commit) = (first.unsigned_abs(), commit.unsigned_abs());
        for (i, entry) in entries.iter_mut().enumerate() {
            entry.seq = first + i as u64;
        }
        for entry in entries.iter() {
            self.versions.insert(entry.account, commit);
        }
        for write in sessions {
            let account = match write {
                SessionWrite::Put(session) => session.account,
                SessionWrite::Remove(_, account) => *account,
            };
            self.versions.insert(account, commit);
        }
        // No other server committed in between: nothing to read for it.
        if commit == self.seen_commit + 1 {
            self.seen_commit = commit;
        }
        Ok(())
    }

    fn find(&mut self, key: &RefKey) -> Result<Option<Entry>, StoreError> {
        let client = self.client()?;
        let found = match key {
            RefKey::Call(id) => client.query_opt(
                &format!(
                    "SELECT {ENTRY_COLUMNS} FROM entries \
                     WHERE kind = 'call' AND reference <> '' AND reference = $1"
                ),
                &[id],
            ),
            RefKey::Adjustment(account, reference) => client.query_opt(
                &format!(
                    "SELECT {ENTRY_COLUMNS} FROM entries \
                     WHERE kind = 'adjustment' AND reference <> '' AND account = $1 \
                     AND reference = $2"
                ),
                &[&account.to_string(), reference],
            ),
        };
        match found {
            Ok(row) => row.map(|row| rows::entry(&row)).transpose(),
            Err(error) => Err(self.failed(&error)),
        }
    }

    fn shared(&self) -> bool {
        true
    }

    fn changes(&mut self, after_conflict: bool) -> Result<Option<Changes>, StoreError> {
        let resync = self.shared.resync.load(Ordering::Relaxed);
        let behind = self.shared.notified.load(Ordering::Relaxed) > self.seen_commit;
        if !after_conflict && !resync && !behind {
            return Ok(None);
        }
        if !after_conflict && !resync && self.last_catch_up.elapsed() < CATCH_UP_EVERY {
            return Ok(None);
        }
        self.last_catch_up = Instant::now();
        let (seen_commit, seen_seq) = (self.seen_commit, self.seen_seq);
        let client = self.client()?;
        let read = rows::changes_since(client, seen_commit, seen_seq);
        let (changes, versions, commit, next_seq) = match read {
            Ok(read) => read,
            Err(ReadError::Db(error)) => return Err(self.failed(&error)),
            Err(ReadError::Bad(message)) => return Err(message),
        };
        self.shared.resync.store(false, Ordering::Relaxed);
        self.versions.extend(versions);
        self.seen_commit = self.seen_commit.max(commit);
        self.seen_seq = self.seen_seq.max(next_seq);
        if changes.accounts.is_empty() && changes.keys.is_empty() {
            return Ok(None);
        }
        Ok(Some(changes))
    }
}

/// Creates the schema if the database has none (one server at a time), and refuses a
/// database of another version or another currency.
fn create_schema(client: &mut Client, currency: &str) -> Result<(), String> {
    let mut transaction = client.transaction().map_err(|e| say(&e))?;
    transaction
        .execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])
        .map_err(|e| say(&e))?;
    let has_meta: bool = transaction
        .query_one("SELECT to_regclass('ratel_meta') IS NOT NULL", &[])
        .and_then(|row| row.try_get(0))
        .map_err(|e| say(&e))?;
    let stored = |transaction: &mut postgres::Transaction<'_>, key: &str| {
        transaction
            .query_opt("SELECT value FROM ratel_meta WHERE key = $1", &[&key])
            .and_then(|row| row.map(|row| row.try_get::<_, String>(0)).transpose())
            .map_err(|e| say(&e))
    };
    let version = match has_meta {
        true => stored(&mut transaction, "schema_version")?,
        false => None,
    };
    match version.as_deref() {
        None => {
            transaction.batch_execute(SCHEMA).map_err(|e| say(&e))?;
            transaction
                .execute(
                    "INSERT INTO ratel_meta (key, value) VALUES ('schema_version', $1), \
                     ('default_currency', $2)",
                    &[&SCHEMA_VERSION, &currency],
                )
                .map_err(|e| say(&e))?;
        }
        Some(SCHEMA_VERSION) => {}
        Some(other) => {
            return Err(format!(
                "schema version {other} is not this Ratel's ({SCHEMA_VERSION}); use the Ratel \
                 that wrote it"
            ))
        }
    }
    let kept = stored(&mut transaction, "default_currency")?.unwrap_or_default();
    if kept != currency {
        return Err(format!(
            "the ledger keeps balances in {kept}, the configuration says {currency}"
        ));
    }
    transaction.commit().map_err(|e| say(&e))
}

/// Everything the database holds, as of one snapshot: the accounts, the open sessions, the
/// keys; each account's version; the last commit and the next sequence number.
fn load(
    client: &mut Client,
    references: &mut References,
) -> Result<(Loaded, HashMap<Account, u64>, u64, u64), ReadError> {
    let mut transaction = client
        .build_transaction()
        .isolation_level(postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()?;
    let counter = transaction.query_one("SELECT next_seq, commits FROM ratel_counter", &[])?;
    let next_seq = counter.try_get::<_, i64>(0)?.unsigned_abs();
    let commits = counter.try_get::<_, i64>(1)?.unsigned_abs();
    let mut accounts = Vec::new();
    let mut versions = HashMap::new();
    for row in transaction.query(
        "SELECT account, opening::text, balance::text, version FROM accounts",
        &[],
    )? {
        let (account, opening, balance, version) = rows::account(&row)?;
        versions.insert(account, version);
        accounts.push((account, opening, balance));
    }
    let mut sessions = Vec::new();
    for row in transaction.query(&format!("SELECT {SESSION_COLUMNS} FROM sessions"), &[])? {
        sessions.push(rows::session(&row)?);
    }
    for row in transaction.query(
        "SELECT kind, account, reference FROM entries \
         WHERE reference <> '' AND kind IN ('call', 'adjustment')",
        &[],
    )? {
        if let Some(key) = rows::key(&row)? {
            references.insert(&key);
        }
    }
    transaction.commit()?;
    let loaded = Loaded {
        accounts,
        next_seq,
        sessions,
    };
    Ok((loaded, versions, commits, next_seq))
}

#[cfg(test)]
mod tests;
