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
