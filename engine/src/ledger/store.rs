//! The ledger's store: the one narrow interface a backend implements (SQLite today; a
//! PostgreSQL backend for servers that share balances is to follow). Only the committer
//! thread calls it, so a backend needs no locking of its own.

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

/// Where entries are kept.
pub trait Store: Send {
    /// Appends `entries` (in order, numbered from the store's next sequence number) and the
    /// balances they leave, and writes `sessions` (opened, extended, closed), in one
    /// transaction that is durable when this returns `Ok`. On error nothing of it is kept.
    fn append(&mut self, entries: &[Entry], sessions: &[SessionWrite]) -> Result<(), StoreError>;

    /// The entry applied with `key`, if any.
    fn find(&mut self, key: &RefKey) -> Result<Option<Entry>, StoreError>;

    /// Checks, between commits, what the next commit would check first (the SQLite store:
    /// that its files are still the ones it opened). Called at least every
    /// [`WATCH_EVERY`] while no change arrives.
    fn watch(&mut self) {}
}
