//! The ledger's store: the one narrow interface a backend implements (SQLite, the default;
//! PostgreSQL, for servers that share balances). Only the committer thread calls it, so a
//! backend needs no locking of its own.

use super::session::{OpenSession, SessionWrite};
use super::{Kind, RefKey};
use crate::accounts::Account;
use crate::money::Decimal;
use crate::time::Timestamp;

/// A charged call's details, kept with its entry so that a resent id answers what was
/// charged the first time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallDetail {
    /// The number called, as sent.
    pub number: String,
    pub start: Timestamp,
    pub billsec: i64,
    /// The seconds billed.
    pub rated_s: u64,
    /// The prefix whose rate priced it.
    pub prefix: String,
}

/// One append-only entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// 1, 2, 3... in the order entries were applied.
    pub seq: u64,
    /// When it was applied (UTC).
    pub time: Timestamp,
    pub account: Account,
    /// Added to the balance, in the default currency.
    pub amount: Decimal,
    pub kind: Kind,
    /// The client's idempotency key (a call's id), or empty.
    pub reference: String,
    /// The account's balance after this entry.
    pub balance_after: Decimal,
    /// A payment's description; empty for the other kinds.
    pub description: String,
    pub call: Option<CallDetail>,
}

/// What a store holds when it is opened.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Every account: its opening amount and its balance now.
    pub accounts: Vec<(Account, Decimal, Decimal)>,
    /// The sequence number the next entry gets.
    pub next_seq: u64,
    /// The sessions open (calls in progress).
    pub sessions: Vec<OpenSession>,
}

/// How often an idle committer lets its store [`Store::watch`]: a ledger file removed while
/// the server is idle is found, and what it held rescued, this soon (two `stat`s a look).
pub const WATCH_EVERY: std::time::Duration = std::time::Duration::from_millis(10);

/// A store's failure, as a message for the log and the caller.
pub type StoreError = String;

/// Why an append kept nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppendError {
    /// The store could not write (a full disk, a lost database).
    Failed(StoreError),
    /// A store shared by several servers: an account the batch touches, or a key it uses,
    /// was changed by another server since this one last read it. The committer reads what
    /// changed ([`Store::changes`]) and works the batch out again.
    Conflict(StoreError),
}

/// What other servers changed in a shared store since this one last looked.
#[derive(Debug, Default)]
pub struct Changes {
    /// Each account changed: its opening amount and its balance now.
    pub accounts: Vec<(Account, Decimal, Decimal)>,
    /// Every session open now of the accounts in `accounts` (the others' are unchanged).
    pub sessions: Vec<OpenSession>,
    /// The keys of the entries made since.
    pub keys: Vec<RefKey>,
}

/// Where entries are kept.
pub trait Store: Send {
    /// Appends `entries` (in order) and the balances they leave, and writes `sessions`
    /// (opened, extended, closed), in one transaction that is durable when this returns
    /// `Ok`. On error nothing of it is kept. The entries come numbered from the committer's
    /// next sequence number; a shared store numbers them itself, and rewrites `seq`.
    fn append(
        &mut self,
        entries: &mut [Entry],
        sessions: &[SessionWrite],
    ) -> Result<(), AppendError>;

    /// The entry applied with `key`, if any.
    fn find(&mut self, key: &RefKey) -> Result<Option<Entry>, StoreError>;

    /// Checks, between commits, what the next commit would check first (the SQLite store:
    /// that its files are still the ones it opened). Called at least every
    /// [`WATCH_EVERY`] while no change arrives.
    fn watch(&mut self) {}

    /// Whether other servers write to this store too (then a batch may conflict with their
    /// changes, and is worked out again).
    fn shared(&self) -> bool {
        false
    }

    /// What other servers changed since the last call, when the store is shared and
    /// something did (`Ok(None)`: nothing new, or a store of this server's alone). Called
    /// between commits, and after a [`AppendError::Conflict`].
    fn changes(&mut self, _after_conflict: bool) -> Result<Option<Changes>, StoreError> {
        Ok(None)
    }
}
