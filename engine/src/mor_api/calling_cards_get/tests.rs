use super::*;
use crate::auth::request_hash;
use crate::mor_api::testing::{body, demo, page_status};
use crate::mor_api::Method;
use crate::time::Timestamp;

fn call_with(settings: &ApiSettings, pairs: &[(&str, &str)], key: &str) -> String {
    let signed = String::from_utf8(request_hash(&[], key.as_bytes()).to_vec()).unwrap();
    let mut pairs = pairs.to_vec();
    pairs.push(("hash", &signed));
    let params = Params::from_query(&pairs);
    let request = MorRequest {
        method: Method::Post,
        params: &params,
        now: Timestamp(0),
    };
    let result = run(&demo().accounts, settings, &request);
    body(|out| write(out, &result)).0
}

fn call(pairs: &[(&str, &str)]) -> String {
    call_with(&ApiSettings::default(), pairs, "secret")
}

fn ids(xml: &str) -> Vec<&str> {
    xml.split("<card_id>")
        .skip(1)
        .map(|s| &s[..s.find('<').unwrap()])
        .collect()
}

#[test]
fn the_seed_card_prints_as_documented() {
    assert_eq!(
            call(&[("u", "admin"), ("number", "1111111119")]),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<page>\n  <cards>\n    <card>\n      \
             <card_id>26</card_id>\n      <card_number>1111111119</card_number>\n      \
             <card_name>test_card</card_name>\n      <card_pin>2668</card_pin>\n      \
             <card_batch_number>5</card_batch_number>\n      <card_callerid>3</card_callerid>\n      \
             <card_balance>10.0840336134454</card_balance>\n      <card_minimal_balance>20.0</card_minimal_balance>\n      \
             <card_first_use/>\n      <card_daily_charge_paid_till>2015-11-05 02:00:00 +0200</card_daily_charge_paid_till>\n      \
             <card_sold>0</card_sold>\n      <card_language>en</card_language>\n      \
             <card_distributor>Test User #1</card_distributor>\n    </card>\n  </cards>\n</page>\n"
        );
}

#[test]
fn filters_groups_and_visibility() {
    // Hidden card 28 never shows; groups 1 and 2 are separate <cards> blocks.
    let all = call(&[("u", "admin")]);
    assert_eq!(ids(&all), vec!["26", "27", "40"]);
    assert_eq!(all.matches("<cards>").count(), 2);
    assert!(all.contains("<card_name>Card &amp; Co</card_name>"));
    assert!(all.contains("<card_balance>1.0e-05</card_balance>"));
    assert_eq!(
        ids(&call(&[("u", "admin"), ("number", "11111111%")])),
        vec!["26", "27"]
    );
    assert_eq!(
        ids(&call(&[("u", "admin"), ("name", "%card")])),
        vec!["26", "40"]
    );
    assert_eq!(
        ids(&call(&[("u", "admin"), ("name", "%_c%")])),
        vec!["26", "40"]
    );
    assert_eq!(
        ids(&call(&[("u", "admin"), ("sold", "yes")])),
        vec!["27", "40"]
    );
    assert_eq!(ids(&call(&[("u", "admin"), ("sold", "0")])), vec!["26"]);
    assert_eq!(
        ids(&call(&[
            ("u", "admin"),
            ("min_balance", "10,5"),
            ("max_balance", "25")
        ])),
        vec!["27"]
    );
    assert_eq!(
        ids(&call(&[("u", "admin"), ("distributor", "7")])),
        vec!["26"]
    );
    assert_eq!(
        ids(&call(&[("u", "admin"), ("language", "lt")])),
        vec!["27"]
    );
    assert_eq!(
        call(&[("u", "admin"), ("min_balance", "lots")]),
        page_status("Cards were not found")
    );
    assert_eq!(
        call(&[("u", "admin"), ("number", "1111111121")]),
        page_status("Cards were not found")
    );
    // The reseller sees its own group only, signed with its own key or the system's.
    assert_eq!(
        ids(&call_with(
            &ApiSettings::default(),
            &[("u", "reseller1")],
            "resellerkey"
        )),
        vec!["40"]
    );
    assert_eq!(ids(&call(&[("u", "accountant")])), vec!["26", "27"]);
}

#[test]
fn who_may_list() {
    assert_eq!(call(&[("u", "alice")]), page_status("Access Denied"));
    assert_eq!(call(&[("u", "nobody")]), page_status("Access Denied"));
    assert_eq!(call(&[]), page_status("Access Denied"));
    let status = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<status>\n  <error>Incorrect hash</error>\n</status>\n";
    assert_eq!(
        call_with(&ApiSettings::default(), &[("u", "admin")], "wrong"),
        status
    );
    let no_get = ApiSettings {
        allow_get: false,
        ..ApiSettings::default()
    };
    let params = Params::from_query(&[("u", "admin")]);
    let request = MorRequest {
        method: Method::Get,
        params: &params,
        now: Timestamp(0),
    };
    assert_eq!(
        run(&demo().accounts, &no_get, &request).unwrap_err(),
        Failure::status(ApiError::GetDisabled)
    );
}

#[test]
fn like_matches_runs_for_percent_only() {
    for (pattern, text, expected) in [
        ("abc", "abc", true),
        ("abc", "abcd", false),
        ("a%", "abc", true),
        ("%c", "abc", true),
        ("a%c", "abc", true),
        ("a%c", "ab", false),
        ("%b%", "abc", true),
        ("%%", "", true),
        ("a_c", "abc", false),
        ("a%b%b", "abb", true),
        ("ab%ba", "aba", false),
    ] {
        assert_eq!(
            like(pattern.as_bytes(), text.as_bytes()),
            expected,
            "{pattern} ~ {text}"
        );
    }
}
