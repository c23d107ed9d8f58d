//! `/v1/rates`: batch lookups, matched as `rate_get` matches.

use super::super::testing::{live, live_on, priced_cards, run, vip_custom_billed};
use super::super::{Endpoint, JsonStatus};

fn rates(body: &str) -> (JsonStatus, String) {
    run(&live(priced_cards), Endpoint::Rates, &[], body)
}

#[test]
fn a_custom_tariff_match_wins_even_when_shorter() {
    // alice: vip_custom has 370 only, retail has 3706: vip_custom's 370 answers.
    assert_eq!(
        rates(r#"{"account":"alice","numbers":["+370 612 34567"]}"#),
        (
            JsonStatus::Ok,
            r#"{"results":[{"number":"+370 612 34567","tariff":"vip_custom","prefix":"370","destination":"Lithuania (VIP)","rate":"0.5","connection_fee":"0","increment_s":1,"min_time_s":0,"currency":"USD"}]}"#.into()
        )
    );
    // dave has retail only: the longer 3706.
    assert!(rates(r#"{"account":"dave","numbers":["37061234567"]}"#)
        .1
        .contains(r#""tariff":"retail","prefix":"3706","destination":"Lithuania Mobile","rate":"0.155","connection_fee":"0.01""#));
}

#[test]
fn numbers_keep_their_first_twenty_digits_and_exact_prefixes_are_never_cut() {
    let long = format!("1{}", "0".repeat(25));
    let answer = rates(&format!(r#"{{"tariff":"retail","numbers":["{long}"]}}"#)).1;
    assert!(
        answer.contains(r#""prefix":"1","destination":"United States""#),
        "{answer}"
    );
    let exact = rates(&format!(
        r#"{{"tariff":"retail","numbers":["{long}","1"],"exact":true}}"#
    ))
    .1;
    assert!(
        exact.starts_with(&format!(r#"{{"results":[{{"number":"{long}","error":"rate not found"}},{{"number":"1","tariff":"retail","prefix":"1","#)),
        "{exact}"
    );
    assert_eq!(
        rates(r#"{"tariff":"retail","numbers":["","abc"]}"#).1,
        r#"{"results":[{"number":"","error":"rate not found"},{"number":"abc","error":"rate not found"}]}"#
    );
}

#[test]
fn the_body_is_checked_field_by_field() {
    let many = vec![r#""1""#; 10_001].join(",");
    for (body, expected) in [
        (
            r#"{"numbers":["1"]}"#.to_owned(),
            r#"{"error":"account or tariff is required"}"#,
        ),
        (
            r#"{"tariff":5,"numbers":["1"]}"#.into(),
            r#"{"error":"tariff must be a string"}"#,
        ),
        (
            r#"{"tariff":"retail","numbers":[]}"#.into(),
            r#"{"error":"numbers must hold 1 to 10000 numbers"}"#,
        ),
        (
            format!(r#"{{"tariff":"retail","numbers":[{many}]}}"#),
            r#"{"error":"numbers must hold 1 to 10000 numbers"}"#,
        ),
        (
            r#"{"tariff":"retail","numbers":["1"],"exact":1}"#.into(),
            r#"{"error":"exact must be true or false"}"#,
        ),
        (
            r#"{"tariff":"retail","numbers":["1"],"at":"2026-01-01"}"#.into(),
            r#"{"error":"at must be a time YYYY-MM-DD HH:MM:SS (UTC)"}"#,
        ),
        (
            r#"{"tariff":"retail","numbers":["1"],"at":20260101}"#.into(),
            r#"{"error":"at must be a time YYYY-MM-DD HH:MM:SS (UTC)"}"#,
        ),
    ] {
        assert_eq!(
            rates(&body),
            (JsonStatus::BadRequest, expected.to_owned()),
            "{body:.80}"
        );
    }
    // 10,000 numbers is the most, and fine.
    let most = vec![r#""44""#; 10_000].join(",");
    let (status, answer) = rates(&format!(r#"{{"tariff":"retail","numbers":[{most}]}}"#));
    assert_eq!(status, JsonStatus::Ok);
    assert_eq!(answer.matches(r#""prefix":"44""#).count(), 10_000);
}

#[test]
fn a_first_interval_is_shown_only_for_a_row_that_has_one() {
    // alice: vip_custom (370 only, here 30/6), then retail (447, per second).
    let live = live_on(vip_custom_billed("30/6"), priced_cards);
    let answer = run(
        &live,
        Endpoint::Rates,
        &[],
        r#"{"account":"alice","numbers":["37061234567","447123"]}"#,
    );
    assert_eq!(
        answer,
        (
            JsonStatus::Ok,
            r#"{"results":[{"number":"37061234567","tariff":"vip_custom","prefix":"370","destination":"Lithuania (VIP)","rate":"0.5","connection_fee":"0","increment_s":6,"min_time_s":0,"first_interval_s":30,"currency":"USD"},{"number":"447123","tariff":"retail","prefix":"447","destination":"United Kingdom Mobile","rate":"0.055","connection_fee":"0","increment_s":1,"min_time_s":0,"currency":"USD"}]}"#.into()
        )
    );
}
