//! What a request asks the ledger to do, and what became of it: a change to one account, or
//! a call that could not be priced (answered by its stored charge if its id was charged).

use std::sync::Arc;

use super::kind::{Kind, RefKey};
use super::session::{OpenSession, SessionSettings};
use super::store::{CallDetail, Entry};
use crate::accounts::{Account, BalanceCell};
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
    pub(crate) fn key(&self) -> Option<RefKey> {
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
    /// A call in progress: a session opened, extended, ended or expired.
    Session(SessionOp),
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
    /// What a session start or update came to (durable when granted).
    Session(SessionOutcome),
}

/// A callback the committer calls with a batch's outcomes.
pub type Done = Box<dyn FnOnce(Vec<Applied>) + Send>;

/// A session request, as the committer takes it.
#[derive(Debug, Clone)]
pub enum SessionOp {
    /// `/v1/sessions`: open `session` (its grant fields are the committer's to fill) for the
    /// payer whose live balance is `cell`.
    Start {
        session: Box<OpenSession>,
        cell: Arc<BalanceCell>,
        settings: SessionSettings,
    },
    /// `/v1/sessions/update`: the call is still up after `used_s` seconds.
    Update {
        id: String,
        used_s: u32,
        settings: SessionSettings,
    },
    /// `/v1/sessions/end`: the call is over after `billsec` seconds. Without an open session,
    /// `fallback` (the call as `/v1/calls` would charge it, when the request said enough to
    /// price it) is charged instead.
    End {
        id: String,
        billsec: i64,
        fallback: Option<Box<Change>>,
    },
    /// The server closes a session whose grant ran out `grace_s` ago.
    Expire { id: String },
}

/// What a start or an update came to.
#[derive(Debug, Clone, PartialEq)]
pub enum SessionOutcome {
    /// Granted (`again`: the id was already open and is answered as it stands); `available`
    /// is what the payer may still spend after this session's reservation (`None`: no limit).
    Granted {
        session: Box<OpenSession>,
        available: Option<Decimal>,
        again: bool,
    },
    /// Not granted, for this reason; nothing is held.
    Refused(&'static str),
    /// The id was charged already (a start).
    AlreadyCharged,
    /// No open session has the id (an update).
    NotFound,
    /// `max_open` sessions are open.
    TooMany,
}
