//! The SQLite store: one file an operator can read with `sqlite3` (docs/ledger.md has the
//! schema). Write-ahead log with `synchronous = FULL`, so a commit is synced to disk before
//! it returns; triggers refuse any UPDATE or DELETE of an entry; a lock on the file keeps a
//! second server off it; the file and its log are checked to be the ones opened before
//! every commit (`file_watch`).

use std::fs::{File, TryLockError};
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, PoisonError};

use std::fmt::Write;

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

use super::file_watch::{self, Files, WalSize};
use super::references::References;
use super::session::{OpenSession, SessionWrite};
use super::store::{AppendError, CallDetail, Entry, Loaded, Store, StoreError};
use super::{Kind, LedgerError, Level, Log, Options, RefKey, Stats};
use crate::accounts::Account;
use crate::cost::Terms;
use crate::money::Decimal;
use crate::time::Timestamp;

/// The schema's version, kept in `meta`. Version 2 added `sessions`; a version-1 ledger is
/// upgraded when opened (the table is created empty), and an older Ratel then refuses it.
const SCHEMA_VERSION: &str = "2";

/// The versions this Ratel opens, upgrading them to [`SCHEMA_VERSION`].
const UPGRADED_VERSIONS: [&str; 1] = ["1"];

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY,
    time TEXT NOT NULL,
    account TEXT NOT NULL,
    amount TEXT NOT NULL,
    kind TEXT NOT NULL
        CHECK (kind = 'opening' OR kind = 'adjustment' OR kind = 'card_payment' OR kind = 'call'),
    reference TEXT NOT NULL,
    balance TEXT NOT NULL,
    description TEXT NOT NULL,
    number TEXT,
    start TEXT,
    billsec INTEGER,
    rated_s INTEGER,
    prefix TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS entries_call_id
    ON entries (reference) WHERE kind = 'call' AND reference <> '';
CREATE UNIQUE INDEX IF NOT EXISTS entries_adjustment_reference
    ON entries (account, reference) WHERE kind = 'adjustment' AND reference <> '';
CREATE TABLE IF NOT EXISTS accounts (
    account TEXT PRIMARY KEY,
    opening TEXT NOT NULL,
    balance TEXT NOT NULL,
    last_seq INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    number TEXT NOT NULL,
    start TEXT NOT NULL,
    prefix TEXT NOT NULL,
    destination TEXT NOT NULL,
    currency TEXT NOT NULL,
    rate TEXT NOT NULL,
    connection_fee TEXT NOT NULL,
    increment_s INTEGER NOT NULL,
    min_time_s INTEGER NOT NULL,
    first_interval_s INTEGER NOT NULL,
    exchange_rate TEXT NOT NULL,
    credit_limit TEXT,
    used_s INTEGER NOT NULL,
    granted_s INTEGER NOT NULL,
    final INTEGER NOT NULL,
    reserved TEXT NOT NULL,
    expires TEXT NOT NULL
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS entries_are_never_updated BEFORE UPDATE ON entries
    BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
CREATE TRIGGER IF NOT EXISTS entries_are_never_deleted BEFORE DELETE ON entries
    BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
";

const INSERT_ENTRY: &str = "INSERT INTO entries (seq, time, account, amount, kind, reference, \
    balance, description, number, start, billsec, rated_s, prefix) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";
const INSERT_ACCOUNT: &str =
    "INSERT INTO accounts (account, opening, balance, last_seq) VALUES (?1, ?2, ?3, ?4)";
const UPDATE_ACCOUNT: &str = "UPDATE accounts SET balance = ?2, last_seq = ?3 WHERE account = ?1";
const SESSION_COLUMNS: &str = "id, account, number, start, prefix, destination, currency, rate, \
    connection_fee, increment_s, min_time_s, first_interval_s, exchange_rate, credit_limit, \
    used_s, granted_s, final, reserved, expires";
const PUT_SESSION: &str = "INSERT OR REPLACE INTO sessions (id, account, number, start, prefix, \
    destination, currency, rate, connection_fee, increment_s, min_time_s, first_interval_s, \
    exchange_rate, credit_limit, used_s, granted_s, final, reserved, expires) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)";
const REMOVE_SESSION: &str = "DELETE FROM sessions WHERE id = ?1";
const ENTRY_COLUMNS: &str = "seq, time, account, amount, kind, reference, balance, description, \
    number, start, billsec, rated_s, prefix";

/// The SQLite ledger, and the lock that makes it this process's alone.
#[derive(Debug)]
pub(crate) struct SqliteStore {
    /// Copies the log into the database off the committer's path. Dropped first: closing
    /// the last connection removes the log, which the checkpointer must not see as a loss.
    _checkpointer: Checkpointer,
    connection: Connection,
    /// The files checked before every commit and while idle.
    files: Files,
    stats: Arc<Stats>,
    log: Log,
    /// Held (locked) for as long as the store is open.
    _lock: File,
}

/// SQLite's page cache of the committer's connection, in KiB. Small on purpose: SQLite walks
/// the cached pages of the range it drops at the end of every commit
/// (`pcache1TruncateUnsafe`, 12% of the committer's time with 64 MiB under 64 clients), and
/// duplicate ids are found in memory ([`References`]), so the cache only serves the index
/// paths of inserts, which the operating system's file cache holds as well. 8 MiB against
/// 64 MiB: +9 to +14% sessions a second, +4 to +6% calls (docs/performance.md, issue 19).
const PAGE_CACHE_KIB: i64 = 8 * 1024;

/// How often the checkpointer copies the write-ahead log into the database.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(200);

/// Pages the log may hold before the committer checkpoints it itself: a backstop for a
/// checkpointer that cannot keep up (64 MiB of 4 KiB pages).
const WAL_BACKSTOP_PAGES: i64 = 16_384;

/// A thread with its own connection that checks the files and checkpoints the log every
/// [`CHECKPOINT_EVERY`] (passive: it never blocks the committer). SQLite would otherwise checkpoint inside the
/// commit that fills the log past 1,000 pages, and that commit, with every request waiting
/// on it, would take as long as copying those pages into the database and syncing it.
#[derive(Debug)]
struct Checkpointer {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Checkpointer {
    fn start(path: &Path, mut wal: WalSize) -> Result<Checkpointer, LedgerError> {
        let fail = store_error(path);
        let connection = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(&fail)?;
        connection
            .busy_timeout(std::time::Duration::from_secs(1))
            .map_err(&fail)?;
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let signal = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("ratel-checkpoint".into())
            .spawn(move || {
                let (stopped, wake) = &*signal;
                let mut stopped = stopped.lock().unwrap_or_else(PoisonError::into_inner);
                while !*stopped {
                    stopped = wake
                        .wait_timeout(stopped, CHECKPOINT_EVERY)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0;
                    if *stopped {
                        break;
                    }
                    // Files removed or replaced: nothing more is written, not even here.
                    if wal.unusable() {
                        continue;
                    }
                    wal.measure();
                    // A failed checkpoint loses nothing (the log still holds every commit);
                    // the next one, or the committer's backstop, catches up.
                    let _ = connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                }
            })
            .map_err(|error| LedgerError::Store {
                path: path.display().to_string(),
                message: format!("cannot start the checkpoint thread: {error}"),
            })?;
        Ok(Checkpointer {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        let (stopped, wake) = &*self.stop;
        *stopped.lock().unwrap_or_else(PoisonError::into_inner) = true;
        wake.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn store_error(path: &Path) -> impl Fn(rusqlite::Error) -> LedgerError + '_ {
    move |error| LedgerError::Store {
        path: path.display().to_string(),
        message: error.to_string(),
    }
}

impl SqliteStore {
    /// Opens or creates the ledger at `path` for balances in `currency`; fills `references`
    /// with every key applied and returns the accounts and the next sequence number.
    pub(crate) fn open(
        path: &Path,
        currency: &str,
        options: &Options,
        stats: Arc<Stats>,
        references: &mut References,
    ) -> Result<(SqliteStore, Loaded), LedgerError> {
        let lock = lock(path, options)?;
        let fail = store_error(path);
        // One thread (the committer) uses the connection: SQLite's own mutexes are not needed.
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let connection = Connection::open_with_flags(path, flags).map_err(&fail)?;
        // WAL: readers (an operator's sqlite3) never block the committer; FULL: the WAL is
        // synced at every commit, so an acknowledged change survives a power cut.
        connection
            .pragma_update(None, "journal_mode", "WAL")
            .map_err(&fail)?;
        connection
            .pragma_update(None, "synchronous", "FULL")
            .map_err(&fail)?;
        connection
            .pragma_update(None, "cache_size", -PAGE_CACHE_KIB)
            .map_err(&fail)?;
        connection
            .busy_timeout(std::time::Duration::from_secs(5))
            .map_err(&fail)?;
        connection.execute_batch(SCHEMA).map_err(&fail)?;
        check_meta(&connection, path, currency)?;
        connection
            .pragma_update(None, "wal_autocheckpoint", WAL_BACKSTOP_PAGES)
            .map_err(&fail)?;
        // After a checkpoint, a log that grew past the backstop is cut back to it.
        connection
            .pragma_update(None, "journal_size_limit", WAL_BACKSTOP_PAGES * 4096)
            .map_err(&fail)?;
        let loaded = load(&connection, references).map_err(&fail)?;
        let files = Files::opened(path, &lock).map_err(|error| LedgerError::Store {
            path: path.display().to_string(),
            message: format!("cannot read its file's identity: {error}"),
        })?;
        let wal = WalSize::new(
            files.wal(),
            options.wal_warn_bytes,
            Arc::clone(&stats),
            options.log.clone(),
        );
        let checkpointer = Checkpointer::start(path, wal)?;
        Ok((
            SqliteStore {
                _checkpointer: checkpointer,
                connection,
                files,
                stats,
                log: options.log.clone(),
                _lock: lock,
            },
            loaded,
        ))
    }
}

/// Locks the ledger file itself (`flock`, on the file's inode: a symbolic link, a hard link
/// or another mount of the same file finds the same lock), refusing when another process
/// holds it. The lock is the kernel's: it goes away with the process, however it ends.
///
/// The descriptor is SQLite's neighbour, never closed while SQLite has the file open: closing
/// any descriptor of a file drops the process's POSIX locks on it, which are SQLite's own
/// (`SqliteStore` drops its connections before this file). A new ledger starts as the empty
/// file this creates, which SQLite takes for an empty database.
///
/// A missing ledger is created only when `options.create` says so, and no ledger is opened
/// while a rescued copy of it lies beside it (`file_watch`); a creation is logged.
fn lock(path: &Path, options: &Options) -> Result<File, LedgerError> {
    let shown = || path.display().to_string();
    let open = |create: bool| {
        File::options()
            .create_new(create)
            .read(true)
            .write(true)
            .open(path)
    };
    if let Some(copy) = file_watch::rescued_copies(path).pop() {
        return Err(LedgerError::Rescued {
            path: shown(),
            copy: copy.display().to_string(),
        });
    }
    let (file, created) = match open(false) {
        Ok(file) => (file, false),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            if !options.create {
                return Err(LedgerError::Missing(shown()));
            }
            let file = open(true).map_err(|error| LedgerError::Store {
                path: shown(),
                message: format!("cannot create it: {error}"),
            })?;
            (file, true)
        }
        Err(error) => {
            return Err(LedgerError::Store {
                path: shown(),
                message: format!("cannot open it: {error}"),
            })
        }
    };
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => return Err(LedgerError::InUse { path: shown() }),
        Err(TryLockError::Error(error)) => {
            return Err(LedgerError::Store {
                path: shown(),
                message: format!("cannot lock it: {error}"),
            })
        }
    }
    // An empty file is no ledger (SQLite would take it for an empty database): with create
    // off it is as good as missing, and with it on, a new ledger starts here, logged.
    let empty = file.metadata().map(|m| m.len() == 0).unwrap_or(false);
    if empty && !options.create {
        return Err(LedgerError::Missing(shown()));
    }
    if created || empty {
        options.log.say(
            Level::Warn,
            &format!(
                "ledger {}: created a new, empty ledger; every balance starts from the files \
                 (set [ledger] create = false to refuse a missing ledger)",
                shown()
            ),
        );
    }
    Ok(file)
}

/// Refuses a ledger another process holds; a missing one is fine (nothing is created).
pub(crate) fn check_free(path: &Path) -> Result<(), LedgerError> {
    let file = match File::options().read(true).write(true).open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(error) => {
            return Err(LedgerError::Store {
                path: path.display().to_string(),
                message: format!("cannot open it: {error}"),
            })
        }
    };
    match file.try_lock() {
        // Closing the descriptor releases the probe's lock (no SQLite connection is open).
        Ok(()) => Ok(()),
        Err(TryLockError::WouldBlock) => Err(LedgerError::InUse {
            path: path.display().to_string(),
        }),
        Err(TryLockError::Error(error)) => Err(LedgerError::Store {
            path: path.display().to_string(),
            message: format!("cannot lock it: {error}"),
        }),
    }
}

/// Records the schema version and currency of a new ledger; refuses an existing one kept in
/// another currency or written by a newer Ratel.
fn check_meta(connection: &Connection, path: &Path, currency: &str) -> Result<(), LedgerError> {
    let fail = store_error(path);
    let get = |key: &str| {
        connection
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |row| {
                row.get::<_, String>(0)
            })
            .optional()
    };
    match get("schema_version").map_err(&fail)? {
        None => {
            connection
                .execute(
                    "INSERT INTO meta (key, value) VALUES ('schema_version', ?1), ('default_currency', ?2)",
                    params![SCHEMA_VERSION, currency],
                )
                .map_err(&fail)?;
        }
        Some(version) if UPGRADED_VERSIONS.contains(&version.as_str()) => {
            // The schema's new tables were created (empty) before this check.
            connection
                .execute(
                    "UPDATE meta SET value = ?1 WHERE key = 'schema_version'",
                    [SCHEMA_VERSION],
                )
                .map_err(&fail)?;
        }
        Some(version) if version != SCHEMA_VERSION => {
            return Err(LedgerError::Store {
                path: path.display().to_string(),
                message: format!(
                    "schema version {version} is not this Ratel's ({SCHEMA_VERSION}); use the Ratel that wrote it"
                ),
            });
        }
        Some(_) => {}
    }
    let kept = get("default_currency").map_err(&fail)?.unwrap_or_default();
    if kept != currency {
        return Err(LedgerError::Currency {
            path: path.display().to_string(),
            kept,
            configured: currency.to_owned(),
        });
    }
    Ok(())
}

/// A value read back that the ledger itself wrote, refused if it does not parse.
fn corrupt(what: &str, value: &str) -> rusqlite::Error {
    rusqlite::Error::InvalidParameterName(format!("the ledger holds a bad {what}: {value:?}"))
}

fn decimal(text: &str) -> Result<Decimal, rusqlite::Error> {
    Decimal::parse(text, true).map_err(|_| corrupt("amount", text))
}

fn account(text: &str) -> Result<Account, rusqlite::Error> {
    text.parse().map_err(|_| corrupt("account", text))
}

fn load(connection: &Connection, references: &mut References) -> rusqlite::Result<Loaded> {
    let mut accounts = Vec::new();
    let mut statement = connection.prepare("SELECT account, opening, balance FROM accounts")?;
    let mut rows = statement.query([])?;
    while let Some(row) = rows.next()? {
        accounts.push((
            account(row.get_ref(0)?.as_str()?)?,
            decimal(row.get_ref(1)?.as_str()?)?,
            decimal(row.get_ref(2)?.as_str()?)?,
        ));
    }
    let mut statement = connection.prepare(
        "SELECT kind, account, reference FROM entries \
         WHERE reference <> '' AND kind IN ('call', 'adjustment')",
    )?;
    let mut rows = statement.query([])?;
    while let Some(row) = rows.next()? {
        let kind = row.get_ref(0)?.as_str()?;
        let kind = Kind::from_name(kind).ok_or_else(|| corrupt("kind", kind))?;
        let owner = account(row.get_ref(1)?.as_str()?)?;
        if let Some(key) = RefKey::of(kind, owner, row.get_ref(2)?.as_str()?) {
            references.insert(&key);
        }
    }
    let last: Option<i64> =
        connection.query_row("SELECT max(seq) FROM entries", [], |row| row.get(0))?;
    let mut sessions = Vec::new();
    let mut statement = connection.prepare(&format!("SELECT {SESSION_COLUMNS} FROM sessions"))?;
    let mut rows = statement.query([])?;
    while let Some(row) = rows.next()? {
        sessions.push(read_session(row)?);
    }
    Ok(Loaded {
        accounts,
        next_seq: last.map_or(1, |seq| seq.unsigned_abs() + 1),
        sessions,
    })
}

fn read_session(row: &rusqlite::Row<'_>) -> rusqlite::Result<OpenSession> {
    let text = |i: usize| -> rusqlite::Result<String> { row.get(i) };
    let time = |i: usize| -> rusqlite::Result<Timestamp> {
        let value = text(i)?;
        Timestamp::parse(&value).map_err(|_| corrupt("time", &value))
    };
    let seconds = |i: usize| -> rusqlite::Result<u32> {
        let value: i64 = row.get(i)?;
        u32::try_from(value).map_err(|_| corrupt("number of seconds", &value.to_string()))
    };
    Ok(OpenSession {
        id: text(0)?,
        account: account(&text(1)?)?,
        number: text(2)?,
        start: time(3)?,
        prefix: text(4)?,
        destination: text(5)?,
        currency: text(6)?,
        terms: Terms {
            rate: decimal(&text(7)?)?,
            connection_fee: decimal(&text(8)?)?,
            increment_s: seconds(9)?,
            min_time_s: seconds(10)?,
            first_interval_s: seconds(11)?,
        },
        exchange_rate: decimal(&text(12)?)?,
        limit: row
            .get::<_, Option<String>>(13)?
            .map(|limit| decimal(&limit))
            .transpose()?,
        used_s: seconds(14)?,
        granted_s: seconds(15)?,
        final_grant: row.get::<_, i64>(16)? != 0,
        reserved: decimal(&text(17)?)?,
        expires: time(18)?,
    })
}

fn read_entry(row: &rusqlite::Row<'_>) -> rusqlite::Result<Entry> {
    let text = |i: usize| -> rusqlite::Result<String> { row.get(i) };
    let time = text(1)?;
    let kind = text(4)?;
    let call = match row.get::<_, Option<String>>(8)? {
        None => None,
        Some(number) => {
            let start = text(9)?;
            Some(CallDetail {
                number,
                start: Timestamp::parse(&start).map_err(|_| corrupt("start", &start))?,
                billsec: row.get(10)?,
                rated_s: row.get::<_, i64>(11)?.unsigned_abs(),
                prefix: text(12)?,
            })
        }
    };
    Ok(Entry {
        seq: row.get::<_, i64>(0)?.unsigned_abs(),
        time: Timestamp::parse(&time).map_err(|_| corrupt("time", &time))?,
        account: account(&text(2)?)?,
        amount: decimal(&text(3)?)?,
        kind: Kind::from_name(&kind).ok_or_else(|| corrupt("kind", &kind))?,
        reference: text(5)?,
        balance_after: decimal(&text(6)?)?,
        description: text(7)?,
        call,
    })
}

/// An entry's text columns, formatted into buffers kept across the entries of a batch.
#[derive(Debug, Default)]
struct Texts {
    at: Option<Timestamp>,
    time: String,
    account: String,
    amount: String,
    balance: String,
    start: String,
}

impl Texts {
    fn fill(&mut self, entry: &Entry) {
        if self.at != Some(entry.time) {
            self.at = Some(entry.time);
            self.time.clear();
            let _ = write!(self.time, "{}", entry.time);
        }
        for (buffer, value) in [
            (&mut self.amount, entry.amount),
            (&mut self.balance, entry.balance_after),
        ] {
            buffer.clear();
            let _ = write!(buffer, "{value}");
        }
        self.account.clear();
        let _ = write!(self.account, "{}", entry.account);
        if let Some(call) = &entry.call {
            self.start.clear();
            let _ = write!(self.start, "{}", call.start);
        }
    }
}

impl Store for SqliteStore {
    fn append(
        &mut self,
        entries: &mut [Entry],
        sessions: &[SessionWrite],
    ) -> Result<(), AppendError> {
        // One server owns the file: nothing else changes it, so nothing conflicts.
        self.write(entries, sessions).map_err(AppendError::Failed)
    }

    fn watch(&mut self) {
        // The outcome is kept in `stats` (and logged) the first time it fails.
        let _ = self.files.verify(&self.connection, &self.stats, &self.log);
    }

    fn find(&mut self, key: &RefKey) -> Result<Option<Entry>, StoreError> {
        let result = match key {
            RefKey::Call(id) => self
                .connection
                .prepare_cached(&format!(
                    // `reference <> ''` lets SQLite use the partial index.
                    "SELECT {ENTRY_COLUMNS} FROM entries \
                     WHERE kind = 'call' AND reference <> '' AND reference = ?1"
                ))
                .and_then(|mut s| s.query_row(params![id], read_entry).optional()),
            RefKey::Adjustment(account, reference) => self
                .connection
                .prepare_cached(&format!(
                    "SELECT {ENTRY_COLUMNS} FROM entries \
                     WHERE kind = 'adjustment' AND reference <> '' AND account = ?1 \
                     AND reference = ?2"
                ))
                .and_then(|mut s| {
                    s.query_row(params![account.to_string(), reference], read_entry)
                        .optional()
                }),
        };
        result.map_err(|e| e.to_string())
    }
}

impl SqliteStore {
    /// Writes a batch in one transaction (see [`Store::append`]).
    fn write(&mut self, entries: &[Entry], sessions: &[SessionWrite]) -> Result<(), StoreError> {
        self.files
            .verify(&self.connection, &self.stats, &self.log)?;
        let transaction = self.connection.transaction().map_err(|e| e.to_string())?;
        {
            let mut insert = transaction
                .prepare_cached(INSERT_ENTRY)
                .map_err(|e| e.to_string())?;
            let mut insert_account = transaction
                .prepare_cached(INSERT_ACCOUNT)
                .map_err(|e| e.to_string())?;
            let mut update_account = transaction
                .prepare_cached(UPDATE_ACCOUNT)
                .map_err(|e| e.to_string())?;
            // Text columns formatted into reused buffers (entries of a batch share a time).
            let mut text = Texts::default();
            // The balance each account is left with, written once per account.
            let mut last: Vec<(Account, usize)> = Vec::new();
            let mut position: std::collections::HashMap<Account, usize> =
                std::collections::HashMap::new();
            for (i, entry) in entries.iter().enumerate() {
                let seq = i64::try_from(entry.seq).map_err(|e| e.to_string())?;
                let call = entry.call.as_ref();
                text.fill(entry);
                insert
                    .execute(params![
                        seq,
                        text.time,
                        text.account,
                        text.amount,
                        entry.kind.name(),
                        entry.reference,
                        text.balance,
                        entry.description,
                        call.map(|c| c.number.as_str()),
                        call.map(|_| text.start.as_str()),
                        call.map(|c| c.billsec),
                        call.map(|c| i64::try_from(c.rated_s).unwrap_or(i64::MAX)),
                        call.map(|c| c.prefix.as_str()),
                    ])
                    .map_err(|e| e.to_string())?;
                if entry.kind == Kind::Opening {
                    insert_account
                        .execute(params![
                            entry.account.to_string(),
                            entry.amount.to_string(),
                            entry.balance_after.to_string(),
                            seq
                        ])
                        .map_err(|e| e.to_string())?;
                } else {
                    match position.entry(entry.account) {
                        std::collections::hash_map::Entry::Occupied(at) => {
                            last[*at.get()].1 = i;
                        }
                        std::collections::hash_map::Entry::Vacant(slot) => {
                            slot.insert(last.len());
                            last.push((entry.account, i));
                        }
                    }
                }
            }
            for (account, i) in last {
                let entry = &entries[i];
                let seq = i64::try_from(entry.seq).map_err(|e| e.to_string())?;
                let updated = update_account
                    .execute(params![
                        account.to_string(),
                        entry.balance_after.to_string(),
                        seq
                    ])
                    .map_err(|e| e.to_string())?;
                if updated != 1 {
                    return Err(format!("{account} has no opening entry"));
                }
            }
            if !sessions.is_empty() {
                let mut put = transaction
                    .prepare_cached(PUT_SESSION)
                    .map_err(|e| e.to_string())?;
                let mut remove = transaction
                    .prepare_cached(REMOVE_SESSION)
                    .map_err(|e| e.to_string())?;
                for write in sessions {
                    match write {
                        SessionWrite::Put(session) => {
                            put.execute(params![
                                session.id,
                                session.account.to_string(),
                                session.number,
                                session.start.to_string(),
                                session.prefix,
                                session.destination,
                                session.currency,
                                session.terms.rate.to_string(),
                                session.terms.connection_fee.to_string(),
                                session.terms.increment_s,
                                session.terms.min_time_s,
                                session.terms.first_interval_s,
                                session.exchange_rate.to_string(),
                                session.limit.map(|limit| limit.to_string()),
                                session.used_s,
                                session.granted_s,
                                i64::from(session.final_grant),
                                session.reserved.to_string(),
                                session.expires.to_string(),
                            ])
                            .map_err(|e| e.to_string())?;
                        }
                        SessionWrite::Remove(id, _) => {
                            remove.execute([id]).map_err(|e| e.to_string())?;
                        }
                    }
                }
            }
        }
        transaction.commit().map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Review: `CHECK (kind IN (...))` made every insert build a temporary table for the list
    /// (about 3% of the committer's time). Each statement the committer runs per entry must
    /// compile to plain b-tree work.
    #[test]
    fn the_per_entry_statements_need_no_temporary_table() {
        let connection = Connection::open_in_memory().unwrap();
        connection.execute_batch(SCHEMA).unwrap();
        for (statement, parameters) in
            [(INSERT_ENTRY, 13), (INSERT_ACCOUNT, 4), (UPDATE_ACCOUNT, 3)]
        {
            let mut explain = connection.prepare(&format!("EXPLAIN {statement}")).unwrap();
            let opcodes: Vec<String> = explain
                .query_map(
                    rusqlite::params_from_iter(std::iter::repeat_n(
                        rusqlite::types::Null,
                        parameters,
                    )),
                    |row| row.get(1),
                )
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert!(
                opcodes.iter().any(|op| op == "OpenWrite"),
                "{statement}: {opcodes:?}"
            );
            assert!(
                !opcodes
                    .iter()
                    .any(|op| op.contains("Ephemeral") || op.contains("Sorter")),
                "{statement}: {opcodes:?}"
            );
        }
    }
}
