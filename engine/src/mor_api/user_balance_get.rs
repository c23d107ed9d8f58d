//! `user_balance_get` (alias `balance`, docs/api.md): a user's balance by username, signed with
//! SHA1(username [+ currency] + key). `u` is accepted and ignored.

use super::{
    check_enabled, check_hash, requested_currency, user_currency, write_page, Amount, ApiError,
    ApiSettings, ContentType, Failure, MorRequest,
};
use crate::accounts::Accounts;

/// A balance, and with `user_currency=1` the code of the user's currency it is shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Balance<'a> {
    pub amount: Amount,
    pub currency: Option<&'a str>,
}

/// Answers `user_balance_get`. The checks run in this order, and the first that fails is the
/// answer (docs/api.md; part of the MOR contract):
///
/// 1. `api.enabled`: `<status>API Requests are disabled`;
/// 2. only when `username` names a user, the hash over `username` (and `currency` if sent):
///    `<status>API must have Secret Key` (empty `secret_key`), then `<status>Incorrect hash`;
///    skipped with `disable_hash_check`;
/// 3. `balance_over_http`: `<page>Feature disabled`;
/// 4. `username` names a user: `<page>User was not found`.
///
/// GET is always accepted (`allow_get` does not apply to balances).
pub fn run<'a>(
    accounts: &'a Accounts,
    settings: &ApiSettings,
    request: &MorRequest<'_>,
) -> Result<Balance<'a>, Failure> {
    check_enabled(settings)?;
    let params = request.params;
    let user = params
        .text("username")
        .and_then(|name| accounts.user_by_username(name));
    // The hash is checked only for a user that exists (docs/api.md); others fall through to
    // "User was not found" after the feature check.
    if let Some(user) = user {
        // Borrowed, not collected: this runs on every request.
        let currency = params.get("currency");
        let values = [
            params.get("username").unwrap_or_default(),
            currency.unwrap_or_default(),
        ];
        let hashed = if currency.is_some() { 2 } else { 1 };
        check_hash(settings, accounts, user, params, &values[..hashed])?;
    }
    if !settings.balance_over_http {
        return Err(Failure::page(ApiError::FeatureDisabled));
    }
    let user = user.ok_or(Failure::page(ApiError::UserNotFound))?;
    let places = settings.balance_decimals;
    if params.text("user_currency") == Some("1") {
        let currency = user_currency(accounts, user);
        return Ok(Balance {
            amount: Amount::convert(user.balance(), currency, places),
            currency: Some(&currency.code),
        });
    }
    let currency = requested_currency(accounts, user, params.text("currency"));
    Ok(Balance {
        amount: Amount::convert(user.balance(), currency, places),
        currency: None,
    })
}

/// `<page>` holding `<balance>` (and `<currency>`), or the failure.
pub fn write(out: &mut Vec<u8>, result: &Result<Balance<'_>, Failure>) -> ContentType {
    write_page(out, result, |xml, balance| {
        xml.with("balance", |out| balance.amount.write(out));
        if let Some(code) = &balance.currency {
            xml.text("currency", code.as_bytes());
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::request_hash;
    use crate::mor_api::testing::{body, demo, with_request};
    use crate::mor_api::Method;
    use crate::time::Timestamp;

    fn call(settings: &ApiSettings, pairs: &[(&str, &str)]) -> String {
        let result = with_request(pairs, Method::Get, Timestamp(0), |request| {
            run(&demo().accounts, settings, request)
        });
        body(|out| write(out, &result)).0
    }

    fn hash(values: &[&str], key: &str) -> String {
        let values: Vec<&[u8]> = values.iter().map(|v| v.as_bytes()).collect();
        String::from_utf8(request_hash(&values, key.as_bytes()).to_vec()).unwrap()
    }

    const PAGE: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<page>\n";

    #[test]
    fn signed_requests_get_the_balance_in_the_asked_currency() {
        let settings = ApiSettings::default();
        let h = hash(&["alice"], "secret");
        assert_eq!(
            call(&settings, &[("username", "alice"), ("hash", &h)]),
            format!("{PAGE}  <balance>60.0000</balance>\n</page>\n")
        );
        let h = hash(&["alice", "GBP"], "secret");
        assert_eq!(
            call(
                &settings,
                &[
                    ("username", "alice"),
                    ("currency", "GBP"),
                    ("hash", &h),
                    ("u", "ignored")
                ]
            ),
            format!("{PAGE}  <balance>47.4000</balance>\n</page>\n")
        );
        let h = hash(&["alice", "GBP"], "secret");
        assert_eq!(
            call(
                &settings,
                &[
                    ("username", "alice"),
                    ("currency", "GBP"),
                    ("user_currency", "1"),
                    ("hash", &h)
                ]
            ),
            format!("{PAGE}  <balance>55.2000</balance>\n  <currency>EUR</currency>\n</page>\n")
        );
        // bob belongs to reseller1, whose api_key signs too.
        let h = hash(&["bob"], "resellerkey");
        assert_eq!(
            call(&settings, &[("username", "bob"), ("hash", &h)]),
            format!("{PAGE}  <balance>-12.3400</balance>\n</page>\n")
        );
    }

    #[test]
    fn errors_follow_the_documented_order() {
        let settings = ApiSettings::default();
        let status = |e: &str| {
            format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<status>\n  <error>{e}</error>\n</status>\n")
        };
        let page = |e: &str| format!("{PAGE}  <error>{e}</error>\n</page>\n");
        let good = hash(&["alice"], "secret");
        let off = ApiSettings {
            enabled: false,
            ..ApiSettings::default()
        };
        assert_eq!(
            call(&off, &[("username", "nobody")]),
            status("API Requests are disabled")
        );
        assert_eq!(
            call(
                &settings,
                &[("username", "alice"), ("hash", &good.to_uppercase())]
            ),
            status("Incorrect hash")
        );
        assert_eq!(
            call(
                &settings,
                &[
                    ("username", "alice"),
                    ("hash", &hash(&["alice"], "resellerkey"))
                ]
            ),
            status("Incorrect hash")
        );
        assert_eq!(
            call(&settings, &[("username", "alice")]),
            status("Incorrect hash")
        );
        let no_key = ApiSettings {
            secret_key: String::new(),
            ..ApiSettings::default()
        };
        assert_eq!(
            call(&no_key, &[("username", "alice"), ("hash", &good)]),
            status("API must have Secret Key")
        );
        let no_feature = ApiSettings {
            balance_over_http: false,
            ..ApiSettings::default()
        };
        assert_eq!(
            call(&no_feature, &[("username", "alice"), ("hash", &good)]),
            page("Feature disabled")
        );
        assert_eq!(
            call(&no_feature, &[("username", "nobody")]),
            page("Feature disabled")
        );
        // An unknown user is not hash-checked: it is simply not found.
        assert_eq!(
            call(&settings, &[("username", "nobody"), ("hash", "x")]),
            page("User was not found")
        );
        let unchecked = ApiSettings {
            disable_hash_check: true,
            ..ApiSettings::default()
        };
        assert_eq!(
            call(&unchecked, &[("username", "alice")]),
            format!("{PAGE}  <balance>60.0000</balance>\n</page>\n")
        );
    }
}
