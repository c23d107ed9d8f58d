//! `POST /v1/sessions/end` `{"id":"c-1","billsec":65}`: the call is over. The ledger charges
//! it as `/v1/calls` charges a call, priced at the session's start with its terms (even past
//! what was granted: the call has happened), and releases what it held, in one durable
//! commit. The answer is `/v1/calls`' result object; a second end answers the stored charge
//! with `"duplicate":true`.
//!
//! An id without an open session is charged as `/v1/calls` would when the end also says
//! `account` (or `card`), `number` and `start`; without them it answers its stored charge,
//! or 404 `session not found`.

use std::borrow::Cow;

use super::super::calls::{
    charged, checked_id, checked_number, price, CallIn, CallResult, Valid, MAX_BILLSEC,
};
use super::super::decode::{self, required_str, Scalar};
use super::super::errors::{self, Failure};
use super::super::{write_json, JsonRequest, JsonStatus};
use super::seconds;
use crate::accounts::Accounts;
use crate::artifact::Artifact;
use crate::ledger::{Applied, Commit, SessionOp, Submission};
use crate::lookup::NumberRules;

/// Answers `/v1/sessions/end`: 400 for a missing or invalid field, 404 for an id with no
/// session and no charge (and nothing to charge it with), 503 when the ledger cannot write;
/// else 200 with the call's result.
pub fn run(
    artifact: &Artifact,
    accounts: &Accounts,
    rules: &NumberRules,
    request: &JsonRequest<'_>,
    ledger: &dyn Commit,
    out: &mut Vec<u8>,
) -> Result<(), Failure> {
    let body: CallIn<'_> = decode::body(request.body)?;
    let id = checked_id(&body)?;
    let billsec = seconds("billsec", body.billsec.as_ref(), MAX_BILLSEC)?;
    let given = |value: &Option<Scalar<'_>>| !matches!(value, None | Some(Scalar::Null));
    let fallback = if [&body.account, &body.card, &body.number, &body.start]
        .into_iter()
        .any(given)
    {
        let payer = decode::one_of(
            ("account", body.account.as_ref()),
            ("card", body.card.as_ref()),
        )?;
        let number = checked_number(&body)?;
        let start = decode::time(
            "start",
            required_str("start", body.start.as_ref())?.as_bytes(),
        )?;
        let call = Valid {
            id,
            payer,
            number,
            start,
            billsec,
        };
        // A call that cannot be priced is charged nothing: the end then answers as the
        // session (if open) or the stored charge does, or with this error.
        price(artifact, accounts, rules, &call).ok().map(Box::new)
    } else {
        None
    };
    let op = SessionOp::End {
        id: id.to_owned(),
        billsec,
        fallback,
    };
    let currency = accounts.currencies.default_currency().code.as_str();
    let outcome = ledger.commit(vec![Submission::Session(op)]).pop();
    let result = match &outcome {
        Some(Applied::Done(entry)) => charged(id, entry, currency, false),
        Some(Applied::Duplicate(entry)) => charged(id, entry, currency, true),
        Some(Applied::Refused(error)) if error == errors::SESSION_NOT_FOUND => {
            return Err(Failure::not_found(errors::SESSION_NOT_FOUND))
        }
        Some(Applied::Refused(error)) => CallResult::Error {
            id: Some(id),
            error: Cow::Borrowed(error),
        },
        _ => {
            return Err(Failure::new(
                JsonStatus::Unavailable,
                errors::LEDGER_UNAVAILABLE,
            ))
        }
    };
    write_json(out, &result);
    Ok(())
}
