//! Arrow Billing `balance.php` (docs/api.md): the balance HS Teliann IP phones display.
//!
//! `uid` with `e164num` (a user named `uid` owning that number), with `passwd` (the password
//! of the user named `uid`), or alone (a calling card's PIN, unique). Errors are the bare
//! numeric code. Only `balance_over_http` gates it: it is Arrow's endpoint, not a MOR API
//! call, so `api.enabled` does not apply.

use sha2::{Digest, Sha256};

use super::{user_currency, ApiSettings, ContentType, MorRequest};
use crate::accounts::{Accounts, Password};
use crate::money::{write_scaled, Wide};

/// Arrow's error codes used here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArrowError {
    /// 102: balance over HTTP is off.
    NoPermission,
    /// 107: format 1 asked for a currency without an Arrow number.
    InformationUnavailable,
    /// 110: a missing or malformed attribute, or an unknown format.
    MissingAttribute,
    /// 1001: no such account, or the wrong password.
    AccountNotFound,
}

impl ArrowError {
    pub fn code(self) -> &'static str {
        match self {
            ArrowError::NoPermission => "102",
            ArrowError::InformationUnavailable => "107",
            ArrowError::MissingAttribute => "110",
            ArrowError::AccountNotFound => "1001",
        }
    }
}

/// A balance in one of the four formats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArrowBalance {
    pub format: u8,
    pub currency: String,
    /// Cents (two places), already converted to the account's currency.
    pub initial: Wide,
    pub balance: Wide,
}

/// Arrow's currency numbers, matched on the code as written.
fn currency_number(code: &str) -> Option<u8> {
    Some(match code {
        "RMD" => 1,
        "USD" => 2,
        "YEN" => 3,
        "INR" => 4,
        "GBP" => 5,
        "EUR" => 6,
        "CAD" => 7,
        _ => return None,
    })
}

fn valid(value: &[u8], extra: &[u8]) -> bool {
    (1..=20).contains(&value.len())
        && value
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || extra.contains(b))
}

/// Answers `balance.php`. The checks run in this order, and the first that fails is the answer
/// (docs/api.md; Arrow's bare codes):
///
/// 1. `balance_over_http`: `102` (`api.enabled` does not apply: this is not a MOR call);
/// 2. the attributes: `uid` present and `[A-Za-z0-9_@]{1,20}`, `format` 1-4 or absent,
///    `e164num` `[0-9]{1,20}`, `passwd` like `uid`, `site` `[A-Za-z0-9_]{1,20}`, and not
///    both `e164num` and `passwd`: `110`;
/// 3. the account: with `uid` alone a card whose PIN it is (one card only), else the user
///    named `uid` holding that number or password: `1001` for any miss;
/// 4. format 1 needs an Arrow currency number for the account's currency: `107`.
pub fn run(
    accounts: &Accounts,
    settings: &ApiSettings,
    request: &MorRequest<'_>,
) -> Result<ArrowBalance, ArrowError> {
    if !settings.balance_over_http {
        return Err(ArrowError::NoPermission);
    }
    let params = request.params;
    let uid = params.get("uid").filter(|v| valid(v, b"_@"));
    let e164 = params.get("e164num");
    let passwd = params.get("passwd");
    let format = match params.get("format") {
        None => Some(1),
        Some(b"1") => Some(1),
        Some(b"2") => Some(2),
        Some(b"3") => Some(3),
        Some(b"4") => Some(4),
        Some(_) => None,
    };
    let malformed = uid.is_none()
        || format.is_none()
        || e164.is_some_and(|v| !(1..=20).contains(&v.len()) || !v.iter().all(u8::is_ascii_digit))
        || passwd.is_some_and(|v| !valid(v, b"_@"))
        || params.get("site").is_some_and(|v| !valid(v, b"_"))
        || (e164.is_some() && passwd.is_some());
    let (Some(uid), Some(format), false) = (uid, format, malformed) else {
        return Err(ArrowError::MissingAttribute);
    };
    let uid = std::str::from_utf8(uid).map_err(|_| ArrowError::MissingAttribute)?;
    if e164.is_none() && passwd.is_none() {
        // uid alone is a calling card's PIN; its amounts are in the default currency.
        let card = accounts
            .card_by_pin(uid)
            .ok_or(ArrowError::AccountNotFound)?;
        let code = &accounts.currencies.default_currency().code;
        return finish(
            format,
            code,
            card.balance().rounded(2),
            card.balance().rounded(2),
        );
    }
    let user = accounts
        .user_by_username(uid)
        .ok_or(ArrowError::AccountNotFound)?;
    let authenticated = match (e164, passwd) {
        (Some(number), _) => user.numbers.iter().any(|n| n.as_bytes() == number),
        (_, Some(given)) => match &user.password {
            Some(Password::Plain(stored)) => stored.as_bytes() == given,
            Some(Password::Sha256(digest)) => Sha256::digest(given).as_slice() == digest,
            None => false,
        },
        (None, None) => false,
    };
    if !authenticated {
        return Err(ArrowError::AccountNotFound);
    }
    let currency = user_currency(accounts, user);
    finish(
        format,
        &currency.code,
        user.initial_balance.mul_rounded(currency.rate, 2),
        user.balance().mul_rounded(currency.rate, 2),
    )
}

fn finish(
    format: u8,
    currency: &str,
    initial: Wide,
    balance: Wide,
) -> Result<ArrowBalance, ArrowError> {
    if format == 1 && currency_number(currency).is_none() {
        return Err(ArrowError::InformationUnavailable);
    }
    Ok(ArrowBalance {
        format,
        currency: currency.to_owned(),
        initial,
        balance,
    })
}

/// The plain-text body: a format's line, or the bare error code. No trailing newline.
pub fn write(out: &mut Vec<u8>, result: &Result<ArrowBalance, ArrowError>) -> ContentType {
    let answer = match result {
        Ok(answer) => answer,
        Err(error) => {
            out.extend_from_slice(error.code().as_bytes());
            return ContentType::Text;
        }
    };
    let amounts = |out: &mut Vec<u8>| {
        out.extend_from_slice(b"|InitBalance=");
        write_scaled(out, answer.initial, 2);
        out.extend_from_slice(b"|Balance=");
        write_scaled(out, answer.balance, 2);
    };
    match answer.format {
        1 => {
            out.extend_from_slice(b"CurrencyCode=");
            let number = currency_number(&answer.currency).unwrap_or_default();
            out.extend_from_slice(itoa::Buffer::new().format(number).as_bytes());
            amounts(out);
        }
        2 => {
            out.extend_from_slice(b"CurrencyName=");
            out.extend_from_slice(answer.currency.as_bytes());
            amounts(out);
        }
        3 => {
            out.extend_from_slice(answer.currency.as_bytes());
            out.push(b' ');
            write_scaled(out, answer.balance, 2);
        }
        _ => write_scaled(out, answer.balance, 2),
    }
    ContentType::Text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mor_api::testing::{body, demo, with_request};
    use crate::mor_api::Method;
    use crate::time::Timestamp;

    fn call_with(settings: &ApiSettings, pairs: &[(&str, &str)]) -> String {
        let result = with_request(pairs, Method::Get, Timestamp(0), |request| {
            run(&demo().accounts, settings, request)
        });
        let (text, kind) = body(|out| write(out, &result));
        assert_eq!(kind, ContentType::Text);
        text
    }

    fn call(pairs: &[(&str, &str)]) -> String {
        call_with(&ApiSettings::default(), pairs)
    }

    #[test]
    fn the_four_formats_for_users_and_cards() {
        // alice: EUR, balance 60 and initial 100 in USD, at 0.92.
        let alice = [("uid", "alice"), ("e164num", "37061234567")];
        assert_eq!(
            call(&alice),
            "CurrencyCode=6|InitBalance=92.00|Balance=55.20"
        );
        assert_eq!(
            call(&[alice[0], alice[1], ("format", "2")]),
            "CurrencyName=EUR|InitBalance=92.00|Balance=55.20"
        );
        assert_eq!(
            call(&[alice[0], alice[1], ("format", "3"), ("site", "main_1")]),
            "EUR 55.20"
        );
        assert_eq!(call(&[alice[0], alice[1], ("format", "4")]), "55.20");
        assert_eq!(
            call(&[("uid", "alice"), ("passwd", "secret_1")]),
            "CurrencyCode=6|InitBalance=92.00|Balance=55.20"
        );
        // dave's password is stored as sha256:; bob is in GBP and negative.
        assert_eq!(
            call(&[("uid", "dave"), ("passwd", "phone2026"), ("format", "2")]),
            "CurrencyName=CAD|InitBalance=21.08|Balance=21.08"
        );
        assert_eq!(
            call(&[("uid", "bob"), ("e164num", "442071234567"), ("format", "4")]),
            "-9.75"
        );
        // A card PIN alone: the default currency, InitBalance = balance.
        assert_eq!(
            call(&[("uid", "2668")]),
            "CurrencyCode=2|InitBalance=10.08|Balance=10.08"
        );
    }

    #[test]
    fn errors_are_bare_codes() {
        assert_eq!(call(&[("uid", "carol"), ("passwd", "x")]), "1001");
        assert_eq!(call(&[("uid", "alice"), ("passwd", "wrong")]), "1001");
        assert_eq!(call(&[("uid", "alice"), ("e164num", "1")]), "1001");
        assert_eq!(call(&[("uid", "9999")]), "1001");
        for bad in [
            vec![],
            vec![("uid", "")],
            vec![("uid", "has space")],
            vec![("uid", "abcdefghijklmnopqrstu")],
            vec![("uid", "alice"), ("e164num", "+3706")],
            vec![("uid", "alice"), ("passwd", "a-b")],
            vec![("uid", "alice"), ("e164num", "1"), ("passwd", "x")],
            vec![("uid", "2668"), ("format", "5")],
            vec![("uid", "2668"), ("site", "a-b")],
        ] {
            assert_eq!(call(&bad), "110", "{bad:?}");
        }
        // carol is in JPY, which Arrow has no number for: format 1 cannot be answered.
        let carol = [("uid", "carol"), ("e164num", "81312345678")];
        assert_eq!(call(&carol), "107");
        assert_eq!(
            call(&[carol[0], carol[1], ("format", "2")]),
            "CurrencyName=JPY|InitBalance=302400.00|Balance=186666.65"
        );
        let off = ApiSettings {
            balance_over_http: false,
            ..ApiSettings::default()
        };
        assert_eq!(call_with(&off, &[("uid", "2668")]), "102");
    }
}
