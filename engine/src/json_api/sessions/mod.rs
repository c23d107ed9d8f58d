//! Calls in progress (docs/api.md, "Sessions"): `POST /v1/sessions` opens one,
//! `/v1/sessions/update` extends it, `/v1/sessions/end` charges and closes it. The grant is
//! the ledger's to decide ([`crate::ledger::session`]): against every reservation before it,
//! durable before it is answered. This file writes what start and update answer alike.

pub mod end;
pub mod start;
pub mod update;

use serde::Serialize;

use super::errors::{self, Failure};
use super::{write_json, Canonical, JsonStatus, Money};
use crate::ledger::{Applied, OpenSession, SessionOutcome};
use crate::money::Decimal;

/// A grant, or why none.
#[derive(Serialize)]
#[serde(untagged)]
enum Answer<'a> {
    Granted {
        id: &'a str,
        allowed: bool,
        granted_s: u32,
        #[serde(rename = "final")]
        final_grant: bool,
        reserved: Money,
        available: Option<Money>,
        prefix: &'a str,
        destination: &'a str,
        rate: Canonical,
        connection_fee: Canonical,
        increment_s: u32,
        min_time_s: u32,
        #[serde(skip_serializing_if = "Option::is_none")]
        first_interval_s: Option<u32>,
        currency: &'a str,
        balance_currency: &'a str,
    },
    Refused {
        id: &'a str,
        allowed: bool,
        granted_s: u32,
        reason: &'a str,
    },
}

/// Writes a start's or an update's answer from the ledger's outcome: 200 with the grant or
/// the refusal, 409 for an id already charged, 404 for an unknown session, 503 when the
/// ledger cannot write or `max_open` sessions are open.
fn answer(
    id: &str,
    outcome: Option<Applied>,
    balance_currency: &str,
    out: &mut Vec<u8>,
) -> Result<(), Failure> {
    let granted = |session: &OpenSession, available: Option<Decimal>, out: &mut Vec<u8>| {
        let terms = &session.terms;
        write_json(
            out,
            &Answer::Granted {
                id,
                allowed: true,
                granted_s: session.granted_s,
                final_grant: session.final_grant,
                reserved: Money(session.reserved),
                available: available.map(Money),
                prefix: &session.prefix,
                destination: &session.destination,
                rate: Canonical(terms.rate),
                connection_fee: Canonical(terms.connection_fee),
                increment_s: terms.increment_s,
                min_time_s: terms.min_time_s,
                first_interval_s: (terms.first_interval_s != 0).then_some(terms.first_interval_s),
                currency: &session.currency,
                balance_currency,
            },
        );
    };
    match outcome {
        Some(Applied::Session(SessionOutcome::Granted {
            session, available, ..
        })) => granted(&session, available, out),
        Some(Applied::Session(SessionOutcome::Refused(reason))) => refused(id, reason, out),
        Some(Applied::Session(SessionOutcome::AlreadyCharged)) => {
            return Err(Failure::new(
                JsonStatus::Conflict,
                errors::CALL_ALREADY_CHARGED,
            ))
        }
        Some(Applied::Session(SessionOutcome::NotFound)) => {
            return Err(Failure::not_found(errors::SESSION_NOT_FOUND))
        }
        Some(Applied::Session(SessionOutcome::TooMany)) => {
            return Err(Failure::new(
                JsonStatus::Unavailable,
                errors::TOO_MANY_SESSIONS,
            ))
        }
        _ => {
            return Err(Failure::new(
                JsonStatus::Unavailable,
                errors::LEDGER_UNAVAILABLE,
            ))
        }
    }
    Ok(())
}

/// Writes `{"id":...,"allowed":false,"granted_s":0,"reason":...}`.
fn refused(id: &str, reason: &str, out: &mut Vec<u8>) {
    write_json(
        out,
        &Answer::Refused {
            id,
            allowed: false,
            granted_s: 0,
            reason,
        },
    );
}

/// A whole number of seconds from 0 to `max`, named `name`.
fn seconds(name: &str, value: Option<&super::decode::Scalar<'_>>, max: i64) -> Result<i64, String> {
    use super::decode::Scalar;
    match value {
        None | Some(Scalar::Null) => Err(format!("{name} is required")),
        Some(Scalar::Int(seconds)) if (0..=i128::from(max)).contains(seconds) => {
            Ok(*seconds as i64)
        }
        Some(Scalar::Int(_) | Scalar::HugeInt { .. }) => {
            Err(format!("{name} must be from 0 to {max} seconds"))
        }
        Some(_) => Err(format!("{name} must be a whole number of seconds")),
    }
}

#[cfg(test)]
mod tests;
