//! `POST /v1/sessions` `{"id":"c-1","account":"alice","number":"37061234567"}` (`card`
//! instead of `account`; `start` optional, default now): opens a session for a call about to
//! be connected. The rate is found as `/v1/authorize` finds it; the ledger grants the longest
//! call (up to `grant_s`) that the payer's money not held by its other calls pays for, and
//! holds its price.

use super::super::calls::{checked_id, checked_number, CallIn};
use super::super::decode::{self, required_str, Scalar};
use super::super::errors::Failure;
use super::super::{ledger_account, payer, JsonRequest};
use super::{answer, refused};
use crate::accounts::Accounts;
use crate::artifact::Artifact;
use crate::ledger::{Commit, OpenSession, SessionOp, Submission};
use crate::money::Decimal;
use crate::mor_api::ApiSettings;
use crate::rating::{self, RatingError};
use crate::time::Timestamp;

/// Answers `/v1/sessions`: 400 for a missing or invalid field, 404 for an unknown payer,
/// then 200 with the grant or the refusal (`rate not found` too), 409 for an id already
/// charged, 503 when `max_open` sessions are open or the ledger cannot write.
pub fn run(
    artifact: &Artifact,
    accounts: &Accounts,
    settings: &ApiSettings,
    request: &JsonRequest<'_>,
    ledger: &dyn Commit,
    out: &mut Vec<u8>,
) -> Result<(), Failure> {
    // A start is a call without its billsec (one sent is not read).
    let body: CallIn<'_> = decode::body(request.body)?;
    let id = checked_id(&body)?;
    let named = decode::one_of(
        ("account", body.account.as_ref()),
        ("card", body.card.as_ref()),
    )?;
    let number = checked_number(&body)?;
    let start = match body.start.as_ref() {
        None | Some(Scalar::Null) => request.now,
        Some(start) => decode::time("start", required_str("start", Some(start))?.as_bytes())?,
    };
    let payer = payer(accounts, named).map_err(Failure::not_found)?;
    let rating = match rating::rate(
        artifact,
        accounts,
        payer,
        &settings.numbers,
        number.as_bytes(),
        start,
    ) {
        Ok(rating) => rating,
        Err(error @ (RatingError::RateNotFound | RatingError::UnknownCurrency { .. })) => {
            refused(id, &error.to_string(), out);
            return Ok(());
        }
    };
    let (account, cell) = ledger_account(payer);
    let session = OpenSession {
        id: id.to_owned(),
        account,
        number: number.to_owned(),
        start,
        prefix: String::from_utf8_lossy(rating.prefix()).into_owned(),
        destination: String::from_utf8_lossy(rating.destination()).into_owned(),
        currency: rating.currency().to_owned(),
        terms: rating.terms,
        exchange_rate: rating.exchange_rate,
        limit: payer.limit(),
        used_s: 0,
        granted_s: 0,
        final_grant: false,
        reserved: Decimal::ZERO,
        expires: Timestamp(0),
    };
    let op = SessionOp::Start {
        session: Box::new(session),
        cell,
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
