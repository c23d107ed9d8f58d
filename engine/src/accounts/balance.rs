//! One account's balance as the read endpoints see it: the ledger's committer is its only
//! writer, and writes it only after the change is durable, so a reader never sees a balance
//! that a crash could take back.

use std::sync::{Arc, Mutex, PoisonError};

use crate::money::Decimal;

/// A balance and its nearest `f64` (card balances are printed the way MOR prints a Float),
/// and the money its calls in progress hold (sessions), kept together so a reader gets them
/// from one moment.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Value {
    exact: Decimal,
    float: f64,
    reserved: Decimal,
}

/// One account's live balance. Shared by every snapshot that holds the account: a reload
/// builds new accounts around the same cells, so balances never go back to a file's value.
#[derive(Debug)]
pub struct BalanceCell {
    value: Mutex<Value>,
}

impl BalanceCell {
    /// A cell holding `balance`.
    pub fn new(balance: Decimal) -> Arc<BalanceCell> {
        Arc::new(BalanceCell {
            value: Mutex::new(Value {
                exact: balance,
                float: balance.to_f64(),
                reserved: Decimal::ZERO,
            }),
        })
    }

    /// The balance now, exact.
    pub fn get(&self) -> Decimal {
        self.read().exact
    }

    /// The balance now as the nearest `f64`.
    pub fn get_f64(&self) -> f64 {
        self.read().float
    }

    /// The balance and the money reserved by the account's open sessions, of one moment.
    pub fn get_with_reserved(&self) -> (Decimal, Decimal) {
        let value = self.read();
        (value.exact, value.reserved)
    }

    /// Replaces the balance (the committer, after a commit).
    pub(crate) fn set(&self, balance: Decimal) {
        let float = balance.to_f64();
        let mut value = self.value.lock().unwrap_or_else(PoisonError::into_inner);
        value.exact = balance;
        value.float = float;
    }

    /// Replaces the balance and the money reserved by open sessions at once (the committer,
    /// after a commit that moved both): a reader never sees one without the other.
    pub(crate) fn set_with_reserved(&self, balance: Decimal, reserved: Decimal) {
        let float = balance.to_f64();
        let mut value = self.value.lock().unwrap_or_else(PoisonError::into_inner);
        value.exact = balance;
        value.float = float;
        value.reserved = reserved;
    }

    /// Replaces the money reserved by open sessions (the committer, after a commit).
    pub(crate) fn set_reserved(&self, reserved: Decimal) {
        self.value
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .reserved = reserved;
    }

    fn read(&self) -> Value {
        // A panic elsewhere while holding the lock cannot leave a half-written `Value`
        // (it is written whole), so a poisoned lock still holds a valid balance.
        *self.value.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_answers_what_was_last_set() {
        let cell = BalanceCell::new(Decimal::parse("10.0840336134454", false).unwrap());
        assert_eq!(cell.get_f64(), 10.0840336134454);
        cell.set(Decimal::parse("-0.5", true).unwrap());
        assert_eq!(
            (cell.get().to_string(), cell.get_f64()),
            ("-0.5".into(), -0.5)
        );
    }
}
