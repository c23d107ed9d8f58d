//! `rate_get` (alias `rate`, docs/api.md): the rate a user pays for a prefix, or with
//! `by_full_dst=1` for the longest prefix of a dialed number. The user's custom tariff is
//! searched first: any match there wins, even one shorter than the main tariff's.
//!
//! Who may read whose rates (docs/api.md; where it says "owns directly", Ratel reads plain
//! users and resellers whose owner is the admin, never accountants):
//! a user reads its own (with `show_rates_for_users`); a reseller itself and its users, and
//! admin-owned plain users with `allow_resellers_admin_tariffs`; the admin itself and what it
//! owns directly; an accountant with both `see_financial_data` and `manage_tariffs` what the
//! admin owns directly.
//! The rules live in [`crate::accounts::visibility`], shared with the other endpoints; the
//! lookup itself is [`crate::rating::find_rate`], shared with the JSON API.

use super::{
    check_enabled, check_get, signed_caller, write_page, ApiError, ApiSettings, ContentType,
    Failure, MorRequest,
};
use crate::accounts::visibility::{self, Denied, RateRules};
use crate::accounts::{Accounts, User};
use crate::artifact::Artifact;
use crate::money::write_ruby_float;
use crate::rating::{find_rate, Matching};
use crate::tariff::MAX_PREFIX_DIGITS;
use crate::xml::escape;

/// The rate found: `rate#destination#prefix`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate<'a> {
    /// As stored, printed the way Ruby prints a Float.
    pub rate: f64,
    pub destination: &'a [u8],
    prefix: [u8; MAX_PREFIX_DIGITS],
    prefix_len: u8,
}

impl Rate<'_> {
    /// The matched tariff prefix.
    pub fn prefix(&self) -> &[u8] {
        &self.prefix[..usize::from(self.prefix_len)]
    }
}

/// Answers `rate_get`. The checks run in this order, and the first that fails is the answer
/// (docs/api.md; MOR clients see the order, so it is part of the contract):
///
/// 1. `api.enabled`: `<status>API Requests are disabled`;
/// 2. `allow_get` for a GET: `<status>GET Requests are disabled`;
/// 3. `u` sent: `<page>Access Denied`;
/// 4. `u` names a user: `<page>User was not found`;
/// 5. the hash over `username`, under the secret or the caller's reseller's `api_key`:
///    `<status>API must have Secret Key` (empty `secret_key`), then `<status>Incorrect hash`;
///    skipped with `disable_hash_check`;
/// 6. `rate_over_http`: `<page>Feature disabled`;
/// 7. `username` names a user: `<page>User was not found`;
/// 8. the caller may read that user's rates ([`crate::accounts::visibility::rates_of`]):
///    `<status>You are not authorized to view this page` (role or permission lacking) or
///    `<status>User was not found` (someone else's user);
/// 9. `prefix` not empty: `<page>Empty prefix`;
/// 10. a rate in force now, custom tariff first: `<page>Rate was not found`.
pub fn run<'a>(
    artifact: &'a Artifact,
    accounts: &Accounts,
    settings: &ApiSettings,
    request: &MorRequest<'_>,
) -> Result<Rate<'a>, Failure> {
    check_enabled(settings)?;
    check_get(settings, request.method)?;
    let params = request.params;
    if params.get("u").is_none() {
        return Err(Failure::page(ApiError::AccessDenied));
    }
    let caller = signed_caller(
        settings,
        accounts,
        params,
        Failure::page(ApiError::UserNotFound),
        &[params.get("username").unwrap_or_default()],
    )?;
    if !settings.rate_over_http {
        return Err(Failure::page(ApiError::FeatureDisabled));
    }
    let target = params
        .text("username")
        .and_then(|name| accounts.user_by_username(name))
        .ok_or(Failure::page(ApiError::UserNotFound))?;
    let whose = permitted(accounts, settings, caller, target)?;
    let prefix = params.get("prefix").unwrap_or_default().trim_ascii();
    if prefix.is_empty() {
        return Err(Failure::page(ApiError::EmptyPrefix));
    }
    let full_number = params.text("by_full_dst") == Some("1");
    let mut digits = [0u8; MAX_PREFIX_DIGITS];
    // A full number is normalised (`[numbers]`); too short to be rated: not found.
    let (wanted, matching): (&[u8], _) = if full_number {
        let digits = settings
            .numbers
            .normalize(prefix, &mut digits)
            .ok_or(Failure::page(ApiError::RateNotFound))?;
        (digits, Matching::Longest)
    } else {
        (prefix, Matching::Exact)
    };
    let found = find_rate(
        artifact,
        accounts.tariffs_of(whose),
        wanted,
        request.now,
        matching,
    )
    .ok_or(Failure::page(ApiError::RateNotFound))?;
    let mut rate = Rate {
        rate: found.record.rate_f64(),
        destination: found.record.destination,
        prefix: [0; MAX_PREFIX_DIGITS],
        prefix_len: found.prefix_len,
    };
    let len = usize::from(found.prefix_len);
    rate.prefix[..len].copy_from_slice(&wanted[..len]);
    Ok(rate)
}

/// Whose rates `caller` reads when it asks for `target`'s, or why it may not.
#[inline]
fn permitted<'u>(
    accounts: &Accounts,
    settings: &ApiSettings,
    caller: &'u User,
    target: &'u User,
) -> Result<&'u User, Failure> {
    let rules = RateRules {
        show_rates_for_users: settings.show_rates_for_users,
        allow_resellers_admin_tariffs: settings.allow_resellers_admin_tariffs,
    };
    visibility::rates_of(accounts.admin().id, rules, caller, target).map_err(|denied| {
        Failure::status(match denied {
            Denied::Role | Denied::Permission => ApiError::NotAuthorizedToView,
            Denied::Target => ApiError::UserNotFound,
        })
    })
}

/// `<page>` holding `<rate>RATE#DESTINATION#PREFIX</rate>`, or the failure.
pub fn write(out: &mut Vec<u8>, result: &Result<Rate<'_>, Failure>) -> ContentType {
    write_page(out, result, |xml, rate| {
        xml.with("rate", |out| {
            write_ruby_float(out, rate.rate);
            out.push(b'#');
            escape(out, rate.destination);
            out.push(b'#');
            out.extend_from_slice(rate.prefix());
        });
    })
}

#[cfg(test)]
mod tests;
