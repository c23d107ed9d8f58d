//! `user_balance_update` (alias `user_balance_change`, docs/api.md): adds `balance` (a decimal
//! that may be negative) to a user the caller owns, signed with SHA1(user_id + balance + key).
//! The change is an `adjustment` entry of the ledger, durable before the answer; an optional
//! `reference` (a Ratel extension, not hashed) makes a repeat answer the first page without
//! applying anything again.

use std::sync::Arc;

use super::{
    check_enabled, check_get, decimal_param, signed_caller, write_page, ApiError, ApiSettings,
    ContentType, Failure, MorRequest,
};
use crate::accounts::Account;
use crate::accounts::{Accounts, User};
use crate::ledger::{Applied, Change, Commit, Kind, Submission};
use crate::money::{write_ruby_float, Decimal};

/// The status of a success.
pub const UPDATED: &str = "User balance updated";

/// The longest `reference` accepted, in bytes (as a call's id in the JSON API).
pub const MAX_REFERENCE: usize = 128;

/// An applied (or, for a repeated reference, already applied) change.
#[derive(Debug, Clone, Copy)]
pub struct Updated<'a> {
    pub user: &'a User,
    /// The balance right after the change (for a repeat: after the first one).
    pub balance: Decimal,
}

/// Answers `user_balance_update`. The checks run in this order, and the first that fails is
/// the answer (docs/api.md; part of the MOR contract):
///
/// 1. `api.enabled`: `<status>API Requests are disabled`;
/// 2. `allow_get` for a GET: `<status>GET Requests are disabled`;
/// 3. `u` names a user: `<page>Bad login`;
/// 4. the hash over `user_id` then `balance`, under the secret or the caller's reseller's
///    `api_key`: `<status>API must have Secret Key` (empty `secret_key`), then
///    `<status>Incorrect hash`; skipped with `disable_hash_check`;
/// 5. `payments_over_api`: `<page>Feature disabled`;
/// 6. `user_id` is a user whose `owner_id` is the caller's id, written in plain digits with
///    no leading zero: `<page>User was not found`;
/// 7. `balance` is a decimal (and `reference`, if sent, at most [`MAX_REFERENCE`] bytes of
///    UTF-8): `<page>User balance not updeted`;
/// 8. the ledger applies it: `<page>User balance not updeted` when the new balance would not
///    fit 38 digits or the store failed (nothing was applied; the committer logs why).
pub fn run<'a>(
    accounts: &'a Accounts,
    settings: &ApiSettings,
    request: &MorRequest<'_>,
    ledger: &dyn Commit,
) -> Result<Updated<'a>, Failure> {
    check_enabled(settings)?;
    check_get(settings, request.method)?;
    let params = request.params;
    let caller = signed_caller(
        settings,
        accounts,
        params,
        Failure::page(ApiError::BadLogin),
        &[
            params.get("user_id").unwrap_or_default(),
            params.get("balance").unwrap_or_default(),
        ],
    )?;
    if !settings.payments_over_api {
        return Err(Failure::page(ApiError::FeatureDisabled));
    }
    let user = params
        .text("user_id")
        // Digits only (`parse` alone would take "+3" for 3), and no leading zero: the hash
        // joins the values with nothing between, so "0" + "310" must not sign "03" + "10".
        .filter(|id| id.bytes().all(|b| b.is_ascii_digit()))
        .filter(|id| *id == "0" || !id.starts_with('0'))
        .and_then(|id| id.parse::<u64>().ok())
        .and_then(|id| accounts.user_by_id(id))
        .filter(|user| user.owner_id == caller.id)
        .ok_or(Failure::page(ApiError::UserNotFound))?;
    let not_updated = Failure::page(ApiError::BalanceNotUpdated);
    let amount = decimal_param(params, "balance", true).ok_or(not_updated)?;
    let reference = match params.get("reference") {
        None => "",
        Some(bytes) if bytes.len() <= MAX_REFERENCE => {
            std::str::from_utf8(bytes).map_err(|_| not_updated)?
        }
        Some(_) => return Err(not_updated),
    };
    let change = Change {
        account: Account::User(user.id),
        cell: Arc::clone(&user.live),
        amount,
        kind: Kind::Adjustment,
        reference: reference.to_owned(),
        description: String::new(),
        call: None,
    };
    match ledger.commit(vec![Submission::Change(change)]).pop() {
        // A repeated reference answers the page of the change it repeats, byte for byte.
        Some(Applied::Done(entry) | Applied::Duplicate(entry)) => Ok(Updated {
            user,
            balance: entry.balance_after,
        }),
        Some(Applied::Refused(_) | Applied::Failed(_) | Applied::Session(_)) | None => {
            Err(not_updated)
        }
    }
}

/// `<page><page>` holding the status and the user with its new balance, or the failure.
pub fn write(out: &mut Vec<u8>, result: &Result<Updated<'_>, Failure>) -> ContentType {
    write_page(out, result, |xml, updated| {
        xml.open("page");
        xml.text("status", UPDATED.as_bytes());
        xml.open("user");
        xml.text("username", updated.user.username.as_bytes());
        xml.with("id", |out| {
            out.extend_from_slice(itoa::Buffer::new().format(updated.user.id).as_bytes())
        });
        xml.with("balance", |out| {
            write_ruby_float(out, updated.balance.to_f64())
        });
        xml.close("user");
        xml.close("page");
    })
}

#[cfg(test)]
mod tests;
