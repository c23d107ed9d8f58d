//! `/v1/authorize`: the longest call a balance (with credit, or less `min_balance`) pays
//! for, worked by hand.

use super::super::testing::{
    live, live_on, priced_cards, vip_custom_billed, vip_custom_in, Fixture,
};
use super::super::{respond, Endpoint, JsonRequest, JsonStatus};
use crate::mor_api::{ApiSettings, Params};
use crate::time::Timestamp;

/// users.csv with a `credit` column: alice 10, bob 20, dave unlimited, the others none.
fn with_credit(file: &str, text: String) -> String {
    let text = priced_cards(file, text);
    if file != "users.csv" {
        return text;
    }
    text.lines()
        .enumerate()
        .map(|(i, line)| {
            let credit = match (i, line.split(',').nth(1)) {
                (0, _) => "credit",
                (_, Some("alice")) => "10",
                (_, Some("bob")) => "20",
                (_, Some("dave")) => "-1",
                _ => "0",
            };
            format!("{line},{credit}\n")
        })
        .collect()
}

fn authorize(live: &Fixture, limit: u32, pairs: &[(&str, &str)]) -> (JsonStatus, String) {
    let params = Params::from_query(pairs);
    let request = JsonRequest {
        params: &params,
        body: b"",
        now: Timestamp::parse("2026-11-26 12:00:00").unwrap(),
    };
    let settings = ApiSettings {
        max_call_seconds: limit,
        ..ApiSettings::default()
    };
    let mut out = Vec::new();
    let status = respond(
        Endpoint::Authorize,
        &live.artifact,
        &live.accounts,
        &settings,
        &request,
        &live.ledger,
        &mut out,
    );
    (status, String::from_utf8(out).unwrap())
}

/// `max_seconds` of an allowed answer, or 0.
fn seconds(answer: &(JsonStatus, String)) -> u32 {
    let value: serde_json::Value = serde_json::from_str(&answer.1).unwrap();
    value["max_seconds"].as_u64().unwrap() as u32
}

const ALICE: [(&str, &str); 2] = [("account", "alice"), ("number", "37061234567")];

#[test]
fn the_spec_example_allows_the_longest_call_the_balance_pays_for() {
    let live = live(priced_cards);
    assert_eq!(
        authorize(&live, 7200, &ALICE),
        (
            JsonStatus::Ok,
            r#"{"allowed":true,"max_seconds":7200,"balance":"60.000000","reserved":"0.000000","available":"60.000000","prefix":"370","destination":"Lithuania (VIP)","rate":"0.5","connection_fee":"0","increment_s":1,"min_time_s":0,"currency":"USD","balance_currency":"USD"}"#.into()
        )
    );
    // 0.5/min per second: s / 120 ≤ 60 up to s = 7200 exactly; nothing was reserved.
    assert_eq!(seconds(&authorize(&live, 100_000, &ALICE)), 7200);
    assert_eq!(seconds(&authorize(&live, 100_000, &ALICE)), 7200);
}

#[test]
fn credit_raises_what_a_user_may_spend_and_unlimited_credit_allows_the_limit() {
    let live = live(with_credit);
    // alice: 60 + 10 = 70 → 8400 s.
    assert_eq!(seconds(&authorize(&live, 100_000, &ALICE)), 8400);
    // bob: -12.34 + 20 = 7.66 at wholesale 3706, 0.088/min per second: 5222 s cost
    // 7.658933, 5223 s cost 7.660400.
    let bob = [("account", "bob"), ("number", "37061234567")];
    assert_eq!(seconds(&authorize(&live, 100_000, &bob)), 5222);
    // dave: unlimited, whatever the row costs.
    let dave = [("account", "dave"), ("number", "4470123")];
    assert_eq!(
        authorize(&live, 100_000, &dave).1,
        r#"{"allowed":true,"max_seconds":100000,"balance":"15.500000","reserved":"0.000000","available":null,"prefix":"4470","destination":"United Kingdom Personal Numbering","rate":"0.35","connection_fee":"0.05","increment_s":60,"min_time_s":60,"currency":"USD","balance_currency":"USD"}"#
    );
    // ...but only where a rate exists.
    assert_eq!(
        authorize(&live, 100_000, &[("account", "dave"), ("number", "999")]).1,
        r#"{"allowed":false,"max_seconds":0,"reason":"rate not found","balance":"15.500000","reserved":"0.000000","available":null,"balance_currency":"USD"}"#
    );
}

#[test]
fn a_card_spends_its_balance_less_its_minimum_at_its_group_tariff() {
    let live = live(priced_cards);
    // Card 27: 25, min 0; retail 3706 at 0.155/min + 0.01: 9673 s cost 24.998583.
    let card = [("card", "1111111120"), ("number", "37061234567")];
    assert_eq!(seconds(&authorize(&live, 100_000, &card)), 9673);
    // Card 26: 10.084… with a minimum of 20: nothing to spend.
    assert_eq!(
        authorize(&live, 7200, &[("card", "1111111119"), ("number", "370")]).1,
        r#"{"allowed":false,"max_seconds":0,"reason":"insufficient balance","balance":"10.084034","reserved":"0.000000","available":"-9.915966","prefix":"370","destination":"Lithuania","rate":"0.987","connection_fee":"0","increment_s":1,"min_time_s":0,"currency":"USD","balance_currency":"USD"}"#
    );
}

#[test]
fn costs_are_compared_in_the_default_currency() {
    // vip_custom in EUR at 0.92: s × 0.5 / 60 / 0.92 ≤ 60 up to s = 6624 exactly.
    let live = live_on(vip_custom_in("EUR"), priced_cards);
    let answer = authorize(&live, 100_000, &ALICE);
    assert_eq!(seconds(&answer), 6624);
    assert!(
        answer.1.ends_with(
            // Issue 19: the balance's currency beside the rate's, so a USD balance next to
            // an EUR rate is not read as euros.
            r#""rate":"0.5","connection_fee":"0","increment_s":1,"min_time_s":0,"currency":"EUR","balance_currency":"USD"}"#
        ),
        "{}",
        answer.1
    );
    let live = live_on(vip_custom_in("CHF"), priced_cards);
    assert_eq!(
        authorize(&live, 7200, &ALICE).1,
        r#"{"allowed":false,"max_seconds":0,"reason":"tariff vip_custom is in CHF, which currencies.csv does not list","balance":"60.000000","reserved":"0.000000","available":"60.000000","balance_currency":"USD"}"#
    );
}

#[test]
fn the_row_in_force_at_the_time_asked_is_used() {
    let live = live(priced_cards);
    let dave = |at: &'static str| {
        let mut pairs = vec![("account", "dave"), ("number", "442071234567")];
        if !at.is_empty() {
            pairs.push(("at", at));
        }
        authorize(&live, 100_000, &pairs).1
    };
    // 15.5 at 0.019/min: 48947 s; at 0.0175/min: 53142 s (the request's time: 2026).
    assert!(dave("2025-12-31 23:59:59").contains(r#""max_seconds":48947,"#));
    assert!(dave("").contains(r#""max_seconds":53142,"#));
    assert!(dave("2026-01-01 00:00:00").contains(r#""max_seconds":53142,"#));
}

#[test]
fn field_errors_come_before_lookups() {
    let live = live(priced_cards);
    for (pairs, expected) in [
        (
            &[("number", "370")][..],
            (
                JsonStatus::BadRequest,
                r#"{"error":"account or card is required"}"#,
            ),
        ),
        (
            &[("account", "nobody")],
            (JsonStatus::BadRequest, r#"{"error":"number is required"}"#),
        ),
        (
            &[("account", "nobody"), ("number", "+")],
            (
                JsonStatus::BadRequest,
                r#"{"error":"number must contain digits"}"#,
            ),
        ),
        (
            &[("account", "nobody"), ("number", "370"), ("at", "tomorrow")],
            (
                JsonStatus::BadRequest,
                r#"{"error":"at must be a time YYYY-MM-DD HH:MM:SS (UTC)"}"#,
            ),
        ),
        (
            &[("account", "nobody"), ("number", "370")],
            (JsonStatus::NotFound, r#"{"error":"account not found"}"#),
        ),
        (
            &[("card", "42"), ("number", "370")],
            (JsonStatus::NotFound, r#"{"error":"card not found"}"#),
        ),
    ] {
        let answer = authorize(&live, 7200, pairs);
        assert_eq!((answer.0, answer.1.as_str()), expected, "{pairs:?}");
    }
}

#[test]
fn a_first_interval_is_billed_and_shown_only_when_the_rate_has_one() {
    // 45/10 at 0.5/min: billed 45, 55, ... 7195, 7205 s; 7195 s cost 59.958333 ≤ 60, a
    // second more is billed 7205 s, 60.041667.
    let live = live_on(vip_custom_billed("45/10"), priced_cards);
    assert_eq!(
        authorize(&live, 100_000, &ALICE).1,
        r#"{"allowed":true,"max_seconds":7195,"balance":"60.000000","reserved":"0.000000","available":"60.000000","prefix":"370","destination":"Lithuania (VIP)","rate":"0.5","connection_fee":"0","increment_s":10,"min_time_s":0,"first_interval_s":45,"currency":"USD","balance_currency":"USD"}"#
    );
    // A plain increment: no first_interval_s, as before.
    let live = live_on(vip_custom_billed("10"), priced_cards);
    assert_eq!(
        authorize(&live, 100_000, &ALICE).1,
        r#"{"allowed":true,"max_seconds":7200,"balance":"60.000000","reserved":"0.000000","available":"60.000000","prefix":"370","destination":"Lithuania (VIP)","rate":"0.5","connection_fee":"0","increment_s":10,"min_time_s":0,"currency":"USD","balance_currency":"USD"}"#
    );
}

mod written_as_serde_writes_it {
    use std::borrow::Cow;

    use proptest::prelude::*;

    use super::super::super::{Canonical, Money, Text};
    use super::super::Answer;
    use crate::money::Decimal;

    fn decimal() -> impl Strategy<Value = Decimal> {
        (any::<i64>(), 0u8..=12).prop_map(|(units, scale)| Decimal::new(i128::from(units), scale))
    }

    proptest! {
        /// The answer's writer gives, byte for byte, what serde gives for the same answer:
        /// every field present or absent, text with quotes, backslashes, control characters
        /// and non-ASCII, amounts of any sign and scale.
        #[test]
        fn for_every_answer(
            allowed in any::<bool>(),
            max_seconds in any::<u32>(),
            reason in proptest::option::of(".{0,12}"),
            amounts in proptest::collection::vec(proptest::option::of(decimal()), 3),
            prefix in proptest::option::of("[0-9\"\\\\]{0,8}"),
            destination in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..16)),
            rated in proptest::option::of((decimal(), decimal(), any::<u32>(), any::<u32>())),
            first_interval in proptest::option::of(any::<u32>()),
            currency in proptest::option::of("[A-Z\u{e9}\"\\\\\u{1}]{0,4}"),
            balance_currency in "[A-Z\u{1f}\"]{0,4}",
        ) {
            let answer = Answer {
                allowed,
                max_seconds,
                reason: reason.map(Cow::Owned),
                balance: amounts[0].map(Money),
                reserved: amounts[1].map(Money),
                available: amounts[2].map(Money),
                prefix: prefix.as_deref(),
                destination: destination.as_deref().map(Text),
                rate: rated.map(|r| Canonical(r.0)),
                connection_fee: rated.map(|r| Canonical(r.1)),
                increment_s: rated.map(|r| r.2),
                min_time_s: rated.map(|r| r.3),
                first_interval_s: first_interval,
                currency: currency.as_deref(),
                balance_currency: &balance_currency,
            };
            let mut written = Vec::new();
            answer.write(&mut written);
            let by_serde = serde_json::to_vec(&answer).unwrap();
            prop_assert_eq!(String::from_utf8_lossy(&written), String::from_utf8_lossy(&by_serde));
        }
    }
}
