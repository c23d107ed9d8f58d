use super::*;
use crate::money::Decimal;
use crate::mor_api::Method;
use serde::Serialize;

fn settings(token: &str) -> ApiSettings {
    ApiSettings {
        native_token: token.into(),
        ..ApiSettings::default()
    }
}

#[test]
fn the_gate_checks_token_then_path_then_method() {
    let on = settings("s3cret");
    let bearer = Some(&b"Bearer s3cret"[..]);
    let status = |settings: &ApiSettings, path: &str, method, auth: Option<&[u8]>| {
        route(settings, path.as_bytes(), method, auth).map_err(|f| (f.status, f.message))
    };
    assert_eq!(
        status(&on, "/v1/calls", Some(Method::Post), bearer),
        Ok(Endpoint::Calls)
    );
    assert_eq!(
        status(&on, "/v1/balance/", Some(Method::Get), bearer),
        Ok(Endpoint::Balance)
    );
    // An empty token hides everything, even with a header that would match it.
    assert_eq!(
        status(
            &settings(""),
            "/v1/calls",
            Some(Method::Post),
            Some(b"Bearer ")
        ),
        Err((JsonStatus::NotFound, "not found".into()))
    );
    for wrong in [
        None,
        Some(&b"Bearer s3cre"[..]),
        Some(b"Bearer s3cret2"),
        Some(b"Basic s3cret"),
        Some(b"s3cret"),
        Some(b"Bearer"),
    ] {
        assert_eq!(
            status(&on, "/v1/nothing", Some(Method::Post), wrong),
            Err((JsonStatus::Unauthorized, "unauthorized".into())),
            "{wrong:?}"
        );
    }
    assert!(authorized(&on, Some(b" bearer   s3cret ")));
    assert_eq!(
        status(&on, "/v1/nothing", Some(Method::Post), bearer),
        Err((JsonStatus::NotFound, "not found".into()))
    );
    assert_eq!(
        status(&on, "/v1/calls", Some(Method::Get), bearer),
        Err((
            JsonStatus::MethodNotAllowed,
            "method not allowed: use POST".into()
        ))
    );
    assert_eq!(
        status(&on, "/v1/authorize", None, bearer),
        Err((
            JsonStatus::MethodNotAllowed,
            "method not allowed: use GET".into()
        ))
    );
}

fn json<T: Serialize>(value: &T) -> String {
    let mut out = Vec::new();
    write_json(&mut out, value);
    String::from_utf8(out).unwrap()
}

#[test]
fn money_is_written_with_six_places_and_rates_canonical() {
    let d = |text: &str| Decimal::parse(text, true).unwrap();
    assert_eq!(json(&Money(d("60"))), "\"60.000000\"");
    assert_eq!(json(&Money(d("-0.5416665"))), "\"-0.541667\"");
    assert_eq!(json(&Money(d("10.0840336134454"))), "\"10.084034\"");
    assert_eq!(json(&Money(d("0.0000001"))), "\"0.000000\"");
    assert_eq!(
        json(&Money(d("-999999999999.999999"))),
        "\"-999999999999.999999\""
    );
    assert_eq!(json(&Canonical(d("0.0120"))), "\"0.012\"");
    assert_eq!(json(&Canonical(d("35"))), "\"35\"");
    assert_eq!(json(&Canonical(d("0.00001"))), "\"0.00001\"");
    assert_eq!(
        json(&Text("Trinidad & Tobago \"TT\"".as_bytes())),
        "\"Trinidad & Tobago \\\"TT\\\"\""
    );
}
