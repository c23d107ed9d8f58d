//! The ledger: balances that move, every change durable before it is acknowledged
//! (docs/ledger.md).
//!
//! Every change is an append-only [`Entry`] in a store ([`store::Store`]; SQLite by default).
//! One thread, the committer, applies changes: requests hand it [`Submission`]s, it gathers
//! whatever has arrived into one transaction with one sync (group commit), and only after the
//! commit updates the in-memory balances ([`BalanceCell`]) and answers. So changes to an
//! account are applied one at a time, a balance is always its opening plus the sum of the
//! committed changes, and a read that starts after an answer sees its change.
//!
//! The first time the ledger sees an account ([`Ledger::attach`], at startup and at every
//! reload) the file's balance becomes its `opening` entry; from then on the ledger owns it.

mod committer;
mod file_watch;
mod kind;
mod references;
mod sqlite;
pub mod store;
#[cfg(test)]
mod tests;

pub use committer::Stats;
pub use file_watch::WAL_WARN_BYTES;
pub use kind::{Kind, RefKey};
pub use store::{CallDetail, Entry, Store};

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex, PoisonError};

use crate::accounts::{Account, Accounts, BalanceCell};
use crate::money::Decimal;

/// What a request asks the ledger to do with one account.
#[derive(Debug, Clone)]
pub struct Change {
    pub account: Account,
    /// The account's live balance (from the snapshot the request read).
    pub cell: Arc<BalanceCell>,
    /// Added to the balance, in the default currency (negative for a charge).
    pub amount: Decimal,
    pub kind: Kind,
    /// The idempotency key the client gave (a call's id), or empty.
    pub reference: String,
    pub description: String,
    pub call: Option<CallDetail>,
}

impl Change {
    /// The key a repeat of this change is recognised by: a call's id across the ledger, an
    /// adjustment's reference within its account; none for the other kinds.
    fn key(&self) -> Option<RefKey> {
        RefKey::of(self.kind, self.account, &self.reference)
    }
}

/// One item of a batch handed to the committer.
#[derive(Debug, Clone)]
pub enum Submission {
    /// A change to apply (unless its key was applied before).
    Change(Change),
    /// A change the request could not build (a call that could not be priced): answered
    /// `Refused` with this message, unless `key` was applied before, in which case the
    /// stored entry is answered as a duplicate (a resent call whose rate has since gone is
    /// still the call that was charged), or refused as [`OTHER_PAYER`] when `account` (the
    /// payer, when the request's payer could be found) is not the one charged.
    Unpriced {
        key: Option<RefKey>,
        account: Option<Account>,
        error: String,
    },
}

/// Why a change whose key was applied to another account is refused: two switches that
/// reuse a call id must hear of it, not get the other payer's charge as a duplicate.
pub const OTHER_PAYER: &str = "id already charged to another payer";

/// What became of one submission.
#[derive(Debug, Clone, PartialEq)]
pub enum Applied {
    /// Applied and durable: the new entry.
    Done(Entry),
    /// Its key was applied before: the stored entry; nothing changed now.
    Duplicate(Entry),
    /// Not applied, for this reason (nothing changed).
    Refused(String),
    /// The store failed; nothing was applied and the change may be sent again.
    Failed(String),
}

/// How much a ledger event matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

/// Where the ledger says what an operator must see (a failed commit, a ledger file removed
/// under the server, a new ledger created): the server's log. The engine has no logger.
#[derive(Clone)]
pub struct Log(Arc<Say>);

/// What a [`Log`] calls.
type Say = dyn Fn(Level, &str) + Send + Sync;

impl Log {
    pub fn new(write: impl Fn(Level, &str) + Send + Sync + 'static) -> Log {
        Log(Arc::new(write))
    }

    /// Says `message` at `level`.
    pub fn say(&self, level: Level, message: &str) {
        (self.0)(level, message);
    }
}

impl std::fmt::Debug for Log {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Log")
    }
}

/// How a ledger is opened.
#[derive(Debug, Clone)]
pub struct Options {
    /// Whether a missing ledger file is created (a new, empty ledger: logged as such), or an
    /// error (`[ledger] create = false`, for production).
    pub create: bool,
    pub log: Log,
    /// A write-ahead log larger than this is said in the log ([`WAL_WARN_BYTES`]).
    pub wal_warn_bytes: u64,
}

impl Default for Options {
    /// Creates a missing ledger; logs on stderr.
    fn default() -> Options {
        Options {
            create: true,
            log: Log::new(|level, message| eprintln!("{level:?} {message}")),
            wal_warn_bytes: WAL_WARN_BYTES,
        }
    }
}

/// Why the ledger could not open or attach accounts.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("ledger {path}: {message}")]
    Store { path: String, message: String },
    #[error(
        "ledger {path} is in use by another ratel-server (it holds the file's lock); \
         two servers must not share one ledger file"
    )]
    InUse { path: String },
    #[error(
        "ledger {path} keeps balances in {kept}, but default_currency is {configured}; \
         use the ledger's currency or a new ledger file"
    )]
    Currency {
        path: String,
        kept: String,
        configured: String,
    },
    #[error("ledger {0}: the committer has stopped; restart the server")]
    Stopped(String),
    #[error(
        "ledger {0} does not exist, and [ledger] create = false: restore it from a backup, or \
         set create = true to start a new, empty ledger"
    )]
    Missing(String),
    #[error(
        "ledger {path}: a rescued copy of it lies beside it ({copy}): the ledger was removed \
         or replaced while a server ran, and the copy holds every change acknowledged until \
         then; put the copy in place of the ledger (or move it elsewhere if the ledger there \
         is the one to keep), then start again"
    )]
    Rescued { path: String, copy: String },
}

/// Turns any batch of submissions into their outcomes, in order. The server's version waits
/// without blocking a worker thread; [`Ledger`]'s own blocks the calling thread.
pub trait Commit {
    fn commit(&self, submissions: Vec<Submission>) -> Vec<Applied>;
}

/// A [`Commit`] for callers without a ledger (read-only tools, tests of read endpoints):
/// every submission fails and nothing changes.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoLedger;

impl Commit for NoLedger {
    fn commit(&self, submissions: Vec<Submission>) -> Vec<Applied> {
        vec![Applied::Failed("no ledger is configured".into()); submissions.len()]
    }
}

/// A callback the committer calls with a batch's outcomes.
pub type Done = Box<dyn FnOnce(Vec<Applied>) + Send>;

/// What the ledger knows of an account it has seen.
#[derive(Debug)]
struct Known {
    cell: Arc<BalanceCell>,
    opening: Decimal,
}

/// The ledger: its committer thread and the accounts it has seen.
#[derive(Debug)]
pub struct Ledger {
    path: PathBuf,
    sender: Option<mpsc::Sender<committer::Job>>,
    thread: Option<std::thread::JoinHandle<()>>,
    known: Mutex<HashMap<Account, Known>>,
    stats: Arc<Stats>,
}

/// What [`Ledger::attach`] found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Attached {
    /// Accounts seen for the first time: their file balance became their opening entry.
    pub opened: usize,
    /// Accounts the ledger already owns whose file balance differs from their opening
    /// (the file's value is ignored).
    pub differing: usize,
}

impl Ledger {
    /// Opens (creating it if need be) the ledger at `path`, whose balances are kept in
    /// `default_currency`, and starts its committer, with the default [`Options`].
    pub fn open(path: &Path, default_currency: &str) -> Result<Ledger, LedgerError> {
        Ledger::open_with(path, default_currency, Options::default())
    }

    /// Opens the ledger at `path` as `options` say, and starts its committer. Refuses a
    /// ledger another process holds, a ledger kept in another currency, and a missing
    /// ledger when `options.create` is off or a rescued copy of it lies beside it.
    pub fn open_with(
        path: &Path,
        default_currency: &str,
        options: Options,
    ) -> Result<Ledger, LedgerError> {
        let mut references = references::References::new();
        let stats = Arc::new(Stats::default());
        let (store, loaded) = sqlite::SqliteStore::open(
            path,
            default_currency,
            &options,
            Arc::clone(&stats),
            &mut references,
        )?;
        Ledger::start(path, store, loaded, references, stats, options.log)
    }

    /// Refuses `path` when another server holds it, without creating or opening anything
    /// else: a second server stops before it reads its data.
    pub fn check_free(path: &Path) -> Result<(), LedgerError> {
        sqlite::check_free(path)
    }

    /// Starts the committer on an opened store (any backend: what it holds is `loaded`, the
    /// keys it has applied are in `references`).
    fn start<S: Store + 'static>(
        path: &Path,
        store: S,
        loaded: store::Loaded,
        references: references::References,
        stats: Arc<Stats>,
        log: Log,
    ) -> Result<Ledger, LedgerError> {
        let next_seq = loaded.next_seq;
        let known = loaded
            .accounts
            .into_iter()
            .map(|(account, opening, balance)| {
                let known = Known {
                    cell: BalanceCell::new(balance),
                    opening,
                };
                (account, known)
            })
            .collect();
        let (sender, receiver) = mpsc::channel();
        let shared = Arc::clone(&stats);
        let thread = std::thread::Builder::new()
            .name("ratel-ledger".into())
            .spawn(move || committer::run(store, receiver, references, next_seq, shared, log))
            .map_err(|error| LedgerError::Store {
                path: path.display().to_string(),
                message: format!("cannot start the committer thread: {error}"),
            })?;
        Ok(Ledger {
            path: path.to_owned(),
            sender: Some(sender),
            thread: Some(thread),
            known: Mutex::new(known),
            stats,
        })
    }

    /// What the committer has done so far.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Whether the committer still runs (it ends only when the ledger is dropped, or if it
    /// panicked: then every change fails until the server is restarted).
    pub fn is_running(&self) -> bool {
        self.thread
            .as_ref()
            .is_some_and(|thread| !thread.is_finished())
    }

    /// Accounts the ledger holds.
    pub fn accounts(&self) -> usize {
        self.known
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// The ledger file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Hands a batch to the committer; `done` is called with the outcomes once they are
    /// durable. When the committer has stopped, `done` is dropped uncalled (a waiter sees
    /// its channel close).
    pub fn submit(&self, submissions: Vec<Submission>, done: Done) {
        if let Some(sender) = &self.sender {
            let _ = sender.send(committer::Job { submissions, done });
        }
    }

    /// Gives `accounts` their live balances: an account the ledger owns gets its cell (the
    /// balance the ledger holds), a new one gets an `opening` entry of its file balance,
    /// committed before this returns. Nothing is changed when the commit fails.
    pub fn attach(&self, accounts: &mut Accounts) -> Result<Attached, LedgerError> {
        let mut report = Attached::default();
        let mut openings = Vec::new();
        {
            let known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
            for (account, csv_balance, live) in accounts.live_cells_mut() {
                match known.get(&account) {
                    Some(seen) => {
                        *live = Arc::clone(&seen.cell);
                        if seen.opening != csv_balance {
                            report.differing += 1;
                        }
                    }
                    None => openings.push(Submission::Change(Change {
                        account,
                        cell: Arc::clone(live),
                        amount: csv_balance,
                        kind: Kind::Opening,
                        reference: String::new(),
                        description: String::new(),
                        call: None,
                    })),
                }
            }
        }
        if openings.is_empty() {
            return Ok(report);
        }
        report.opened = openings.len();
        let outcomes = self.commit(openings.clone());
        let mut known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
        for (submission, outcome) in openings.into_iter().zip(outcomes) {
            let (Submission::Change(change), Applied::Done(entry)) = (submission, &outcome) else {
                // One job is one transaction: it fails whole, and its first failure says why.
                let reason = match outcome {
                    Applied::Refused(reason) | Applied::Failed(reason) => reason,
                    Applied::Done(_) | Applied::Duplicate(_) => "unexpected outcome".into(),
                };
                return Err(LedgerError::Store {
                    path: self.path.display().to_string(),
                    message: format!("the opening balances could not be written: {reason}"),
                });
            };
            known.insert(
                change.account,
                Known {
                    cell: change.cell,
                    opening: entry.amount,
                },
            );
        }
        Ok(report)
    }
}

impl Commit for Ledger {
    /// Blocks the calling thread until the batch is durable (tools, tests, reloads).
    fn commit(&self, submissions: Vec<Submission>) -> Vec<Applied> {
        let count = submissions.len();
        let (sender, receiver) = mpsc::channel();
        self.submit(
            submissions,
            Box::new(move |outcomes| {
                let _ = sender.send(outcomes);
            }),
        );
        receiver.recv().unwrap_or_else(|_| {
            let stopped = LedgerError::Stopped(self.path.display().to_string());
            vec![Applied::Failed(stopped.to_string()); count]
        })
    }
}

impl Drop for Ledger {
    /// Stops the committer after the batches already handed to it, and waits for it.
    fn drop(&mut self) {
        drop(self.sender.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
