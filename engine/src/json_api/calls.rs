//! `POST /v1/calls`: charge finished calls, each exactly once (its `id` is the idempotency
//! key across the ledger).
//!
//! Every call of a batch is checked, rated and priced on its own ([`crate::rating`]), then the
//! whole batch goes to the ledger in ONE commit: priced calls as `call` entries of `-cost`,
//! calls that could not be priced as [`Submission::Unpriced`] with their id, so that an id
//! charged before answers its stored result even when its account or rate has since gone.
//! Calls with an invalid field are answered without reaching the ledger. The answer is
//! written only after the commit is durable.
//!
//! Credit and `min_balance` limit what `/v1/authorize` allows, never a charge: the call has
//! happened, so a balance may go below zero (or below `-credit`).

use std::borrow::Cow;

use serde::{Deserialize, Deserializer, Serialize};

use super::decode::{self, required_str, Scalar};
use super::errors::{self, Failure};
use super::{payer, write_results, JsonRequest, JsonStatus, Money};
use crate::accounts::Account;
use crate::accounts::Accounts;
use crate::artifact::Artifact;
use crate::ledger::{Applied, CallDetail, Change, Commit, Entry, Kind, RefKey, Submission};
use crate::lookup::NumberRules;
use crate::rating;
use crate::time::Timestamp;

/// Calls one request may carry.
pub const MAX_CALLS: usize = 1_000;

/// Longest call id.
pub const MAX_ID_LEN: usize = 128;

/// Longest `number` as sent (it is kept with the entry); matching uses its first 20 digits.
pub const MAX_NUMBER_LEN: usize = 64;

/// Longest call charged, in seconds (30 days): a CDR claiming more is a broken CDR, and its
/// cost would be charged whole.
pub const MAX_BILLSEC: i64 = 30 * 86_400;

#[derive(Deserialize)]
struct Body<'a> {
    #[serde(borrow, default, deserialize_with = "calls_field")]
    calls: Option<Vec<CallIn<'a>>>,
}

fn calls_field<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<CallIn<'de>>>, D::Error> {
    decode::named("calls", d)
}

/// One call as sent (and a session's start or end: `sessions`); every field is checked after
/// parsing, so its error can name it.
#[derive(Deserialize)]
#[serde(expecting = "a call: an object with id, account or card, number, start and billsec")]
pub(crate) struct CallIn<'a> {
    #[serde(borrow)]
    pub(crate) id: Option<Scalar<'a>>,
    #[serde(borrow)]
    pub(crate) account: Option<Scalar<'a>>,
    #[serde(borrow)]
    pub(crate) card: Option<Scalar<'a>>,
    #[serde(borrow)]
    pub(crate) number: Option<Scalar<'a>>,
    #[serde(borrow)]
    pub(crate) start: Option<Scalar<'a>>,
    #[serde(borrow)]
    pub(crate) billsec: Option<Scalar<'a>>,
}

/// A call whose fields are all valid.
pub(crate) struct Valid<'c> {
    pub(crate) id: &'c str,
    pub(crate) payer: (usize, &'c str),
    pub(crate) number: &'c str,
    pub(crate) start: Timestamp,
    pub(crate) billsec: i64,
}

/// What became of one call before the commit.
enum Plan<'c> {
    /// A field error: answered as is, nothing submitted.
    Invalid { id: Option<&'c str>, error: String },
    /// Submitted (charged, or unpriced with its id): answered from the ledger's outcome.
    Submitted { id: &'c str },
}

/// One result, in input order.
#[derive(Serialize)]
#[serde(untagged)]
pub(crate) enum CallResult<'a> {
    Charged {
        id: &'a str,
        cost: Money,
        currency: &'a str,
        balance: Money,
        prefix: &'a str,
        rated_s: u64,
        duplicate: bool,
    },
    Error {
        id: Option<&'a str>,
        error: Cow<'a, str>,
    },
}

/// Answers `/v1/calls`. The request fails as a whole (400) only when the body is not a JSON
/// object with `calls` holding 1 to 1,000 call objects, and (503, nothing to answer per
/// call) when the ledger could not write: resending the batch is then safe, ids make it so.
pub fn run(
    artifact: &Artifact,
    accounts: &Accounts,
    rules: &NumberRules,
    request: &JsonRequest<'_>,
    ledger: &dyn Commit,
    out: &mut Vec<u8>,
) -> Result<(), Failure> {
    let body: Body<'_> = decode::body(request.body)?;
    let calls = decode::list("calls", body.calls, MAX_CALLS)?;
    let mut submissions = Vec::with_capacity(calls.len());
    let plans: Vec<Plan<'_>> = calls
        .iter()
        .map(|call| plan(artifact, accounts, rules, call, &mut submissions))
        .collect();
    let submitted = submissions.len();
    let applied = if submitted == 0 {
        Vec::new()
    } else {
        ledger.commit(submissions)
    };
    if applied.len() != submitted || applied.iter().any(|a| matches!(a, Applied::Failed(_))) {
        return Err(Failure::new(
            JsonStatus::Unavailable,
            errors::LEDGER_UNAVAILABLE,
        ));
    }
    let currency = accounts.currencies.default_currency().code.as_str();
    let mut outcomes = applied.iter();
    let results: Vec<CallResult<'_>> = plans
        .iter()
        .map(|plan| match *plan {
            Plan::Invalid { id, ref error } => CallResult::Error {
                id,
                error: Cow::Borrowed(error),
            },
            Plan::Submitted { id } => match outcomes.next() {
                Some(Applied::Done(entry)) => charged(id, entry, currency, false),
                Some(Applied::Duplicate(entry)) => charged(id, entry, currency, true),
                Some(Applied::Refused(error)) => CallResult::Error {
                    id: Some(id),
                    error: Cow::Borrowed(error),
                },
                // Counted above: every submission has an outcome and none failed.
                Some(Applied::Failed(_) | Applied::Session(_)) | None => CallResult::Error {
                    id: Some(id),
                    error: Cow::Borrowed(errors::LEDGER_UNAVAILABLE),
                },
            },
        })
        .collect();
    write_results(out, &results);
    Ok(())
}

/// A charged call's result from its entry (new, or stored when `duplicate`): the cost is
/// the entry's debit, the balance the one it left.
pub(crate) fn charged<'a>(
    id: &'a str,
    entry: &'a Entry,
    currency: &'a str,
    duplicate: bool,
) -> CallResult<'a> {
    let (prefix, rated_s) = entry
        .call
        .as_ref()
        .map_or(("", 0), |call| (call.prefix.as_str(), call.rated_s));
    CallResult::Charged {
        id,
        cost: Money(entry.amount.negated()),
        currency,
        balance: Money(entry.balance_after),
        prefix,
        rated_s,
        duplicate,
    }
}

/// Checks, rates and prices one call, adding its submission (if any) to `submissions`.
fn plan<'c>(
    artifact: &Artifact,
    accounts: &Accounts,
    rules: &NumberRules,
    call: &'c CallIn<'_>,
    submissions: &mut Vec<Submission>,
) -> Plan<'c> {
    let valid = match check(call) {
        Ok(valid) => valid,
        Err(error) => {
            let id = call.id.as_ref().and_then(Scalar::as_str);
            return Plan::Invalid { id, error };
        }
    };
    let id = valid.id;
    submissions.push(match price(artifact, accounts, rules, &valid) {
        Ok(change) => Submission::Change(change),
        Err((account, error)) => Submission::Unpriced {
            key: Some(RefKey::Call(id.to_owned())),
            account,
            error,
        },
    });
    Plan::Submitted { id }
}

/// The call's fields, checked in order: `id`, `account`/`card`, `number`, `start`,
/// `billsec`; the first wrong one is the call's error.
fn check<'c>(call: &'c CallIn<'_>) -> Result<Valid<'c>, String> {
    let id = checked_id(call)?;
    let payer = decode::one_of(
        ("account", call.account.as_ref()),
        ("card", call.card.as_ref()),
    )?;
    let number = checked_number(call)?;
    let start = decode::time(
        "start",
        required_str("start", call.start.as_ref())?.as_bytes(),
    )?;
    let too_long = || format!("billsec must be at most {MAX_BILLSEC} (30 days)");
    let billsec = match &call.billsec {
        None | Some(Scalar::Null) => return Err("billsec is required".into()),
        Some(Scalar::Int(seconds)) => match i64::try_from(*seconds) {
            Ok(seconds) if seconds <= MAX_BILLSEC => seconds,
            Ok(_) => return Err(too_long()),
            Err(_) if *seconds > 0 => return Err(too_long()),
            Err(_) => return Err("billsec is out of range".into()),
        },
        Some(Scalar::HugeInt { negative: false }) => return Err(too_long()),
        Some(Scalar::HugeInt { negative: true }) => return Err("billsec is out of range".into()),
        Some(_) => return Err("billsec must be a whole number of seconds".into()),
    };
    Ok(Valid {
        id,
        payer,
        number,
        start,
        billsec,
    })
}

/// A call's `id`: 1 to [`MAX_ID_LEN`] printable ASCII characters.
pub(crate) fn checked_id<'c>(call: &'c CallIn<'_>) -> Result<&'c str, String> {
    let id = required_str("id", call.id.as_ref())?;
    check_id(id)?;
    Ok(id)
}

/// [`checked_id`]'s rule for an id already read as text.
pub(crate) fn check_id(id: &str) -> Result<(), String> {
    if id.is_empty() || id.len() > MAX_ID_LEN || !id.bytes().all(|b| (b' '..=b'~').contains(&b)) {
        return Err(format!(
            "id must be 1 to {MAX_ID_LEN} printable ASCII characters"
        ));
    }
    Ok(())
}

/// A call's `number`: with digits, at most [`MAX_NUMBER_LEN`] characters.
pub(crate) fn checked_number<'c>(call: &'c CallIn<'_>) -> Result<&'c str, String> {
    let number = required_str("number", call.number.as_ref())?;
    if !number.bytes().any(|b| b.is_ascii_digit()) {
        return Err("number must contain digits".into());
    }
    if number.len() > MAX_NUMBER_LEN {
        return Err(format!(
            "number must be at most {MAX_NUMBER_LEN} characters"
        ));
    }
    Ok(number)
}

/// The ledger change that charges a valid call, or why it cannot be priced (answered as
/// the call's error unless its id was charged before) with the payer's account when it was
/// found (a resend to another payer is told so).
pub(crate) fn price(
    artifact: &Artifact,
    accounts: &Accounts,
    rules: &NumberRules,
    call: &Valid<'_>,
) -> Result<Change, (Option<Account>, String)> {
    let payer = payer(accounts, call.payer).map_err(|error| (None, error.to_owned()))?;
    let (account, cell) = super::ledger_account(payer);
    let failed = |error: String| (Some(account), error);
    let rating = rating::rate(
        artifact,
        accounts,
        payer,
        rules,
        call.number.as_bytes(),
        call.start,
    )
    .map_err(|error| failed(error.to_string()))?;
    let price = rating
        .price(call.billsec)
        .map_err(|error| failed(error.to_string()))?;
    Ok(Change {
        account,
        cell,
        amount: price.cost.negated(),
        kind: Kind::Call,
        reference: call.id.to_owned(),
        description: String::new(),
        call: Some(CallDetail {
            number: call.number.to_owned(),
            start: call.start,
            billsec: call.billsec,
            rated_s: price.rated_s,
            prefix: String::from_utf8_lossy(rating.prefix()).into_owned(),
        }),
    })
}

#[cfg(test)]
mod tests;
