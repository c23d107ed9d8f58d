//! `POST /v1/sessions/update` `{"id":"c-1","used_s":290}`: the call is still up after
//! `used_s` seconds; the ledger grants up to `grant_s` more seconds beyond them, under the
//! start's rule (the session then holds the price of `used_s` and the new grant). Priced
//! with the terms and the payer's limit of the start.

use serde::Deserialize;

use super::super::calls::check_id;
use super::super::decode::{self, required_str, Scalar};
use super::super::errors::Failure;
use super::super::JsonRequest;
use super::{answer, seconds};
use crate::accounts::Accounts;
use crate::ledger::{Commit, SessionOp, Submission};
use crate::mor_api::ApiSettings;

#[derive(Deserialize)]
#[serde(expecting = "an update: an object with id and used_s")]
struct Body<'a> {
    #[serde(borrow)]
    id: Option<Scalar<'a>>,
    #[serde(borrow)]
    used_s: Option<Scalar<'a>>,
}

/// Answers `/v1/sessions/update`: 400 for a missing or invalid field, 404 for an id with no
/// open session, else as a start answers.
pub fn run(
    accounts: &Accounts,
    settings: &ApiSettings,
    request: &JsonRequest<'_>,
    ledger: &dyn Commit,
    out: &mut Vec<u8>,
) -> Result<(), Failure> {
    let body: Body<'_> = decode::body(request.body)?;
    let id = required_str("id", body.id.as_ref())?;
    check_id(id)?;
    let used_s = seconds("used_s", body.used_s.as_ref(), i64::from(u32::MAX))?;
    let op = SessionOp::Update {
        id: id.to_owned(),
        used_s: u32::try_from(used_s).unwrap_or(u32::MAX),
        settings: settings.session_settings(),
    };
    let outcome = ledger.commit(vec![Submission::Session(op)]).pop();
    answer(
        id,
        outcome,
        &accounts.currencies.default_currency().code,
        out,
    )
}
