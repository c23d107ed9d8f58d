//! `card_payment_add` (docs/api.md): adds a payment of `amount` in `currency` to a sold,
//! visible calling card, signed with SHA1(description + number + amount + currency + key).
//! The amount is converted into the default currency (÷ the exchange rate, rounded half away
//! from zero to 6 places) and recorded as a `card_payment` entry of the ledger, durable before
//! the answer. MOR has no idempotency key here: every accepted request is a payment.

use std::sync::Arc;

use super::{
    check_enabled, check_get, decimal_param, signed_caller, write_page, ApiError, ApiSettings,
    ContentType, Failure, MorRequest,
};
use crate::accounts::visibility;
use crate::accounts::Account;
use crate::accounts::{Accounts, Card, CardGroup, Currency};
use crate::cost::COST_PLACES;
use crate::ledger::{Applied, Change, Commit, Kind, Submission};
use crate::money::{write_ruby_float, Decimal};

/// The success text.
pub const UPDATED: &str = "Calling Card balance successfully updated";

/// An applied payment.
#[derive(Debug, Clone)]
pub struct Payment<'a> {
    pub group: &'a CardGroup,
    pub card: &'a Card,
    /// The currency paid in (as `currencies.csv` spells it).
    pub currency: &'a Currency,
    /// The default currency when `currency` is another one (a conversion was made).
    pub converted_to: Option<&'a Currency>,
    /// The amount as sent, in `currency`.
    pub sent: Decimal,
    /// The amount added, in the default currency.
    pub amount: Decimal,
    /// The card's balance right before and right after the payment.
    pub before: Decimal,
    pub after: Decimal,
    pub description: String,
}

/// Answers `card_payment_add`. The checks run in this order, and the first that fails is the
/// answer (docs/api.md; part of the MOR contract):
///
/// 1. `api.enabled`: `<status>API Requests are disabled`;
/// 2. `allow_get` for a GET: `<status>GET Requests are disabled`;
/// 3. `u` names a user: `<page><status>Access Denied`;
/// 4. the hash over `description`, `number`, `amount`, `currency`, under the secret or the
///    caller's reseller's `api_key`: `<status>API must have Secret Key` (empty `secret_key`),
///    then `<status>Incorrect hash`; skipped with `disable_hash_check`;
/// 5. `payments_over_api`: `<page><status>Feature disabled`;
/// 6. the caller is the admin or a reseller with `calling_cards`
///    ([`crate::accounts::visibility::card_balances_for`]):
///    `<page><status>You are not authorized to use Calling Cards`;
/// 7. `number` is a sold, unhidden card of a group the caller sees:
///    `<page><status>Calling Card was not found`;
/// 8. `currency`, when sent and not empty, is in `currencies.csv` (any case):
///    `<page><status>Currency disabled`;
/// 9. `amount` is a decimal above zero, still above zero and within 38 digits once converted:
///    `<page><status>Amount is invalid`;
/// 10. the ledger applies it: `<page><status>Amount is invalid` when the new balance would not
///     fit 38 digits; `<page><status>Feature disabled` when the store failed (nothing was
///     applied, the committer logs why, and the payment may be sent again).
pub fn run<'a>(
    accounts: &'a Accounts,
    settings: &ApiSettings,
    request: &MorRequest<'_>,
    ledger: &dyn Commit,
) -> Result<Payment<'a>, Failure> {
    check_enabled(settings)?;
    check_get(settings, request.method)?;
    let params = request.params;
    let caller = signed_caller(
        settings,
        accounts,
        params,
        Failure::page_status(ApiError::AccessDenied),
        &[
            params.get("description").unwrap_or_default(),
            params.get("number").unwrap_or_default(),
            params.get("amount").unwrap_or_default(),
            params.get("currency").unwrap_or_default(),
        ],
    )?;
    if !settings.payments_over_api {
        return Err(Failure::page_status(ApiError::FeatureDisabled));
    }
    let visible = visibility::card_balances_for(caller)
        .map_err(|_| Failure::page_status(ApiError::NotAuthorizedToUseCards))?;
    let (card, group) = params
        .text("number")
        .and_then(|number| accounts.card_by_number(number))
        .filter(|card| card.sold && !card.hidden)
        .and_then(|card| Some((card, accounts.card_group(card.group_id)?)))
        .filter(|(_, group)| visible.contains(group))
        .ok_or(Failure::page_status(ApiError::CallingCardNotFound))?;
    let default = accounts.currencies.default_currency();
    let currency = match params.get("currency").map(<[u8]>::trim_ascii) {
        None | Some(b"") => default,
        Some(code) => std::str::from_utf8(code)
            .ok()
            .and_then(|code| accounts.currencies.get(code))
            .ok_or(Failure::page_status(ApiError::CurrencyDisabled))?,
    };
    let invalid = Failure::page_status(ApiError::AmountInvalid);
    let sent = decimal_param(params, "amount", false)
        .filter(|amount| !amount.is_zero())
        .ok_or(invalid)?;
    let converted_to = (currency.code != default.code).then_some(default);
    let amount = match converted_to {
        None => sent,
        Some(_) => to_default_currency(sent, currency.rate)
            .filter(|amount| !amount.is_zero())
            .ok_or(invalid)?,
    };
    // Stored and echoed as UTF-8; bytes that are not are replaced (U+FFFD).
    let description =
        String::from_utf8_lossy(params.get("description").unwrap_or_default()).into_owned();
    let change = Change {
        account: Account::Card(card.id),
        cell: Arc::clone(&card.live),
        amount,
        kind: Kind::CardPayment,
        reference: String::new(),
        description: description.clone(),
        call: None,
    };
    let entry = match ledger.commit(vec![Submission::Change(change)]).pop() {
        Some(Applied::Done(entry) | Applied::Duplicate(entry)) => entry,
        Some(Applied::Refused(_)) => return Err(invalid),
        Some(Applied::Failed(_)) | None => {
            return Err(Failure::page_status(ApiError::FeatureDisabled))
        }
    };
    // The balance before is the one this entry was applied to, whatever ran alongside.
    let before = entry
        .balance_after
        .checked_add(entry.amount.negated())
        .ok_or(invalid)?;
    Ok(Payment {
        group,
        card,
        currency,
        converted_to,
        sent,
        amount,
        before,
        after: entry.balance_after,
        description,
    })
}

/// `amount` (in a currency with `rate` units per default unit) in the default currency,
/// rounded half away from zero to [`COST_PLACES`] from the exact quotient; `None` when it
/// does not fit 38 digits.
fn to_default_currency(amount: Decimal, rate: Decimal) -> Option<Decimal> {
    amount.converted(rate, Decimal::new(1, 0), COST_PLACES)
}

/// The success page, or the failure.
pub fn write(out: &mut Vec<u8>, result: &Result<Payment<'_>, Failure>) -> ContentType {
    write_page(out, result, |xml, payment| {
        let ruby = |value: Decimal| move |out: &mut Vec<u8>| write_ruby_float(out, value.to_f64());
        xml.open("status");
        xml.text("success", UPDATED.as_bytes());
        xml.close("status");
        xml.open("calling_card_group");
        xml.text("name", payment.group.name.as_bytes());
        xml.close("calling_card_group");
        xml.open("calling_card");
        xml.text("number", payment.card.number.as_bytes());
        xml.close("calling_card");
        xml.open("add_payment");
        xml.text("currency", payment.currency.code.as_bytes());
        xml.with("amount_with_tax", ruby(payment.sent));
        xml.open("details");
        xml.with("current_balance", ruby(payment.before));
        if let Some(default) = payment.converted_to {
            xml.text("converted_to", default.code.as_bytes());
            xml.with("exchange_rate", ruby(payment.currency.rate));
        }
        // No tax: with and without are the same amount.
        xml.with("amount_with_tax", ruby(payment.amount));
        xml.with("amount_without_tax", ruby(payment.amount));
        xml.with("new_balance", ruby(payment.after));
        xml.text_or_empty("description", payment.description.as_bytes());
        xml.close("details");
        xml.close("add_payment");
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::NoLedger;
    use crate::mor_api::testing::{
        assert_payment_checks, body, live, page_status, payments, with_signed_request,
    };
    use crate::mor_api::Method;

    /// Runs the endpoint with `pairs`, signed with `key` (when given) over description,
    /// number, amount and currency, a missing one as empty.
    fn call_with(
        accounts: &Accounts,
        ledger: &dyn Commit,
        settings: &ApiSettings,
        method: Method,
        pairs: &[(&str, &str)],
        key: Option<&str>,
    ) -> String {
        let signed = ["description", "number", "amount", "currency"];
        let result = with_signed_request(pairs, &signed, key, method, |request| {
            run(accounts, settings, request, ledger)
        });
        body(|out| write(out, &result)).0
    }

    #[test]
    fn a_payment_in_another_currency_is_converted_and_prints_as_documented() {
        let dir = tempfile::tempdir().unwrap();
        let (accounts, ledger) = live(dir.path());
        let body = call_with(
            &accounts,
            &ledger,
            &payments(),
            Method::Post,
            &[
                ("u", "admin"),
                ("number", "1111111120"),
                ("amount", "9.2"),
                ("currency", "EUR"),
                ("description", "top-up"),
            ],
            Some("secret"),
        );
        assert_eq!(
            body,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<page>\n  <status>\n    \
             <success>Calling Card balance successfully updated</success>\n  </status>\n  \
             <calling_card_group>\n    <name>Retail cards</name>\n  </calling_card_group>\n  \
             <calling_card>\n    <number>1111111120</number>\n  </calling_card>\n  \
             <add_payment>\n    <currency>EUR</currency>\n    <amount_with_tax>9.2</amount_with_tax>\n    \
             <details>\n      <current_balance>25.0</current_balance>\n      \
             <converted_to>USD</converted_to>\n      <exchange_rate>0.92</exchange_rate>\n      \
             <amount_with_tax>10.0</amount_with_tax>\n      <amount_without_tax>10.0</amount_without_tax>\n      \
             <new_balance>35.0</new_balance>\n      <description>top-up</description>\n    \
             </details>\n  </add_payment>\n</page>\n"
        );
        let card = accounts.card_by_number("1111111120").unwrap();
        assert_eq!(card.balance().to_string(), "35");
        drop(ledger);
        let (reopened, _ledger) = live(dir.path());
        let card = reopened.card_by_number("1111111120").unwrap();
        assert_eq!(card.balance().to_string(), "35");
    }

    #[test]
    fn a_payment_in_the_default_currency_is_exact_and_an_empty_description_self_closes() {
        let dir = tempfile::tempdir().unwrap();
        let (accounts, ledger) = live(dir.path());
        let body = call_with(
            &accounts,
            &ledger,
            &payments(),
            Method::Get,
            &[
                ("u", "reseller1"),
                ("number", "2222222201"),
                ("amount", "0.1234567"),
            ],
            Some("resellerkey"),
        );
        assert_eq!(
            body,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<page>\n  <status>\n    \
             <success>Calling Card balance successfully updated</success>\n  </status>\n  \
             <calling_card_group>\n    <name>Reseller cards</name>\n  </calling_card_group>\n  \
             <calling_card>\n    <number>2222222201</number>\n  </calling_card>\n  \
             <add_payment>\n    <currency>USD</currency>\n    <amount_with_tax>0.1234567</amount_with_tax>\n    \
             <details>\n      <current_balance>1.0e-05</current_balance>\n      \
             <amount_with_tax>0.1234567</amount_with_tax>\n      <amount_without_tax>0.1234567</amount_without_tax>\n      \
             <new_balance>0.1234667</new_balance>\n      <description/>\n    \
             </details>\n  </add_payment>\n</page>\n"
        );
        // An explicit default currency is no conversion either; "usd" is USD.
        let body = call_with(
            &accounts,
            &ledger,
            &payments(),
            Method::Post,
            &[
                ("u", "admin"),
                ("number", "2222222201"),
                ("amount", "1"),
                ("currency", "usd"),
                ("description", "a <b> & c"),
            ],
            Some("secret"),
        );
        assert!(body.contains("<currency>USD</currency>"), "{body}");
        assert!(!body.contains("converted_to"), "{body}");
        assert!(
            body.contains("<new_balance>1.1234667</new_balance>"),
            "{body}"
        );
        assert!(
            body.contains("<description>a &lt;b&gt; &amp; c</description>"),
            "{body}"
        );
    }

    #[test]
    fn conversions_round_half_away_from_zero_to_six_places() {
        let d = |text| Decimal::parse(text, false).unwrap();
        let convert = |amount, rate| to_default_currency(d(amount), d(rate)).map(|a| a.to_string());
        // 1 / 0.79 = 1.265822784...; 10 / 151.2 = 0.066137566...
        assert_eq!(convert("1", "0.79"), Some("1.265823".into()));
        assert_eq!(convert("10", "151.2"), Some("0.066138".into()));
        // 0.0000005 / 1 is exactly half a unit of the 6th place: away from zero.
        assert_eq!(convert("0.0000005", "1"), Some("0.000001".into()));
        assert_eq!(convert("0.0000004", "1"), Some("0".into()));
        assert_eq!(convert("9.2", "0.92"), Some("10".into()));
        // Out of range: more than 38 digits once converted.
        assert_eq!(
            convert("99999999999999999999999999999999", "0.000001"),
            None
        );
        assert_eq!(convert("12345678901234567890123456789012", "0.1"), None);
        // 18 digits and more are fine (it was the limit once).
        assert_eq!(
            convert("123456789012.123456", "0.123456789012345678"),
            Some("999999999998.200002".into())
        );
        assert_eq!(convert("1", "0"), None);
    }

    #[test]
    fn errors_follow_the_documented_order() {
        let dir = tempfile::tempdir().unwrap();
        let (accounts, ledger) = live(dir.path());
        let good = [
            ("u", "admin"),
            ("number", "1111111120"),
            ("amount", "5"),
            ("currency", "EUR"),
        ];
        let call = |settings: &ApiSettings, method, pairs: &[(&str, &str)], key: Option<&str>| {
            call_with(&accounts, &ledger, settings, method, pairs, key)
        };
        assert_payment_checks(
            call,
            &good,
            &page_status("Access Denied"),
            &page_status("Feature disabled"),
        );
        for (caller, key) in [
            ("accountant", "secret"),
            ("alice", "secret"),
            ("reseller2", "reseller2key"),
        ] {
            let mut pairs = good.to_vec();
            pairs[0].1 = caller;
            assert_eq!(
                call(&payments(), Method::Post, &pairs, Some(key)),
                page_status("You are not authorized to use Calling Cards"),
                "{caller}"
            );
        }
        for (caller, number, key) in [
            ("admin", "1111111119", "secret"),          // unsold
            ("admin", "1111111121", "secret"),          // hidden
            ("admin", "9999", "secret"),                // no such card
            ("admin", "", "secret"),                    // no number
            ("reseller1", "1111111120", "resellerkey"), // the admin's group
        ] {
            let pairs = [
                ("u", caller),
                ("number", number),
                ("amount", "5"),
                ("currency", "EUR"),
            ];
            assert_eq!(
                call(&payments(), Method::Post, &pairs, Some(key)),
                page_status("Calling Card was not found"),
                "{caller} {number}"
            );
        }
        let mut unknown_currency = good.to_vec();
        unknown_currency[3].1 = "XYZ";
        // Checked before the amount: an invalid amount in an unknown currency.
        unknown_currency[2].1 = "-5";
        assert_eq!(
            call(&payments(), Method::Post, &unknown_currency, Some("secret")),
            page_status("Currency disabled")
        );
        for amount in [
            None,
            Some(""),
            Some("0"),
            Some("0.000"),
            Some("-5"),
            Some("five"),
            Some("1e2"),
            // Rounds to zero once converted from EUR.
            Some("0.0000001"),
            // More than 38 digits once converted.
            Some("999999999999999999999999999999999"),
        ] {
            let mut pairs: Vec<(&str, &str)> = vec![
                ("u", "admin"),
                ("number", "1111111120"),
                ("currency", "EUR"),
            ];
            if let Some(amount) = amount {
                pairs.push(("amount", amount));
            }
            assert_eq!(
                call(&payments(), Method::Post, &pairs, Some("secret")),
                page_status("Amount is invalid"),
                "{amount:?}"
            );
        }
        // In the default currency the amount fits, but the new balance would not: the
        // ledger refuses it.
        let mut too_much = good.to_vec();
        too_much[2].1 = "99999999999999999999999999999999.999999";
        too_much[3].1 = "USD";
        assert_eq!(
            call(&payments(), Method::Post, &too_much, Some("secret")),
            page_status("Amount is invalid")
        );
        let card = accounts.card_by_number("1111111120").unwrap();
        assert_eq!(card.balance().to_string(), "25");
        // A store that fails applies nothing and answers the feature as unavailable.
        assert_eq!(
            call_with(
                &accounts,
                &NoLedger,
                &payments(),
                Method::Post,
                &good,
                Some("secret")
            ),
            page_status("Feature disabled")
        );
        assert_eq!(card.balance().to_string(), "25");
    }

    #[test]
    fn concurrent_payments_each_show_their_own_step_and_sum_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let (accounts, ledger) = live(dir.path());
        const THREADS: usize = 8;
        const EACH: usize = 15;
        let element = |body: &str, name: &str| -> Decimal {
            let start = body.find(&format!("<{name}>")).unwrap() + name.len() + 2;
            let end = start + body[start..].find('<').unwrap();
            Decimal::parse(&body[start..end], true).unwrap()
        };
        let steps = std::sync::Mutex::new(Vec::new());
        std::thread::scope(|scope| {
            for thread in 0..THREADS {
                let (accounts, ledger, steps) = (&accounts, &ledger, &steps);
                scope.spawn(move || {
                    let amount = format!("0.{}", thread + 1);
                    for _ in 0..EACH {
                        let body = call_with(
                            accounts,
                            ledger,
                            &payments(),
                            Method::Post,
                            &[
                                ("u", "admin"),
                                ("number", "1111111120"),
                                ("amount", &amount),
                            ],
                            Some("secret"),
                        );
                        let step = (
                            element(&body, "current_balance"),
                            element(&body, "amount_without_tax"),
                            element(&body, "new_balance"),
                        );
                        steps.lock().unwrap().push(step);
                    }
                });
            }
        });
        // The answered steps chain from the opening to the final balance, one payment each.
        let mut steps = steps.into_inner().unwrap();
        steps.sort();
        let mut balance = Decimal::parse("25", false).unwrap();
        for (before, amount, after) in &steps {
            assert_eq!(*before, balance, "{steps:?}");
            balance = before.checked_add(*amount).unwrap();
            assert_eq!(*after, balance);
        }
        assert_eq!(steps.len(), THREADS * EACH);
        // 25 + 15 × (0.1 + ... + 0.8) = 25 + 15 × 3.6
        assert_eq!(balance.to_string(), "79");
        let card = accounts.card_by_number("1111111120").unwrap();
        assert_eq!(card.balance(), balance);
    }

    #[test]
    fn every_payment_is_applied_even_when_repeated() {
        let dir = tempfile::tempdir().unwrap();
        let (accounts, ledger) = live(dir.path());
        let pay = [
            ("u", "admin"),
            ("number", "1111111120"),
            ("amount", "2.5"),
            ("description", "same"),
        ];
        for expected in ["27.5", "30.0"] {
            let body = call_with(
                &accounts,
                &ledger,
                &payments(),
                Method::Post,
                &pay,
                Some("secret"),
            );
            assert!(
                body.contains(&format!("<new_balance>{expected}</new_balance>")),
                "{body}"
            );
        }
    }
}
