//! The payer a request names: a user by `account` (its username) or a card by `card` (its
//! number), and its key and balance cell in the ledger.

use std::sync::Arc;

use super::errors::{self, Failure};
use crate::accounts::{Account, Accounts, BalanceCell};
use crate::mor_api::Params;
use crate::rating::Payer;

/// The payer `account` (a username) or `card` (a card number) names.
pub(crate) fn payer<'a>(
    accounts: &'a Accounts,
    (which, name): (usize, &str),
) -> Result<Payer<'a>, &'static str> {
    if which == 0 {
        accounts
            .user_by_username(name)
            .map(Payer::User)
            .ok_or(errors::ACCOUNT_NOT_FOUND)
    } else {
        accounts
            .card_by_number(name)
            .map(Payer::Card)
            .ok_or(errors::CARD_NOT_FOUND)
    }
}

/// The ledger account a payer's changes go to, and its live balance.
pub(crate) fn ledger_account(payer: Payer<'_>) -> (Account, Arc<BalanceCell>) {
    match payer {
        Payer::User(user) => (Account::User(user.id), std::sync::Arc::clone(&user.live)),
        Payer::Card(card) => (Account::Card(card.id), std::sync::Arc::clone(&card.live)),
    }
}

/// Which payer a GET request names: exactly one of `account` and `card`, as text.
pub(crate) fn payer_param(params: &Params) -> Result<(usize, &str), Failure> {
    let text = |name: &'static str| -> Result<Option<&str>, String> {
        match params.get(name) {
            None => Ok(None),
            Some(bytes) => std::str::from_utf8(bytes)
                .map(Some)
                .map_err(|_| format!("{name} must be UTF-8 text")),
        }
    };
    match (text("account")?, text("card")?) {
        (Some(name), None) => Ok((0, name)),
        (None, Some(number)) => Ok((1, number)),
        (Some(_), Some(_)) => Err("give account or card, not both".to_owned().into()),
        (None, None) => Err("account or card is required".to_owned().into()),
    }
}

/// The payer a GET request's `account` or `card` names (exactly one), or the failure.
pub(crate) fn payer_of_params<'a>(
    accounts: &'a Accounts,
    params: &Params,
) -> Result<Payer<'a>, Failure> {
    payer(accounts, payer_param(params)?).map_err(Failure::not_found)
}
