use super::*;
use crate::time::Timestamp;

#[test]
fn respond_runs_and_writes_each_endpoint() {
    let data = testing::demo();
    let params = Params::from_query(&[("id", "a1b2c3d4e5"), ("uid", "2668")]);
    let request = MorRequest {
        method: Method::Get,
        params: &params,
        now: Timestamp(0),
    };
    let settings = ApiSettings::default();
    let run = |endpoint| {
        let mut out = Vec::new();
        let (kind, outcome) = respond(
            endpoint,
            &data.artifact,
            &data.accounts,
            &settings,
            &request,
            &crate::ledger::NoLedger,
            &mut out,
        );
        (String::from_utf8(out).unwrap(), kind, outcome)
    };
    assert_eq!(
        run(Endpoint::UserSimpleBalanceGet),
        ("60.0000".into(), ContentType::Text, Counted::Answered)
    );
    assert_eq!(
        run(Endpoint::BalancePhp).0,
        "CurrencyCode=2|InitBalance=10.08|Balance=10.08"
    );
    let (body, kind, outcome) = run(Endpoint::RateGet);
    assert_eq!((kind, outcome), (ContentType::Xml, Counted::Refused));
    assert!(body.contains("<error>Access Denied</error>"));
    // The write endpoints are wired to theirs (without `u` they refuse before the ledger).
    let (body, kind, outcome) = run(Endpoint::UserBalanceUpdate);
    assert_eq!((kind, outcome), (ContentType::Xml, Counted::Refused));
    assert!(body.contains("<error>Bad login</error>"), "{body}");
    let (body, _, outcome) = run(Endpoint::CardPaymentAdd);
    assert_eq!(outcome, Counted::Refused);
    assert!(
        body.contains("<status>\n    <error>Access Denied</error>"),
        "{body}"
    );
    assert_eq!(
        Endpoint::ALL
            .iter()
            .map(|e| e.name())
            .collect::<Vec<_>>()
            .len(),
        8
    );
}

#[test]
fn body_parameters_win_then_the_last_occurrence() {
    let mut params = Params::from_query(&[("u", "a"), ("u", "b"), ("x", "1")]);
    assert_eq!(params.text("u"), Some("b"));
    params.push_body(b"u", b"c");
    params.push_body(b"u", b"d");
    assert_eq!(params.text("u"), Some("d"));
    assert_eq!(params.text("x"), Some("1"));
    params.push_query(b"bad", b"\xff");
    assert_eq!(params.get("bad"), Some(&b"\xff"[..]));
    assert_eq!(params.text("bad"), None);
    assert_eq!(params.get("missing"), None);
}

#[test]
fn failures_are_written_in_their_envelopes() {
    let write = |failure| testing::body(|out| write_failure(out, failure));
    assert_eq!(
        write(Failure::status(ApiError::IncorrectHash)),
        ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<status>\n  <error>Incorrect hash</error>\n</status>\n".into(), ContentType::Xml)
    );
    assert_eq!(
        write(Failure::page_status(ApiError::AccessDenied)).0,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<page>\n  <status>\n    <error>Access Denied</error>\n  </status>\n</page>\n"
    );
    assert_eq!(
        write(Failure::plain(ApiError::FeatureDisabled)),
        ("Feature disabled".into(), ContentType::Text)
    );
}
