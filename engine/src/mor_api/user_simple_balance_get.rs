//! `user_simple_balance_get` (alias `simple_balance`, docs/api.md): the plain-text balance IP
//! phones display, for the user whose `unique_hash` is `id`. No request hash: the token is
//! the credential.

use super::{
    check_enabled, requested_currency, write_failure, Amount, ApiError, ApiSettings, ContentType,
    Failure, MorRequest,
};
use crate::accounts::Accounts;

/// The balance of the user `id` names, in the requested currency.
///
/// The checks run in this order, and the first that fails is the answer (docs/api.md; part of
/// the MOR contract):
///
/// 1. `api.enabled`: `<status>API Requests are disabled` (XML, the one XML answer here);
/// 2. `balance_over_http`: `Feature disabled` (plain text);
/// 3. `id` is a user's `unique_hash`: `User was not found` (plain text).
///
/// No hash (the token is the credential) and GET always accepted.
pub fn run(
    accounts: &Accounts,
    settings: &ApiSettings,
    request: &MorRequest<'_>,
) -> Result<Amount, Failure> {
    check_enabled(settings)?;
    if !settings.balance_over_http {
        return Err(Failure::plain(ApiError::FeatureDisabled));
    }
    let user = request
        .params
        .text("id")
        .and_then(|id| accounts.user_by_unique_hash(id))
        .ok_or(Failure::plain(ApiError::UserNotFound))?;
    let currency = requested_currency(accounts, user, request.params.text("currency"));
    Ok(Amount::convert(
        user.balance(),
        currency,
        settings.balance_decimals,
    ))
}

/// `60.0000` as `text/plain` with no newline, or the failure.
pub fn write(out: &mut Vec<u8>, result: &Result<Amount, Failure>) -> ContentType {
    match result {
        Ok(amount) => {
            amount.write(out);
            ContentType::Text
        }
        Err(failure) => write_failure(out, *failure),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mor_api::testing::{body, demo, with_request};
    use crate::mor_api::Method;
    use crate::time::Timestamp;

    fn call(settings: &ApiSettings, pairs: &[(&str, &str)]) -> (String, ContentType) {
        let result = with_request(pairs, Method::Get, Timestamp(0), |request| {
            run(&demo().accounts, settings, request)
        });
        body(|out| write(out, &result))
    }

    #[test]
    fn balance_in_the_default_a_listed_or_the_users_currency() {
        let settings = ApiSettings::default();
        assert_eq!(
            call(&settings, &[("id", "a1b2c3d4e5")]),
            ("60.0000".into(), ContentType::Text)
        );
        assert_eq!(
            call(&settings, &[("id", "a1b2c3d4e5"), ("currency", "eur")]).0,
            "55.2000"
        );
        assert_eq!(
            call(&settings, &[("id", "a1b2c3d4e5"), ("currency", "XYZ")]).0,
            "60.0000"
        );
        assert_eq!(
            call(&settings, &[("id", "b0bh4sh"), ("currency", "user")]).0,
            "-9.7486"
        );
        assert_eq!(
            call(&settings, &[("id", "c4r0lh4sh"), ("currency", "USER")]).0,
            "186666.6514"
        );
        let two = ApiSettings {
            balance_decimals: 2,
            ..ApiSettings::default()
        };
        assert_eq!(call(&two, &[("id", "b0bh4sh")]).0, "-12.34");
    }

    #[test]
    fn errors_in_order_api_disabled_then_feature_then_user() {
        let off = ApiSettings {
            enabled: false,
            balance_over_http: false,
            ..ApiSettings::default()
        };
        let (text, kind) = call(&off, &[("id", "nobody")]);
        assert_eq!(kind, ContentType::Xml);
        assert_eq!(text, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<status>\n  <error>API Requests are disabled</error>\n</status>\n");
        let no_feature = ApiSettings {
            balance_over_http: false,
            ..ApiSettings::default()
        };
        assert_eq!(
            call(&no_feature, &[("id", "nobody")]),
            ("Feature disabled".into(), ContentType::Text)
        );
        let settings = ApiSettings::default();
        assert_eq!(
            call(&settings, &[("id", "nobody")]),
            ("User was not found".into(), ContentType::Text)
        );
        assert_eq!(call(&settings, &[]).0, "User was not found");
        assert_eq!(call(&settings, &[("id", "")]).0, "User was not found");
    }
}
