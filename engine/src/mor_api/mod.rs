//! The MOR billing API and Arrow Billing `balance.php` as plain functions: a snapshot, the
//! API settings and the decoded request in, a typed answer or a [`Failure`] out. HTTP never
//! reaches this module and bytes never reach the logic: each endpoint's `write` turns its
//! answer into the exact body docs/api.md prescribes.
//!
//! One file per endpoint, named as MOR names it; this file only dispatches. What they share
//! has a file each: the request (`request`), the settings (`settings`), the endpoint names
//! (`endpoint`), the checks (`checks`: API enabled, GET allowed, request hash, so that their
//! order and wording cannot drift between endpoints), the errors (`errors`) and how answers
//! are written (`answer`).

mod answer;
pub mod balance_php;
pub mod calling_cards_get;
pub mod card_balance_get;
pub mod card_payment_add;
mod checks;
mod endpoint;
pub mod errors;
pub mod rate_get;
mod request;
mod settings;
#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;
pub mod user_balance_get;
pub mod user_balance_update;
pub mod user_simple_balance_get;

pub(crate) use answer::write_page;
pub use answer::{write_failure, Amount, ContentType, Counted};
pub(crate) use checks::{
    check_enabled, check_get, check_hash, decimal_param, requested_currency, signed_caller,
    user_currency,
};
pub use endpoint::Endpoint;
pub use errors::{ApiError, Envelope, Failure};
pub use request::{Method, MorRequest, Params};
pub use settings::ApiSettings;

use crate::accounts::Accounts;

/// Runs `endpoint` on the data and writes its body into `out`; returns the content type.
/// Whether the answer was a success is not the caller's business beyond metrics, which
/// `Counted` reports.
pub fn respond(
    endpoint: Endpoint,
    artifact: &crate::artifact::Artifact,
    accounts: &Accounts,
    settings: &ApiSettings,
    request: &MorRequest<'_>,
    ledger: &dyn crate::ledger::Commit,
    out: &mut Vec<u8>,
) -> (ContentType, Counted) {
    // The read endpoints answer from the balances the accounts carry; only the write
    // endpoints commit.
    fn outcome<T, E>(result: &Result<T, E>) -> Counted {
        if result.is_ok() {
            Counted::Answered
        } else {
            Counted::Refused
        }
    }
    match endpoint {
        Endpoint::UserSimpleBalanceGet => {
            let result = user_simple_balance_get::run(accounts, settings, request);
            (
                user_simple_balance_get::write(out, &result),
                outcome(&result),
            )
        }
        Endpoint::UserBalanceGet => {
            let result = user_balance_get::run(accounts, settings, request);
            (user_balance_get::write(out, &result), outcome(&result))
        }
        Endpoint::RateGet => {
            let result = rate_get::run(artifact, accounts, settings, request);
            (rate_get::write(out, &result), outcome(&result))
        }
        Endpoint::CallingCardsGet => {
            let result = calling_cards_get::run(accounts, settings, request);
            (calling_cards_get::write(out, &result), outcome(&result))
        }
        Endpoint::CardBalanceGet => {
            let result = card_balance_get::run(accounts, settings, request);
            (card_balance_get::write(out, &result), outcome(&result))
        }
        Endpoint::BalancePhp => {
            let result = balance_php::run(accounts, settings, request);
            (balance_php::write(out, &result), outcome(&result))
        }
        Endpoint::UserBalanceUpdate => {
            let result = user_balance_update::run(accounts, settings, request, ledger);
            (user_balance_update::write(out, &result), outcome(&result))
        }
        Endpoint::CardPaymentAdd => {
            let result = card_payment_add::run(accounts, settings, request, ledger);
            (card_payment_add::write(out, &result), outcome(&result))
        }
    }
}
