//! `GET /v1/authorize?account=NAME&number=N[&at=T]` (or `card=NUMBER`): may this payer call
//! this number, and for how long at most? Nothing is reserved or charged.
//!
//! `max_seconds` is the longest call of at most `max_call_seconds` whose price (the row in
//! force at `at`, as `/v1/calls` would charge it) fits in what the payer may spend: a user's
//! balance plus its credit (unlimited credit: `max_call_seconds`, as long as a rate exists),
//! a card's balance less its `min_balance` ([`crate::rating`]).

use std::borrow::Cow;

use serde::Serialize;

use super::decode;
use super::write::ObjectWriter;
use super::{payer, payer_param, Canonical, Failure, JsonRequest, Money, Text};
use crate::accounts::Accounts;
use crate::artifact::Artifact;
use crate::ledger::session::{INSUFFICIENT_BALANCE, RESERVED_BY_CALLS};
use crate::money::Decimal;
use crate::mor_api::ApiSettings;
use crate::rating::{self, RatingError};

/// The answer; the rate's fields are left out when no rate was found. Written by
/// [`Answer::write`]; its serde form is what the tests hold that to.
#[derive(Serialize, Default)]
struct Answer<'a> {
    allowed: bool,
    max_seconds: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<Cow<'a, str>>,
    balance: Option<Money>,
    /// Held by the payer's calls in progress (sessions).
    reserved: Option<Money>,
    /// What the payer may still spend: balance + credit − reserved (`null`: no limit).
    available: Option<Money>,
    #[serde(skip_serializing_if = "Option::is_none")]
    prefix: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    destination: Option<Text<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rate: Option<Canonical>,
    #[serde(skip_serializing_if = "Option::is_none")]
    connection_fee: Option<Canonical>,
    #[serde(skip_serializing_if = "Option::is_none")]
    increment_s: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    min_time_s: Option<u32>,
    /// Present only for a rate with a first interval (`FIRST/NEXT`; `increment_s` is NEXT).
    #[serde(skip_serializing_if = "Option::is_none")]
    first_interval_s: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    currency: Option<&'a str>,
    /// The default currency, in which `balance`, `reserved` and `available` are.
    balance_currency: &'a str,
}

/// Answers `/v1/authorize`. Field errors (400) come before lookups (404): exactly one of
/// `account` and `card`; `number` with digits; `at` as `YYYY-MM-DD HH:MM:SS` when sent.
pub fn run(
    artifact: &Artifact,
    accounts: &Accounts,
    settings: &ApiSettings,
    request: &JsonRequest<'_>,
    out: &mut Vec<u8>,
) -> Result<(), Failure> {
    let params = request.params;
    let named = payer_param(params)?;
    let number = match params.get("number") {
        None => return Err(Failure::bad_request("number is required")),
        Some(number) if !number.iter().any(u8::is_ascii_digit) => {
            return Err(Failure::bad_request("number must contain digits"))
        }
        Some(number) => number,
    };
    let at = match params.get("at") {
        None => request.now,
        Some(text) => decode::time("at", text)?,
    };
    let payer = payer(accounts, named).map_err(Failure::not_found)?;
    // Read once: the balance shown and the longest call it pays for are of one moment.
    let (balance, reserved) = payer.balance_and_reserved();
    let limit = payer.limit();
    let available = payer.spendable(balance, reserved);
    let mut answer = Answer {
        balance: Some(Money(balance)),
        reserved: Some(Money(reserved)),
        available: available.map(Money),
        balance_currency: &accounts.currencies.default_currency().code,
        ..Answer::default()
    };
    let rating = match rating::rate(artifact, accounts, payer, &settings.numbers, number, at) {
        Ok(rating) => rating,
        Err(error @ (RatingError::RateNotFound | RatingError::UnknownCurrency { .. })) => {
            answer.reason = Some(Cow::Owned(error.to_string()));
            answer.write(out);
            return Ok(());
        }
    };
    let parts = limit.map(|limit| [balance, limit, reserved.negated()]);
    let longest =
        |parts: Option<&[Decimal]>| rating.max_seconds(balance, parts, settings.max_call_seconds);
    match longest(parts.as_ref().map(|p| &p[..])) {
        Ok(Some(seconds)) => {
            answer.allowed = true;
            answer.max_seconds = seconds;
        }
        Ok(None) => {
            // Said apart when the balance alone would have paid: calls in progress hold it.
            let alone = parts.map(|[balance, limit, _]| [balance, limit]);
            let reason = match longest(alone.as_ref().map(|p| &p[..])) {
                Ok(Some(_)) if !reserved.is_zero() => RESERVED_BY_CALLS,
                _ => INSUFFICIENT_BALANCE,
            };
            answer.reason = Some(Cow::Borrowed(reason));
        }
        Err(error) => answer.reason = Some(Cow::Owned(error.to_string())),
    }
    let prefix = rating.prefix();
    answer.prefix = Some(std::str::from_utf8(prefix).unwrap_or_default());
    answer.destination = Some(Text(rating.destination()));
    answer.rate = Some(Canonical(rating.terms.rate));
    answer.connection_fee = Some(Canonical(rating.terms.connection_fee));
    answer.increment_s = Some(rating.terms.increment_s);
    answer.min_time_s = Some(rating.terms.min_time_s);
    answer.first_interval_s =
        (rating.terms.first_interval_s != 0).then_some(rating.terms.first_interval_s);
    answer.currency = Some(rating.currency());
    answer.write(out);
    Ok(())
}

impl Answer<'_> {
    /// Writes the answer's JSON: the bytes serde writes for it, field by field in the same
    /// order, skipping the same fields, with less work a key ([`ObjectWriter`]).
    fn write(&self, out: &mut Vec<u8>) {
        let mut object = ObjectWriter::new(out);
        object.bool("allowed", self.allowed);
        object.u32("max_seconds", self.max_seconds);
        object.present("reason", self.reason.as_deref(), ObjectWriter::str);
        object.money("balance", self.balance);
        object.money("reserved", self.reserved);
        object.money("available", self.available);
        object.present("prefix", self.prefix, ObjectWriter::str);
        let destination = self.destination.map(|Text(bytes)| bytes);
        object.present("destination", destination, ObjectWriter::text);
        object.present("rate", self.rate, ObjectWriter::canonical);
        object.present(
            "connection_fee",
            self.connection_fee,
            ObjectWriter::canonical,
        );
        object.present("increment_s", self.increment_s, ObjectWriter::u32);
        object.present("min_time_s", self.min_time_s, ObjectWriter::u32);
        object.present("first_interval_s", self.first_interval_s, ObjectWriter::u32);
        object.present("currency", self.currency, ObjectWriter::str);
        object.str("balance_currency", self.balance_currency);
        object.end();
    }
}

#[cfg(test)]
mod tests;
