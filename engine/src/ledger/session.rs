//! Calls in progress (docs/api.md, "Sessions"): money reserved while a prepaid call runs, so
//! that a payer's simultaneous calls cannot spend one balance twice (MOR freezes it the same
//! way). The committer alone opens, extends and closes sessions, in the same transactions as
//! the ledger's entries, so a grant is decided against every reservation before it and is
//! durable before it is answered.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use crate::accounts::{Account, BalanceCell};
use crate::cost::{self, CostError, Terms};
use crate::money::Decimal;
use crate::time::Timestamp;

/// One open session: what it was priced with, what it was granted and holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenSession {
    /// The call's id (its `call` entry's reference once charged).
    pub id: String,
    pub account: Account,
    /// The number called, as sent.
    pub number: String,
    /// The call's start: it is priced at this time, with these terms, when it ends.
    pub start: Timestamp,
    pub prefix: String,
    pub destination: String,
    /// The rate's currency.
    pub currency: String,
    pub terms: Terms,
    /// Units of the rate's currency per unit of the default currency.
    pub exchange_rate: Decimal,
    /// What the payer may spend beyond its balance, as it was when the session started: a
    /// user's credit, minus a card's `min_balance`; `None` for unlimited credit.
    pub limit: Option<Decimal>,
    /// Seconds the call had lasted when the last grant was made (0 for the first).
    pub used_s: u32,
    /// Seconds granted beyond `used_s`.
    pub granted_s: u32,
    /// Whether the last grant was cut short (by money or `max_call_seconds`).
    pub final_grant: bool,
    /// The price of `used_s + granted_s`, in the default currency: what the session holds.
    pub reserved: Decimal,
    /// When the server closes it if no update or end comes: the grant's end plus `grace_s`.
    pub expires: Timestamp,
}

impl OpenSession {
    /// The seconds the session may have lasted at most: what an expiry charges.
    pub fn granted_total(&self) -> i64 {
        i64::from(self.used_s) + i64::from(self.granted_s)
    }
}

/// The `[sessions]` section of `ratel.toml` (docs/config.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionLimits {
    /// Seconds one grant covers at most; 0: `max_call_seconds` (one grant a call, as MOR).
    pub grant_s: u32,
    /// How long past its grant a silent session stays open, in seconds.
    pub grace_s: u32,
    /// Open sessions at most; beyond it a start answers 503.
    pub max_open: usize,
}

impl Default for SessionLimits {
    fn default() -> SessionLimits {
        SessionLimits {
            grant_s: 0,
            grace_s: 60,
            max_open: 1_000_000,
        }
    }
}

/// The `[sessions]` settings a session request carries to the committer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionSettings {
    /// Seconds one grant covers at most; 0: `max_call_seconds` (one grant a call).
    pub grant_s: u32,
    /// How long past its grant a silent session stays open.
    pub grace_s: u32,
    /// Open sessions at most.
    pub max_open: usize,
    /// The longest call, in seconds.
    pub max_call_seconds: u32,
}

/// Why a session gets no grant, as the answer says it.
pub const INSUFFICIENT_BALANCE: &str = "insufficient balance";
/// Why a session gets no grant when its balance alone would have paid for one.
pub const RESERVED_BY_CALLS: &str = "balance reserved by calls in progress";
/// Why an update gets no more seconds: the call has lasted `max_call_seconds` already.
pub const LONGEST_CALL_REACHED: &str = "the longest call is reached";
/// Why an end or an update names no session (and no charged call).
pub const SESSION_NOT_FOUND: &str = "session not found";
/// Why a session gets no grant when its price cannot be worked out within range.
pub const COST_OUT_OF_RANGE: &str = "the cost is out of range";

/// What a store writes for sessions in a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionWrite {
    /// Open or replace the session.
    Put(Box<OpenSession>),
    /// Close the session with this id, of this payer.
    Remove(String, Account),
}

/// A grant worked out: the seconds, whether it is final, what it reserves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Grant {
    pub(crate) granted_s: u32,
    pub(crate) final_grant: bool,
    pub(crate) reserved: Decimal,
}

/// The grant for a call `used_s` seconds long so far, priced with `terms`: the largest
/// `s ≤ grant_s` (0: `max_call_seconds`), and within `max_call_seconds` in all, whose price of
/// `used_s + s` is at most `balance + limit − reserved_by_others` (all of it without a limit).
/// `Err` is the refusal: [`RESERVED_BY_CALLS`] when the balance without the other sessions'
/// reservations would have paid for a second, else [`INSUFFICIENT_BALANCE`].
pub(crate) fn grant(
    terms: &Terms,
    exchange_rate: Decimal,
    balance: Decimal,
    limit: Option<Decimal>,
    reserved_by_others: Decimal,
    used_s: u32,
    settings: SessionSettings,
) -> Result<Grant, &'static str> {
    let per_grant = if settings.grant_s == 0 {
        settings.max_call_seconds
    } else {
        settings.grant_s.min(settings.max_call_seconds)
    };
    let cap = per_grant.min(settings.max_call_seconds.saturating_sub(used_s));
    if cap == 0 && per_grant > 0 {
        return Err(LONGEST_CALL_REACHED);
    }
    let out_of_range = |_: CostError| COST_OUT_OF_RANGE;
    let granted_s = match limit {
        None => (cap > 0).then_some(cap),
        Some(limit) => {
            let available = [balance, limit, reserved_by_others.negated()];
            cost::max_seconds_after(terms, &available, exchange_rate, used_s, cap)
                .map_err(out_of_range)?
        }
    };
    let Some(granted_s) = granted_s else {
        let alone = limit.map_or(Ok(None), |limit| {
            cost::max_seconds_after(terms, &[balance, limit], exchange_rate, used_s, cap)
        });
        return Err(match alone {
            Ok(Some(_)) if !reserved_by_others.is_zero() => RESERVED_BY_CALLS,
            _ => INSUFFICIENT_BALANCE,
        });
    };
    let total = i64::from(used_s) + i64::from(granted_s);
    let reserved = cost::price(terms, total, exchange_rate)
        .map_err(out_of_range)?
        .cost;
    Ok(Grant {
        granted_s,
        final_grant: granted_s < per_grant
            || u64::from(used_s) + u64::from(granted_s) >= u64::from(settings.max_call_seconds),
        reserved,
    })
}

/// The open sessions, as the committer holds them between commits: by id, by expiry, the
/// money each payer's sessions reserve, and the payers' live balances.
#[derive(Debug, Default)]
pub(crate) struct SessionBook {
    open: HashMap<String, OpenSession>,
    by_expiry: BTreeSet<(Timestamp, String)>,
    reserved: HashMap<Account, Decimal>,
    cells: HashMap<Account, Arc<BalanceCell>>,
}

impl SessionBook {
    /// The sessions a store held when opened, with the live balances of their payers.
    pub(crate) fn load(
        sessions: Vec<OpenSession>,
        cells: &HashMap<Account, Arc<BalanceCell>>,
    ) -> SessionBook {
        let mut book = SessionBook::default();
        for session in sessions {
            if let Some(cell) = cells.get(&session.account) {
                book.cells.insert(session.account, Arc::clone(cell));
            }
            book.put(session);
        }
        for (account, reserved) in &book.reserved {
            if let Some(cell) = book.cells.get(account) {
                cell.set_reserved(*reserved);
            }
        }
        book
    }

    pub(crate) fn len(&self) -> usize {
        self.open.len()
    }

    pub(crate) fn get(&self, id: &str) -> Option<&OpenSession> {
        self.open.get(id)
    }

    /// The money `account`'s open sessions reserve.
    pub(crate) fn reserved(&self, account: Account) -> Decimal {
        self.reserved
            .get(&account)
            .copied()
            .unwrap_or(Decimal::ZERO)
    }

    /// The live balance of `account`, if a session of it was ever seen.
    pub(crate) fn cell(&self, account: Account) -> Option<&Arc<BalanceCell>> {
        self.cells.get(&account)
    }

    /// Remembers `account`'s live balance.
    pub(crate) fn remember_cell(&mut self, account: Account, cell: &Arc<BalanceCell>) {
        self.cells
            .entry(account)
            .or_insert_with(|| Arc::clone(cell));
    }

    /// Opens or replaces a session.
    pub(crate) fn put(&mut self, session: OpenSession) {
        self.remove(&session.id);
        let total = self.reserved(session.account).checked_add(session.reserved);
        self.reserved
            .insert(session.account, total.unwrap_or(Decimal::ZERO));
        self.by_expiry.insert((session.expires, session.id.clone()));
        self.open.insert(session.id.clone(), session);
    }

    /// Closes a session; what it was.
    pub(crate) fn remove(&mut self, id: &str) -> Option<OpenSession> {
        let session = self.open.remove(id)?;
        self.by_expiry
            .remove(&(session.expires, session.id.clone()));
        let left = self
            .reserved(session.account)
            .checked_add(session.reserved.negated())
            .unwrap_or(Decimal::ZERO);
        if left.is_zero() {
            self.reserved.remove(&session.account);
        } else {
            self.reserved.insert(session.account, left);
        }
        Some(session)
    }

    /// Closes every session of `accounts` (another server changed them: what it holds now
    /// is put back).
    pub(crate) fn close_all_of(&mut self, accounts: &std::collections::HashSet<Account>) {
        if accounts.is_empty() {
            return;
        }
        let ids: Vec<String> = self
            .open
            .values()
            .filter(|session| accounts.contains(&session.account))
            .map(|session| session.id.clone())
            .collect();
        for id in ids {
            self.remove(&id);
        }
    }

    /// The ids of sessions due to expire at `now`, at most `limit`.
    pub(crate) fn due(&self, now: Timestamp, limit: usize) -> Vec<String> {
        self.by_expiry
            .iter()
            .take_while(|(expires, _)| *expires <= now)
            .take(limit)
            .map(|(_, id)| id.clone())
            .collect()
    }

    /// Sets the reserved money of `accounts` on their live balances (after a commit).
    pub(crate) fn publish(&self, accounts: impl IntoIterator<Item = Account>) {
        for account in accounts {
            if let Some(cell) = self.cells.get(&account) {
                cell.set_reserved(self.reserved(account));
            }
        }
    }
}

#[cfg(test)]
mod tests;
