//! What kind of change an entry is, and the key a repeated change is recognised by.

use crate::accounts::Account;

/// What an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// The balance the files gave an account the first time the ledger saw it.
    Opening,
    /// `user_balance_update`.
    Adjustment,
    /// `card_payment_add`.
    CardPayment,
    /// A charged call (`/v1/calls`).
    Call,
}

impl Kind {
    /// The name stored in the ledger.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Opening => "opening",
            Kind::Adjustment => "adjustment",
            Kind::CardPayment => "card_payment",
            Kind::Call => "call",
        }
    }

    /// The kind a stored name stands for.
    pub fn from_name(name: &str) -> Option<Kind> {
        [
            Kind::Opening,
            Kind::Adjustment,
            Kind::CardPayment,
            Kind::Call,
        ]
        .into_iter()
        .find(|kind| kind.name() == name)
    }
}

/// The key a change is applied at most once by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RefKey {
    /// A call's id: unique across the ledger.
    Call(String),
    /// An adjustment's reference: unique within its account.
    Adjustment(Account, String),
}

impl RefKey {
    /// The key of a change of `kind` to `account` with `reference`; none when the reference
    /// is empty or the kind has no idempotency key (openings, card payments: MOR has none).
    pub fn of(kind: Kind, account: Account, reference: &str) -> Option<RefKey> {
        if reference.is_empty() {
            return None;
        }
        match kind {
            Kind::Call => Some(RefKey::Call(reference.to_owned())),
            Kind::Adjustment => Some(RefKey::Adjustment(account, reference.to_owned())),
            Kind::Opening | Kind::CardPayment => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_and_kinds_round_trip_through_their_stored_names() {
        for account in [Account::User(0), Account::Card(26), Account::User(u64::MAX)] {
            assert_eq!(account.to_string().parse::<Account>(), Ok(account));
        }
        for bad in ["user:", "card:x", "user3", "group:1", "user:-1"] {
            assert!(bad.parse::<Account>().is_err(), "{bad}");
        }
        for kind in [
            Kind::Opening,
            Kind::Adjustment,
            Kind::CardPayment,
            Kind::Call,
        ] {
            assert_eq!(Kind::from_name(kind.name()), Some(kind));
        }
        assert_eq!(Kind::from_name("refund"), None);
    }

    #[test]
    fn calls_are_keyed_across_the_ledger_and_adjustments_within_an_account() {
        let (alice, bob) = (Account::User(3), Account::User(4));
        assert_eq!(
            RefKey::of(Kind::Call, alice, "c-1"),
            RefKey::of(Kind::Call, bob, "c-1")
        );
        assert_ne!(
            RefKey::of(Kind::Adjustment, alice, "r-1"),
            RefKey::of(Kind::Adjustment, bob, "r-1")
        );
        assert_eq!(RefKey::of(Kind::Adjustment, alice, ""), None);
        assert_eq!(RefKey::of(Kind::CardPayment, Account::Card(26), "x"), None);
        assert_eq!(RefKey::of(Kind::Opening, alice, "x"), None);
    }
}
