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

mod change;
mod commit;
mod committer;
mod cpu_busy;
mod error;
mod file_watch;
mod inbox;
mod kind;
mod known;
mod options;
pub mod postgres;
mod references;
pub mod session;
mod sqlite;
mod stats;
pub mod store;
#[cfg(test)]
mod test_backend;
#[cfg(test)]
mod tests;

pub use change::{Applied, Change, Done, SessionOp, SessionOutcome, Submission, OTHER_PAYER};
pub use commit::{Commit, NoLedger};
pub use error::LedgerError;
pub use kind::{Kind, RefKey};
pub use options::{Level, Log, Options, WAL_WARN_BYTES};
pub use session::{OpenSession, SessionSettings};
pub use stats::Stats;
pub use store::{CallDetail, Entry, Store};

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex, PoisonError};

use inbox::Inbox;

use known::Known;

use crate::accounts::{Account, Accounts, BalanceCell};

/// The ledger: its committer thread and the accounts it has seen.
#[derive(Debug)]
pub struct Ledger {
    path: PathBuf,
    /// The queue to the committer (closed when the ledger is dropped).
    inbox: Arc<Inbox>,
    thread: Option<std::thread::JoinHandle<()>>,
    known: Arc<Mutex<HashMap<Account, Known>>>,
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

    /// Opens the ledger in the PostgreSQL database `target` names (creating its schema in
    /// an empty database), whose balances are kept in `default_currency`, and starts its
    /// committer. Any number of servers may share it (docs/ledger.md, "PostgreSQL").
    pub fn open_postgres(
        target: postgres::Target,
        default_currency: &str,
        options: Options,
    ) -> Result<Ledger, LedgerError> {
        let mut references = references::References::new();
        let stats = Arc::new(Stats::default());
        let shown = PathBuf::from(target.to_string());
        let (store, loaded) = postgres::PgStore::open(
            target,
            default_currency,
            options.log.clone(),
            Arc::clone(&stats),
            &mut references,
        )?;
        Ledger::start(&shown, store, loaded, references, stats, options.log)
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
        let open_sessions = loaded.sessions;
        let known: HashMap<Account, Known> = loaded
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
        let cells = known
            .iter()
            .map(|(account, known)| (*account, Arc::clone(&known.cell)))
            .collect();
        let sessions = session::SessionBook::load(open_sessions, &cells);
        let inbox = Arc::new(Inbox::default());
        let receiver = Arc::clone(&inbox);
        let shared = Arc::clone(&stats);
        let known = Arc::new(Mutex::new(known));
        let held = Arc::clone(&known);
        let thread = std::thread::Builder::new()
            .name("ratel-ledger".into())
            .spawn(move || {
                // However the committer ends (a panic included), nothing is left waiting.
                let _closed = inbox::ClosedOnExit(Arc::clone(&receiver));
                committer::run(
                    store, receiver, references, next_seq, shared, log, sessions, held,
                )
            })
            .map_err(|error| LedgerError::Store {
                path: path.display().to_string(),
                message: format!("cannot start the committer thread: {error}"),
            })?;
        Ok(Ledger {
            path: path.to_owned(),
            inbox,
            thread: Some(thread),
            known,
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
        self.inbox.push(inbox::Job { submissions, done });
    }

    /// Times a request had to wake the committer (it waited for work): under load, far
    /// fewer than the requests (see `inbox`).
    pub fn committer_wakeups(&self) -> u64 {
        self.inbox.wakeups()
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
        let outcomes = self.commit(openings);
        let mut opened_elsewhere = false;
        for outcome in outcomes {
            let reason = match outcome {
                // The committer keeps every account opened (by this server or, with a
                // shared store, another one first).
                Applied::Done(_) => continue,
                Applied::Duplicate(_) => {
                    opened_elsewhere = true;
                    continue;
                }
                Applied::Refused(reason) | Applied::Failed(reason) => reason,
                Applied::Session(_) => "unexpected outcome".into(),
            };
            // One job is one transaction: it fails whole, and its first failure says why.
            return Err(LedgerError::Store {
                path: self.path.display().to_string(),
                message: format!("the opening balances could not be written: {reason}"),
            });
        }
        if !opened_elsewhere {
            return Ok(report);
        }
        // Accounts another server opened first hold their balance in the ledger's cell.
        let known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
        for (account, _, live) in accounts.live_cells_mut() {
            if let Some(seen) = known.get(&account) {
                *live = Arc::clone(&seen.cell);
            }
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
        self.inbox.close();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
