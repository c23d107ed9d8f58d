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
//! Other servers' commits are learnt from `NOTIFY` (the [`listener`] thread; each server
//! notifies after its commits) and read by transaction id: a read takes every account row
//! and entry written by a transaction its previous read could not see (one in progress then,
//! or one at or past that snapshot's `xmax`), so nothing is missed, whatever order commits
//! become visible in.
//! A read also follows a conflict, a reconnection, and every second without one (a
//! notification lost with a crashed server).

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
use rows::{ReadError, Unseen, ENTRY_COLUMNS, SESSION_COLUMNS};

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
const CATCH_UP_EVERY: Duration = Duration::from_millis(25);

/// Notifications a server sends at most this often under load: one tells the others to read
/// every commit since, so one a commit would only cost the database a statement more each.
/// The last commits of a burst are told of when the committer next looks, within
/// [`super::store::WATCH_EVERY`] or at its next commit.
const NOTIFY_EVERY: Duration = Duration::from_millis(10);

/// The most time between two reads of other servers' changes, notified or not.
const CATCH_UP_AT_LEAST: Duration = Duration::from_secs(1);

/// The ledger in PostgreSQL, as one server sees it.
pub(crate) struct PgStore {
    target: Target,
    client: Option<Client>,
    /// When a lost connection may be tried again.
    retry_at: Instant,
    /// The commit each account was last changed by, as this server last read it.
    versions: HashMap<Account, u64>,
    /// The transactions this server's last read could not see: what others wrote since is
    /// in rows with those `xid`s.
    unseen: Unseen,
    last_catch_up: Instant,
    /// The process serving this server's connection in the database.
    backend: Option<i32>,
    /// Commits sent so far (with the name, each one's token).
    commits: u64,
    /// A commit the other servers have not been told of yet, and when they last were.
    unnotified: bool,
    last_notify: Instant,
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
        let backend = backend_pid(&mut client);
        create_schema(&mut client, currency).map_err(&fail)?;
        let (loaded, versions, unseen) =
            load(&mut client, references).map_err(|e| fail(e.message()))?;
        let shared = Arc::new(Shared {
            name: server_name(),
            ..Shared::default()
        });
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
            unseen,
            last_catch_up: Instant::now(),
            unnotified: false,
            last_notify: Instant::now(),
            backend,
            commits: 0,
            shared,
            listener: Some(listener),
            stats,
            log,
        };
        Ok((store, loaded))
    }

    /// Whether the commit sent with `token` was made (its answer) or not, asked on a new
    /// connection once the old one's backend has ended (until then it could still commit).
    fn outcome_of(&mut self, token: &str) -> Result<Option<Vec<i64>>, String> {
        let old = self.backend.take();
        let client = self.client()?;
        if let Some(pid) = old {
            let ended = Instant::now() + Duration::from_secs(10);
            let _ = client.execute("SELECT pg_terminate_backend($1)", &[&pid]);
            loop {
                let alive = client
                    .query_opt("SELECT 1 FROM pg_stat_activity WHERE pid = $1", &[&pid])
                    .map_err(|e| say(&e))?;
                if alive.is_none() {
                    break;
                }
                if Instant::now() > ended {
                    return Err("the old connection's backend did not end".into());
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        let client = self.client()?;
        let row = client
            .query_opt(
                "SELECT answer FROM ratel_commits WHERE token = $1",
                &[&token],
            )
            .map_err(|e| say(&e))?;
        row.map(|row| row.try_get(0).map_err(|e| say(&e)))
            .transpose()
    }

    /// Tells the other servers of the commits made since the last notification, if any.
    fn notify_pending(&mut self) {
        if !self.unnotified {
            return;
        }
        if let Some(client) = self.client.as_mut() {
            if client
                .execute("SELECT pg_notify('ratel_ledger', $1)", &[&self.shared.name])
                .is_ok()
            {
                self.unnotified = false;
                self.last_notify = Instant::now();
            }
        }
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
                Ok(mut client) => {
                    self.backend = backend_pid(&mut client);
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
    ) -> Result<(String, String, String, String), AppendError> {
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
                SessionWrite::Remove(id, account) => {
                    closed.push(json!({"id": id, "account": account.to_string()}))
                }
            }
        }
        // In account order, as the database locks them.
        touched.sort_unstable_by_key(|(account, _, _)| account.to_string());
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
            Value::Array(closed).to_string(),
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
        self.commits += 1;
        let token = format!("{}-{}", self.shared.name, self.commits);
        let client = self.client().map_err(AppendError::Failed)?;
        let answer = client.query_one(
            "SELECT ratel_commit($1, $2::text::jsonb, $3::text::jsonb, $4::text::jsonb, \
             $5::text::jsonb)",
            &[&token, &guards, &rows, &puts, &closed],
        );
        let numbers: Vec<i64> = match answer.and_then(|row| row.try_get(0)) {
            Ok(numbers) => numbers,
            Err(error)
                if matches!(
                    state(&error),
                    Some(
                        &SqlState::T_R_SERIALIZATION_FAILURE
                            | &SqlState::UNIQUE_VIOLATION
                            | &SqlState::T_R_DEADLOCK_DETECTED
                    )
                ) =>
            {
                return Err(AppendError::Conflict(say(&error)))
            }
            Err(error) if error.as_db_error().is_some() => {
                return Err(AppendError::Failed(say(&error)))
            }
            // The connection was lost with the commit on its way: made or not, the
            // database knows. Ask it on a new connection.
            Err(error) => {
                let lost = self.failed(&error);
                match self.outcome_of(&token) {
                    Ok(Some(numbers)) => numbers,
                    Ok(None) => return Err(AppendError::Failed(lost)),
                    Err(reason) => {
                        return Err(AppendError::Failed(format!(
                            "{lost}; whether the commit was made is unknown ({reason}): \
                             resend (ids and references make it safe)"
                        )))
                    }
                }
            }
        };
        let Some((&commit, seqs)) = numbers.split_first() else {
            return Err(AppendError::Failed("ratel_commit answered nothing".into()));
        };
        if seqs.len() != entries.len() {
            return Err(AppendError::Failed(
                "ratel_commit numbered another number of entries".into(),
            ));
        }
        let commit = commit.unsigned_abs();
        for (entry, seq) in entries.iter_mut().zip(seqs) {
            entry.seq = seq.unsigned_abs();
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
        // The other servers learn of it (durable already: a lost notification only delays
        // them to their next read, at most a second away).
        self.unnotified = true;
        if self.last_notify.elapsed() >= NOTIFY_EVERY {
            self.notify_pending();
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

    fn watch(&mut self) {
        self.notify_pending();
    }

    fn changes(&mut self, after_conflict: bool) -> Result<Option<Changes>, StoreError> {
        let since = self.last_catch_up.elapsed();
        let must = after_conflict
            || self.shared.resync.load(Ordering::Relaxed)
            || since >= CATCH_UP_AT_LEAST;
        let notified = self.shared.others.load(Ordering::Relaxed);
        let due = must || (notified && since >= CATCH_UP_EVERY);
        if !due {
            return Ok(None);
        }
        self.last_catch_up = Instant::now();
        // Cleared before the read: a notification arriving during it asks for the next one.
        self.shared.others.store(false, Ordering::Relaxed);
        self.notify_pending();
        self.client()?;
        let Some(client) = self.client.as_mut() else {
            return Err("no connection".into());
        };
        let read = rows::changes_since(client, &self.unseen, &self.versions);
        let (changes, versions, unseen) = match read {
            Ok(read) => read,
            Err(ReadError::Db(error)) => return Err(self.failed(&error)),
            Err(ReadError::Bad(message)) => {
                // Said once a run of failures: every commit conflicts until it is fixed.
                if self.stats.unreachable().as_deref() != Some(message.as_str()) {
                    self.log.say(
                        Level::Error,
                        &format!(
                            "ledger {}: cannot read other servers' changes: {message}",
                            self.target
                        ),
                    );
                    self.stats.set_unreachable(Some(message.clone()));
                }
                return Err(message);
            }
        };
        self.shared.resync.store(false, Ordering::Relaxed);
        if self.stats.unreachable().is_some() {
            self.stats.set_unreachable(None);
        }
        self.versions.extend(versions);
        self.unseen = unseen;
        if changes.accounts.is_empty() && changes.keys.is_empty() {
            return Ok(None);
        }
        Ok(Some(changes))
    }
}

/// The process serving a connection in the database (`None` if it cannot be asked).
fn backend_pid(client: &mut Client) -> Option<i32> {
    client
        .query_one("SELECT pg_backend_pid()", &[])
        .and_then(|row| row.try_get(0))
        .ok()
}

/// A name for this server's notifications, unique among the servers of a database: the
/// process, the time it opened the ledger, and a count of the ledgers this process opened.
fn server_name() -> String {
    static OPENED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos());
    let count = OPENED.fetch_add(1, Ordering::Relaxed);
    format!("{}-{nanos}-{count}", std::process::id())
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
/// keys; each account's version; what the snapshot could not see (see [`PgStore::unseen`]).
fn load(
    client: &mut Client,
    references: &mut References,
) -> Result<(Loaded, HashMap<Account, u64>, Unseen), ReadError> {
    let mut transaction = client
        .build_transaction()
        .isolation_level(postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()?;
    let unseen = rows::unseen(&mut transaction)?;
    let next_seq = transaction
        .query_one("SELECT coalesce(max(seq), 0) + 1 FROM entries", &[])?
        .try_get::<_, i64>(0)?
        .unsigned_abs();
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
    Ok((loaded, versions, unseen))
}

#[cfg(test)]
mod tests;
