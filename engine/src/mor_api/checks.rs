//! The checks several endpoints share, in one place so that their order and wording cannot
//! drift between endpoints: API enabled, GET allowed, the request hash and its caller, a
//! decimal parameter, the currency asked for.

use super::{ApiError, ApiSettings, Failure, Method, Params};
use crate::accounts::{Accounts, Currency, User};
use crate::auth::{hash_matches, reseller_key};
use crate::money::Decimal;

/// `api.enabled = false` comes before every other check (docs/api.md).
pub(crate) fn check_enabled(settings: &ApiSettings) -> Result<(), Failure> {
    if settings.enabled {
        Ok(())
    } else {
        Err(Failure::status(ApiError::ApiDisabled))
    }
}

/// `allow_get = false` refuses GET to the endpoints that honour it.
pub(crate) fn check_get(settings: &ApiSettings, method: Method) -> Result<(), Failure> {
    if method == Method::Get && !settings.allow_get {
        Err(Failure::status(ApiError::GetDisabled))
    } else {
        Ok(())
    }
}

/// The user `u` names, once the request hash over `signed` matches ([`check_hash`]);
/// `unknown` when `u` is absent or names no user (each endpoint has its own answer for it).
pub(crate) fn signed_caller<'a>(
    settings: &ApiSettings,
    accounts: &'a Accounts,
    params: &Params,
    unknown: Failure,
    signed: &[&[u8]],
) -> Result<&'a User, Failure> {
    let caller = params
        .text("u")
        .and_then(|name| accounts.user_by_username(name))
        .ok_or(unknown)?;
    check_hash(settings, accounts, caller, params, signed)?;
    Ok(caller)
}

/// The request hash over `values` must match under the system secret or the api_key of the
/// reseller that owns (or is) `resolved`. With `disable_hash_check` every hash passes; an
/// empty secret key is a configuration error reported to the caller.
pub(crate) fn check_hash(
    settings: &ApiSettings,
    accounts: &Accounts,
    resolved: &User,
    params: &Params,
    values: &[&[u8]],
) -> Result<(), Failure> {
    if settings.disable_hash_check {
        return Ok(());
    }
    if settings.secret_key.is_empty() {
        return Err(Failure::status(ApiError::NoSecretKey));
    }
    let keys = std::iter::once(settings.secret_key.as_bytes())
        .chain(reseller_key(accounts, resolved).map(str::as_bytes));
    if hash_matches(params.get("hash").unwrap_or_default(), values, keys) {
        Ok(())
    } else {
        Err(Failure::status(ApiError::IncorrectHash))
    }
}

/// The decimal sent as `name` (surrounding spaces ignored): `-?[0-9]+(\.[0-9]+)?` with at
/// most 38 significant digits, a minus only when `allow_negative`; `None` when absent or
/// anything else (`1e3`, `1,5`, `+5`).
pub(crate) fn decimal_param(params: &Params, name: &str, allow_negative: bool) -> Option<Decimal> {
    Decimal::parse_bytes(params.get(name)?.trim_ascii(), allow_negative).ok()
}

/// The currency a balance is shown in: `USER` (any case) for the user's own, a listed code
/// (any case), or the default currency for anything else or nothing.
pub(crate) fn requested_currency<'a>(
    accounts: &'a Accounts,
    user: &User,
    requested: Option<&str>,
) -> &'a Currency {
    let currencies = &accounts.currencies;
    match requested.map(str::trim) {
        Some(code) if code.eq_ignore_ascii_case("USER") => user_currency(accounts, user),
        Some(code) => currencies
            .get(code)
            .unwrap_or_else(|| currencies.default_currency()),
        None => currencies.default_currency(),
    }
}

/// The user's own currency (the default when it has none).
pub(crate) fn user_currency<'a>(accounts: &'a Accounts, user: &User) -> &'a Currency {
    user.currency
        .as_deref()
        .and_then(|code| accounts.currencies.get(code))
        .unwrap_or_else(|| accounts.currencies.default_currency())
}
