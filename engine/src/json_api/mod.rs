//! Ratel's own JSON API (docs/api.md, "JSON API"): `/v1/rates`, `/v1/authorize`,
//! `/v1/calls`, `/v1/balance` and the sessions of calls in progress (`/v1/sessions`,
//! `/v1/sessions/update`, `/v1/sessions/end`), for softswitches and scripts. Plain functions like
//! [`crate::mor_api`]: the data, the settings and the decoded request in, a status and a JSON
//! body out; HTTP stays in the server.
//!
//! One file per endpoint; this file only dispatches. What they share has a file each: the
//! gate every request passes (`gate`: token, path, method, in that order), the payer named by
//! `account` or `card` (`payers`), the way money and text are written (`write`: money as
//! strings, rates and fees as the deck's canonical decimal, costs and balances with exactly 6
//! places), errors and statuses (`errors`), body decoding (`decode`). Pricing is
//! [`crate::rating`]'s, never redone here.

pub mod authorize;
pub mod balance;
pub mod calls;
pub mod decode;
mod endpoint;
pub mod errors;
mod gate;
mod payers;
pub mod rates;
mod request;
pub mod sessions;
#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;
mod write;

pub use endpoint::{is_json_api_path, Endpoint};
pub use errors::{Failure, JsonStatus};
pub use gate::{authorized, route};
pub(crate) use payers::{ledger_account, payer, payer_of_params, payer_param};
pub use request::JsonRequest;
pub(crate) use write::{write_json, write_results, Canonical, Money, Text};

use crate::accounts::Accounts;
use crate::artifact::Artifact;
use crate::ledger::Commit;
use crate::mor_api::ApiSettings;

/// Runs `endpoint` (already through [`route`]) and writes its JSON body into `out`.
pub fn respond(
    endpoint: Endpoint,
    artifact: &Artifact,
    accounts: &Accounts,
    settings: &ApiSettings,
    request: &JsonRequest<'_>,
    ledger: &dyn Commit,
    out: &mut Vec<u8>,
) -> JsonStatus {
    let result = match endpoint {
        Endpoint::Rates => rates::run(artifact, accounts, &settings.numbers, request, out),
        Endpoint::Authorize => authorize::run(artifact, accounts, settings, request, out),
        Endpoint::Calls => calls::run(artifact, accounts, &settings.numbers, request, ledger, out),
        Endpoint::Balance => balance::run(accounts, request, out),
        Endpoint::Sessions => {
            sessions::start::run(artifact, accounts, settings, request, ledger, out)
        }
        Endpoint::SessionsUpdate => sessions::update::run(accounts, settings, request, ledger, out),
        Endpoint::SessionsEnd => {
            sessions::end::run(artifact, accounts, &settings.numbers, request, ledger, out)
        }
    };
    match result {
        Ok(()) => JsonStatus::Ok,
        Err(failure) => {
            out.clear();
            failure.write(out)
        }
    }
}
