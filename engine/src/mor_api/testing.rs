//! The demo dataset as a snapshot, and requests, for endpoint tests.

pub(crate) use crate::testing::demo_data as demo;

/// Runs `f` on a request carrying `pairs` in its query, made with `method` at `now`.
pub(crate) fn with_request<R>(
    pairs: &[(&str, &str)],
    method: super::Method,
    now: crate::time::Timestamp,
    f: impl FnOnce(&super::MorRequest<'_>) -> R,
) -> R {
    let params = super::Params::from_query(pairs);
    f(&super::MorRequest {
        method,
        params: &params,
        now,
    })
}

/// Runs `f` on a request carrying `pairs`, made with `method` at time 0, and, when `key`
/// is given, a `hash` over the values of `signed` in that order (a missing one as empty).
pub(crate) fn with_signed_request<R>(
    pairs: &[(&str, &str)],
    signed: &[&str],
    key: Option<&str>,
    method: super::Method,
    f: impl FnOnce(&super::MorRequest<'_>) -> R,
) -> R {
    let hash = key.map(|key| {
        let values: Vec<&[u8]> = signed
            .iter()
            .map(|name| {
                pairs
                    .iter()
                    .find(|(n, _)| n == name)
                    .map_or(&b""[..], |(_, v)| v.as_bytes())
            })
            .collect();
        let hash = crate::auth::request_hash(&values, key.as_bytes());
        String::from_utf8(hash.to_vec()).unwrap()
    });
    let mut pairs = pairs.to_vec();
    if let Some(hash) = &hash {
        pairs.push(("hash", hash));
    }
    with_request(&pairs, method, crate::time::Timestamp(0), f)
}

/// The demo accounts attached to a new ledger in `dir`.
pub(crate) fn live(dir: &std::path::Path) -> (crate::accounts::Accounts, crate::ledger::Ledger) {
    let ledger = crate::ledger::Ledger::open(&dir.join("ledger.sqlite"), "USD").unwrap();
    let mut accounts = crate::testing::demo_accounts();
    ledger.attach(&mut accounts).unwrap();
    (accounts, ledger)
}

/// The default settings with `payments_over_api` on.
pub(crate) fn payments() -> super::ApiSettings {
    super::ApiSettings {
        payments_over_api: true,
        ..super::ApiSettings::default()
    }
}

/// Checks 1 to 5 of an endpoint that changes balances, in the documented order, through
/// `call(settings, method, pairs, key)` (a request signed with `key` when given):
/// `api.enabled`, `allow_get`, `u` (missing or unknown: `unknown_caller`), the hash
/// (no secret key, then a wrong key), `payments_over_api` (`feature_disabled`). `good`
/// is a request the admin may send, `u` first. Each check is broken together with every
/// later one it can be, so that the answer shows which comes first.
pub(crate) fn assert_payment_checks(
    call: impl Fn(&super::ApiSettings, super::Method, &[(&str, &str)], Option<&str>) -> String,
    good: &[(&str, &str)],
    unknown_caller: &str,
    feature_disabled: &str,
) {
    use super::{ApiSettings, Method};
    assert_eq!(good[0], ("u", "admin"));
    // Payments off throughout, but for the last check.
    let off = ApiSettings::default();
    assert!(!off.payments_over_api);
    let disabled = ApiSettings {
        enabled: false,
        allow_get: false,
        secret_key: String::new(),
        ..off.clone()
    };
    assert_eq!(
        call(&disabled, Method::Get, &[], None),
        status("API Requests are disabled")
    );
    let no_get = ApiSettings {
        allow_get: false,
        secret_key: String::new(),
        ..off.clone()
    };
    assert_eq!(
        call(&no_get, Method::Get, &[], None),
        status("GET Requests are disabled")
    );
    let no_key = ApiSettings {
        secret_key: String::new(),
        ..off.clone()
    };
    assert_eq!(
        call(&no_key, Method::Post, &good[1..], None),
        unknown_caller,
        "no u"
    );
    let mut nobody = good.to_vec();
    nobody[0].1 = "nobody";
    assert_eq!(
        call(&no_key, Method::Post, &nobody, None),
        unknown_caller,
        "an unknown u"
    );
    assert_eq!(
        call(&no_key, Method::Post, good, None),
        status("API must have Secret Key")
    );
    assert_eq!(
        call(&off, Method::Post, good, Some("wrong")),
        status("Incorrect hash")
    );
    assert_eq!(
        call(&off, Method::Post, good, Some("secret")),
        feature_disabled
    );
}

/// The `<status><error>` document.
pub(crate) fn status(error: &str) -> String {
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<status>\n  <error>{error}</error>\n</status>\n")
}

/// The `<page><status><error>` document.
pub(crate) fn page_status(error: &str) -> String {
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<page>\n  <status>\n    <error>{error}</error>\n  </status>\n</page>\n")
}

/// The body written by `write` for a result.
pub(crate) fn body(
    write: impl FnOnce(&mut Vec<u8>) -> super::ContentType,
) -> (String, super::ContentType) {
    let mut out = Vec::new();
    let kind = write(&mut out);
    (String::from_utf8(out).unwrap(), kind)
}
