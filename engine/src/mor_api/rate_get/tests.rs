use super::*;
use crate::auth::request_hash;
use crate::mor_api::testing::{body, demo, status};
use crate::mor_api::{Method, Params};
use crate::time::Timestamp;

fn call_with(settings: &ApiSettings, method: Method, pairs: &[(&str, &str)]) -> String {
    let mut pairs: Vec<(&str, &str)> = pairs.to_vec();
    let username = pairs
        .iter()
        .find(|(n, _)| *n == "username")
        .map_or("", |p| p.1);
    let signed =
        String::from_utf8(request_hash(&[username.as_bytes()], b"secret").to_vec()).unwrap();
    if !pairs.iter().any(|(n, _)| *n == "hash") {
        pairs.push(("hash", &signed));
    }
    let params = Params::from_query(&pairs);
    let now = Timestamp::parse("2026-11-23 12:00:00").unwrap();
    let request = MorRequest {
        method,
        params: &params,
        now,
    };
    let data = demo();
    let result = run(&data.artifact, &data.accounts, settings, &request);
    body(|out| write(out, &result)).0
}

fn call(pairs: &[(&str, &str)]) -> String {
    call_with(&ApiSettings::default(), Method::Post, pairs)
}

fn page(inner: &str) -> String {
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<page>\n  {inner}\n</page>\n")
}

#[test]
fn exact_and_full_number_matches_with_the_custom_tariff_first() {
    assert_eq!(
        call(&[("u", "admin"), ("username", "admin"), ("prefix", "370")]),
        page("<rate>0.987#Lithuania#370</rate>")
    );
    assert_eq!(
        call(&[("u", "admin"), ("username", "admin"), ("prefix", "3701")]),
        page("<error>Rate was not found</error>")
    );
    assert_eq!(
        call(&[
            ("u", "admin"),
            ("username", "admin"),
            ("prefix", "+370 612 34567"),
            ("by_full_dst", "1")
        ]),
        page("<rate>0.155#Lithuania Mobile#3706</rate>")
    );
    // alice's custom tariff has 370 only: it wins over retail's longer 3706.
    assert_eq!(
        call(&[
            ("u", "admin"),
            ("username", "alice"),
            ("prefix", "37061234567"),
            ("by_full_dst", "1")
        ]),
        page("<rate>0.5#Lithuania (VIP)#370</rate>")
    );
    assert_eq!(
        call(&[
            ("u", "admin"),
            ("username", "alice"),
            ("prefix", "44"),
            ("by_full_dst", "1")
        ]),
        page("<rate>0.0175#United Kingdom#44</rate>")
    );
    assert_eq!(
        call(&[
            ("u", "admin"),
            ("username", "admin"),
            ("prefix", "1868555"),
            ("by_full_dst", "1")
        ]),
        page("<rate>0.198#Trinidad &amp; Tobago#1868</rate>")
    );
}

#[test]
fn permissions_follow_the_roles() {
    let reads = |u: &str, username: &str, settings: &ApiSettings| {
        call_with(
            settings,
            Method::Post,
            &[("u", u), ("username", username), ("prefix", "370")],
        )
    };
    let default = ApiSettings::default();
    let retail = page("<rate>0.987#Lithuania#370</rate>");
    let wholesale = page("<rate>0.021#Lithuania#370</rate>");
    assert_eq!(reads("reseller1", "bob", &default), wholesale);
    assert_eq!(reads("reseller1", "reseller1", &default), wholesale);
    assert_eq!(
        reads("reseller1", "dave", &default),
        status("User was not found")
    );
    let shared = ApiSettings {
        allow_resellers_admin_tariffs: true,
        ..ApiSettings::default()
    };
    assert_eq!(reads("reseller1", "dave", &shared), retail);
    assert_eq!(
        reads("admin", "bob", &default),
        status("User was not found")
    );
    assert_eq!(
        reads("admin", "accountant", &default),
        status("User was not found")
    );
    assert_eq!(reads("accountant", "dave", &default), retail);
    assert_eq!(
        reads("alice", "dave", &default),
        status("You are not authorized to view this page")
    );
    let users_see = ApiSettings {
        show_rates_for_users: true,
        ..ApiSettings::default()
    };
    // A user always reads its own rates, whoever it names.
    assert_eq!(reads("dave", "alice", &users_see), retail);
    assert_eq!(
        reads("carol", "carol", &users_see),
        page("<error>Rate was not found</error>")
    );
}

#[test]
fn errors_follow_the_documented_order() {
    let off = ApiSettings {
        enabled: false,
        ..ApiSettings::default()
    };
    assert_eq!(
        call_with(&off, Method::Get, &[]),
        status("API Requests are disabled")
    );
    let no_get = ApiSettings {
        allow_get: false,
        ..ApiSettings::default()
    };
    assert_eq!(
        call_with(&no_get, Method::Get, &[("u", "admin")]),
        status("GET Requests are disabled")
    );
    assert!(call_with(
        &no_get,
        Method::Post,
        &[("u", "admin"), ("username", "admin"), ("prefix", "370")]
    )
    .contains("<rate>"));
    assert_eq!(
        call(&[("username", "admin")]),
        page("<error>Access Denied</error>")
    );
    assert_eq!(
        call(&[("u", "nobody"), ("username", "admin")]),
        page("<error>User was not found</error>")
    );
    assert_eq!(
        call(&[("u", "admin"), ("username", "admin"), ("hash", "0000")]),
        status("Incorrect hash")
    );
    let no_rates = ApiSettings {
        rate_over_http: false,
        ..ApiSettings::default()
    };
    assert_eq!(
        call_with(
            &no_rates,
            Method::Post,
            &[("u", "admin"), ("username", "admin")]
        ),
        page("<error>Feature disabled</error>")
    );
    assert_eq!(
        call(&[("u", "admin"), ("username", "nobody")]),
        page("<error>User was not found</error>")
    );
    assert_eq!(
        call(&[("u", "admin"), ("username", "admin")]),
        page("<error>Empty prefix</error>")
    );
    assert_eq!(
        call(&[("u", "admin"), ("username", "admin"), ("prefix", " ")]),
        page("<error>Empty prefix</error>")
    );
    assert_eq!(
        call(&[("u", "admin"), ("username", "admin"), ("prefix", "999")]),
        page("<error>Rate was not found</error>")
    );
}
