//! `POST /v1/rates`: the rates of up to 10,000 numbers at once, for a user (its custom
//! tariff first, as `rate_get`) or for a tariff by name. Numbers are matched as
//! `rate_get`'s `by_full_dst=1` (non-digits dropped, the first 20 digits, longest prefix),
//! or with `"exact":true` as prefixes that must exist digit for digit.

use std::borrow::Cow;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::decode::{self, Scalar};
use super::errors::{self, Failure};
use super::{write_results, Canonical, JsonRequest, Text};
use crate::accounts::Accounts;
use crate::artifact::Artifact;
use crate::lookup::{dialed_digits, NumberRules};
use crate::rating::{find_rate, Matching};
use crate::tariff::MAX_PREFIX_DIGITS;

/// Numbers one request may carry.
pub const MAX_NUMBERS: usize = 10_000;

#[derive(Deserialize)]
struct Body<'a> {
    #[serde(borrow)]
    account: Option<Scalar<'a>>,
    #[serde(borrow)]
    tariff: Option<Scalar<'a>>,
    #[serde(borrow, default, deserialize_with = "numbers_field")]
    numbers: Option<Vec<Cow<'a, str>>>,
    #[serde(borrow)]
    at: Option<Scalar<'a>>,
    #[serde(borrow)]
    exact: Option<Scalar<'a>>,
}

fn numbers_field<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<Cow<'de, str>>>, D::Error> {
    decode::named("numbers", d)
}

/// A matched prefix, kept by value (the digits it came from are per number).
#[derive(Clone, Copy)]
struct Prefix {
    digits: [u8; MAX_PREFIX_DIGITS],
    len: u8,
}

impl Serialize for Prefix {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let digits = &self.digits[..usize::from(self.len)];
        serializer.serialize_str(std::str::from_utf8(digits).unwrap_or_default())
    }
}

#[derive(Serialize)]
#[serde(untagged)]
enum RateResult<'a> {
    Found {
        number: &'a str,
        tariff: &'a str,
        prefix: Prefix,
        destination: Text<'a>,
        rate: Canonical,
        connection_fee: Canonical,
        increment_s: u32,
        min_time_s: u32,
        /// Present only for a row with a first interval (`FIRST/NEXT`; `increment_s` is NEXT).
        #[serde(skip_serializing_if = "Option::is_none")]
        first_interval_s: Option<u32>,
        currency: &'a str,
    },
    NotFound {
        number: &'a str,
        error: &'static str,
    },
}

/// Answers `/v1/rates`: 400 for a malformed body or field (exactly one of `account` and
/// `tariff`; `numbers` 1 to 10,000 strings; `at` a time; `exact` true or false), 404 for an
/// unknown account or tariff; otherwise one result per number, in input order.
pub fn run(
    artifact: &Artifact,
    accounts: &Accounts,
    rules: &NumberRules,
    request: &JsonRequest<'_>,
    out: &mut Vec<u8>,
) -> Result<(), Failure> {
    let body: Body<'_> = decode::body(request.body)?;
    let (which, name) = decode::one_of(
        ("account", body.account.as_ref()),
        ("tariff", body.tariff.as_ref()),
    )?;
    let numbers = decode::list("numbers", body.numbers, MAX_NUMBERS)?;
    let at = match &body.at {
        None | Some(Scalar::Null) => request.now,
        Some(Scalar::Str(text)) => decode::time("at", text.as_bytes())?,
        Some(_) => return Err(decode::time_error("at").into()),
    };
    let matching = match &body.exact {
        None | Some(Scalar::Null | Scalar::Bool(false)) => Matching::Longest,
        Some(Scalar::Bool(true)) => Matching::Exact,
        Some(_) => return Err(Failure::bad_request("exact must be true or false")),
    };
    let tariffs = if which == 0 {
        let user = accounts
            .user_by_username(name)
            .ok_or(Failure::not_found(errors::ACCOUNT_NOT_FOUND))?;
        accounts.tariffs_of(user)
    } else {
        if artifact.tariff_id(name).is_none() {
            return Err(Failure::not_found(errors::TARIFF_NOT_FOUND));
        }
        [Some(name), None]
    };
    let results: Vec<RateResult<'_>> = numbers
        .iter()
        .map(|number| {
            let mut digits = [0u8; MAX_PREFIX_DIGITS];
            // A dialled number is normalised (`[numbers]`); an exact prefix is not a number.
            let wanted = match matching {
                Matching::Longest => rules.normalize(number.as_bytes(), &mut digits),
                Matching::Exact => Some(dialed_digits(number.as_bytes(), &mut digits)),
            };
            // An exact prefix longer than any tariff prefix cannot match: never cut it.
            let too_long = matching == Matching::Exact
                && number.bytes().filter(u8::is_ascii_digit).count() > MAX_PREFIX_DIGITS;
            let found = wanted.filter(|_| !too_long).and_then(|wanted| {
                find_rate(artifact, tariffs, wanted, at, matching).map(|f| (f, wanted))
            });
            let Some((found, wanted)) = found else {
                return RateResult::NotFound {
                    number,
                    error: "rate not found",
                };
            };
            let mut prefix = Prefix {
                digits: [0; MAX_PREFIX_DIGITS],
                len: found.prefix_len,
            };
            let len = usize::from(found.prefix_len).min(wanted.len());
            prefix.digits[..len].copy_from_slice(&wanted[..len]);
            RateResult::Found {
                number,
                tariff: &found.tariff.name,
                prefix,
                destination: Text(found.record.destination),
                rate: Canonical(found.record.rate),
                connection_fee: Canonical(found.record.connection_fee),
                increment_s: found.record.increment_s,
                min_time_s: found.record.min_time_s,
                first_interval_s: (found.record.first_interval_s != 0)
                    .then_some(found.record.first_interval_s),
                currency: &found.tariff.currency,
            }
        })
        .collect();
    write_results(out, &results);
    Ok(())
}

#[cfg(test)]
mod tests;
