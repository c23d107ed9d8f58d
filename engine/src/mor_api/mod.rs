//! The MOR billing API and Arrow Billing `balance.php` as plain functions: a snapshot, the
//! API settings and the decoded request in, a typed answer or a [`Failure`] out. HTTP never
//! reaches this module and bytes never reach the logic: each endpoint's `write` turns its
//! answer into the exact body docs/api.md prescribes.
//!
//! One file per endpoint, named as MOR names it. The checks several endpoints share (API
//! enabled, GET allowed, request hash) and the balance arithmetic live here, so that their
//! order and wording cannot drift between endpoints.

pub mod balance_php;
pub mod calling_cards_get;
pub mod card_balance_get;
pub mod card_payment_add;
pub mod errors;
pub mod rate_get;
pub mod user_balance_get;
pub mod user_balance_update;
pub mod user_simple_balance_get;

pub use errors::{ApiError, Envelope, Failure};

use crate::accounts::{Accounts, Currency, User};
use crate::auth::{hash_matches, reseller_key};
use crate::money::{write_scaled, Decimal, Wide};
use crate::time::Timestamp;
use crate::xml::XmlWriter;

/// The `[api]` settings (docs/server.md), with its defaults.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApiSettings {
    pub enabled: bool,
    pub secret_key: String,
    pub allow_get: bool,
    pub disable_hash_check: bool,
    pub balance_over_http: bool,
    pub rate_over_http: bool,
    pub show_rates_for_users: bool,
    pub allow_resellers_admin_tariffs: bool,
    pub balance_decimals: u8,
    /// Gates `user_balance_update` and `card_payment_add` ("Feature disabled").
    pub payments_over_api: bool,
    /// The JSON API's bearer token; empty: every `/v1/` path answers 404.
    pub native_token: String,
    /// The longest call `/v1/authorize` allows, in seconds.
    pub max_call_seconds: u32,
}

impl Default for ApiSettings {
    fn default() -> ApiSettings {
        ApiSettings {
            enabled: true,
            secret_key: "secret".into(),
            allow_get: true,
            disable_hash_check: false,
            balance_over_http: true,
            rate_over_http: true,
            show_rates_for_users: false,
            allow_resellers_admin_tariffs: false,
            balance_decimals: 4,
            payments_over_api: false,
            native_token: String::new(),
            max_call_seconds: 7200,
        }
    }
}

/// The HTTP method, as far as the API cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

/// Decoded request parameters: the query string's, then a form body's. A name sent in the
/// body wins over the query; otherwise the last occurrence wins (docs/api.md). Values are bytes:
/// percent-decoding may yield anything, and a value that is not UTF-8 simply matches nothing.
///
/// Names and values live in one byte buffer, so a server that keeps one `Params` per
/// connection and [`clear`](Params::clear)s it per request decodes without allocating.
#[derive(Debug, Clone, Default)]
pub struct Params {
    bytes: Vec<u8>,
    entries: Vec<Entry>,
}

/// Where one parameter's name and value sit in `Params::bytes`.
#[derive(Debug, Clone)]
struct Entry {
    name: std::ops::Range<usize>,
    value: std::ops::Range<usize>,
    from_body: bool,
}

impl Params {
    pub fn new() -> Params {
        Params::default()
    }

    /// Forgets every parameter, keeping the storage for the next request.
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.entries.clear();
    }

    /// Adds a parameter decoded from the query string.
    pub fn push_query(&mut self, name: &[u8], value: &[u8]) {
        self.push_with(
            false,
            |out| out.extend_from_slice(name),
            |out| out.extend_from_slice(value),
        );
    }

    /// Adds a parameter decoded from a form body.
    pub fn push_body(&mut self, name: &[u8], value: &[u8]) {
        self.push_with(
            true,
            |out| out.extend_from_slice(name),
            |out| out.extend_from_slice(value),
        );
    }

    /// Adds a parameter whose name and value `name` and `value` append to the storage they
    /// are given (a decoder writing straight into it); `from_body` when it came in a form
    /// body.
    pub fn push_with(
        &mut self,
        from_body: bool,
        name: impl FnOnce(&mut Vec<u8>),
        value: impl FnOnce(&mut Vec<u8>),
    ) {
        let start = self.bytes.len();
        name(&mut self.bytes);
        let middle = self.bytes.len();
        value(&mut self.bytes);
        self.entries.push(Entry {
            name: start..middle,
            value: middle..self.bytes.len(),
            from_body,
        });
    }

    /// Builds parameters from query pairs (for tests and tools).
    pub fn from_query(pairs: &[(&str, &str)]) -> Params {
        let mut params = Params::new();
        for (name, value) in pairs {
            params.push_query(name.as_bytes(), value.as_bytes());
        }
        params
    }

    /// The winning value of `name`, if sent.
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        let last = |from_body: bool| {
            self.entries
                .iter()
                .rev()
                .find(|e| {
                    e.from_body == from_body && self.bytes[e.name.clone()] == *name.as_bytes()
                })
                .map(|e| &self.bytes[e.value.clone()])
        };
        last(true).or_else(|| last(false))
    }

    /// The value of `name` as text; `None` when absent or not UTF-8.
    pub fn text(&self, name: &str) -> Option<&str> {
        std::str::from_utf8(self.get(name)?).ok()
    }
}

/// One API call: how it came, what it carried, and the time rates are taken at.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub method: Method,
    pub params: &'a Params,
    pub now: Timestamp,
}

/// The endpoints, as routed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    UserSimpleBalanceGet,
    UserBalanceGet,
    RateGet,
    CallingCardsGet,
    CardBalanceGet,
    BalancePhp,
    UserBalanceUpdate,
    CardPaymentAdd,
}

impl Endpoint {
    /// Every endpoint, for metrics labels.
    pub const ALL: [Endpoint; 8] = [
        Endpoint::UserSimpleBalanceGet,
        Endpoint::UserBalanceGet,
        Endpoint::RateGet,
        Endpoint::CallingCardsGet,
        Endpoint::CardBalanceGet,
        Endpoint::BalancePhp,
        Endpoint::UserBalanceUpdate,
        Endpoint::CardPaymentAdd,
    ];

    /// The MOR name (`balance_php` for Arrow's `balance.php`).
    pub fn name(self) -> &'static str {
        match self {
            Endpoint::UserSimpleBalanceGet => "user_simple_balance_get",
            Endpoint::UserBalanceGet => "user_balance_get",
            Endpoint::RateGet => "rate_get",
            Endpoint::CallingCardsGet => "calling_cards_get",
            Endpoint::CardBalanceGet => "card_balance_get",
            Endpoint::BalancePhp => "balance_php",
            Endpoint::UserBalanceUpdate => "user_balance_update",
            Endpoint::CardPaymentAdd => "card_payment_add",
        }
    }
}

/// Runs `endpoint` on the data and writes its body into `out`; returns the content type.
/// Whether the answer was a success is not the caller's business beyond metrics, which
/// `Outcome` reports.
pub fn respond(
    endpoint: Endpoint,
    artifact: &crate::artifact::Artifact,
    accounts: &Accounts,
    settings: &ApiSettings,
    request: &Request<'_>,
    ledger: &dyn crate::ledger::Commit,
    out: &mut Vec<u8>,
) -> (ContentType, Outcome) {
    // The read endpoints answer from the balances the accounts carry; only the write
    // endpoints commit.
    fn outcome<T, E>(result: &Result<T, E>) -> Outcome {
        if result.is_ok() {
            Outcome::Answered
        } else {
            Outcome::Refused
        }
    }
    match endpoint {
        Endpoint::UserSimpleBalanceGet => {
            let result = user_simple_balance_get::run(accounts, settings, request);
            (
                user_simple_balance_get::write(out, &result),
                outcome(&result),
            )
        }
        Endpoint::UserBalanceGet => {
            let result = user_balance_get::run(accounts, settings, request);
            (user_balance_get::write(out, &result), outcome(&result))
        }
        Endpoint::RateGet => {
            let result = rate_get::run(artifact, accounts, settings, request);
            (rate_get::write(out, &result), outcome(&result))
        }
        Endpoint::CallingCardsGet => {
            let result = calling_cards_get::run(accounts, settings, request);
            (calling_cards_get::write(out, &result), outcome(&result))
        }
        Endpoint::CardBalanceGet => {
            let result = card_balance_get::run(accounts, settings, request);
            (card_balance_get::write(out, &result), outcome(&result))
        }
        Endpoint::BalancePhp => {
            let result = balance_php::run(accounts, settings, request);
            (balance_php::write(out, &result), outcome(&result))
        }
        Endpoint::UserBalanceUpdate => {
            let result = user_balance_update::run(accounts, settings, request, ledger);
            (user_balance_update::write(out, &result), outcome(&result))
        }
        Endpoint::CardPaymentAdd => {
            let result = card_payment_add::run(accounts, settings, request, ledger);
            (card_payment_add::write(out, &result), outcome(&result))
        }
    }
}

/// Whether an endpoint answered or refused (an application-level error), for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Answered,
    Refused,
}

/// What a body is, for the `Content-Type` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentType {
    /// `text/xml; charset=utf-8`
    Xml,
    /// `text/plain` (every plain body is ASCII: numbers, codes, error strings)
    Text,
    /// `application/json` (the JSON API under `/v1/`)
    Json,
}

/// `api.enabled = false` comes before every other check (docs/api.md).
fn check_enabled(settings: &ApiSettings) -> Result<(), Failure> {
    if settings.enabled {
        Ok(())
    } else {
        Err(Failure::status(ApiError::ApiDisabled))
    }
}

/// `allow_get = false` refuses GET to the endpoints that honour it.
fn check_get(settings: &ApiSettings, method: Method) -> Result<(), Failure> {
    if method == Method::Get && !settings.allow_get {
        Err(Failure::status(ApiError::GetDisabled))
    } else {
        Ok(())
    }
}

/// The user `u` names, once the request hash over `signed` matches ([`check_hash`]);
/// `unknown` when `u` is absent or names no user (each endpoint has its own answer for it).
fn signed_caller<'a>(
    settings: &ApiSettings,
    accounts: &'a Accounts,
    params: &Params,
    unknown: Failure,
    signed: &[&[u8]],
) -> Result<&'a User, Failure> {
    let caller = params
        .text("u")
        .and_then(|name| accounts.user_by_username(name))
        .ok_or(unknown)?;
    check_hash(settings, accounts, caller, params, signed)?;
    Ok(caller)
}

/// The request hash over `values` must match under the system secret or the api_key of the
/// reseller that owns (or is) `resolved`. With `disable_hash_check` every hash passes; an
/// empty secret key is a configuration error reported to the caller.
fn check_hash(
    settings: &ApiSettings,
    accounts: &Accounts,
    resolved: &User,
    params: &Params,
    values: &[&[u8]],
) -> Result<(), Failure> {
    if settings.disable_hash_check {
        return Ok(());
    }
    if settings.secret_key.is_empty() {
        return Err(Failure::status(ApiError::NoSecretKey));
    }
    let keys = std::iter::once(settings.secret_key.as_bytes())
        .chain(reseller_key(accounts, resolved).map(str::as_bytes));
    if hash_matches(params.get("hash").unwrap_or_default(), values, keys) {
        Ok(())
    } else {
        Err(Failure::status(ApiError::IncorrectHash))
    }
}

/// The decimal sent as `name` (surrounding spaces ignored): `-?[0-9]+(\.[0-9]+)?` with at
/// most 38 significant digits, a minus only when `allow_negative`; `None` when absent or
/// anything else (`1e3`, `1,5`, `+5`).
fn decimal_param(params: &Params, name: &str, allow_negative: bool) -> Option<Decimal> {
    Decimal::parse_bytes(params.get(name)?.trim_ascii(), allow_negative).ok()
}

/// The currency a balance is shown in: `USER` (any case) for the user's own, a listed code
/// (any case), or the default currency for anything else or nothing.
fn requested_currency<'a>(
    accounts: &'a Accounts,
    user: &User,
    requested: Option<&str>,
) -> &'a Currency {
    let currencies = &accounts.currencies;
    match requested.map(str::trim) {
        Some(code) if code.eq_ignore_ascii_case("USER") => user_currency(accounts, user),
        Some(code) => currencies
            .get(code)
            .unwrap_or_else(|| currencies.default_currency()),
        None => currencies.default_currency(),
    }
}

/// The user's own currency (the default when it has none).
fn user_currency<'a>(accounts: &'a Accounts, user: &User) -> &'a Currency {
    user.currency
        .as_deref()
        .and_then(|code| accounts.currencies.get(code))
        .unwrap_or_else(|| accounts.currencies.default_currency())
}

/// A balance converted into a currency, rounded once to the places it is shown with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Amount {
    /// Units of `10^-places`.
    pub units: Wide,
    pub places: u8,
}

impl Amount {
    /// `balance` (in the default currency) in `currency`, rounded half away from zero.
    pub fn convert(balance: Decimal, currency: &Currency, places: u8) -> Amount {
        Amount {
            units: balance.mul_rounded(currency.rate, places),
            places,
        }
    }

    pub fn write(self, out: &mut Vec<u8>) {
        write_scaled(out, self.units, self.places);
    }
}

/// Writes `<page>` holding what `body` writes for a success, or the failure in its envelope.
pub(crate) fn write_page<T>(
    out: &mut Vec<u8>,
    result: &Result<T, Failure>,
    body: impl FnOnce(&mut XmlWriter<'_>, &T),
) -> ContentType {
    let answer = match result {
        Ok(answer) => answer,
        Err(failure) => return write_failure(out, *failure),
    };
    let mut xml = XmlWriter::document(out);
    xml.open("page");
    body(&mut xml, answer);
    xml.close("page");
    ContentType::Xml
}

/// Writes a failure in its envelope; returns the body's content type.
pub fn write_failure(out: &mut Vec<u8>, failure: Failure) -> ContentType {
    let text = failure.error.text().as_bytes();
    let roots: &[&str] = match failure.envelope {
        Envelope::Plain => {
            out.extend_from_slice(text);
            return ContentType::Text;
        }
        Envelope::Status => &["status"],
        Envelope::Page => &["page"],
        Envelope::PageStatus => &["page", "status"],
    };
    let mut xml = XmlWriter::document(out);
    for root in roots {
        xml.open(root);
    }
    xml.text("error", text);
    for root in roots.iter().rev() {
        xml.close(root);
    }
    ContentType::Xml
}

#[cfg(test)]
pub(crate) mod testing {
    //! The demo dataset as a snapshot, and requests, for endpoint tests.

    pub(crate) use crate::testing::demo_data as demo;

    /// Runs `f` on a request carrying `pairs` in its query, made with `method` at `now`.
    pub(crate) fn with_request<R>(
        pairs: &[(&str, &str)],
        method: super::Method,
        now: crate::time::Timestamp,
        f: impl FnOnce(&super::Request<'_>) -> R,
    ) -> R {
        let params = super::Params::from_query(pairs);
        f(&super::Request {
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
        f: impl FnOnce(&super::Request<'_>) -> R,
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
    pub(crate) fn live(
        dir: &std::path::Path,
    ) -> (crate::accounts::Accounts, crate::ledger::Ledger) {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn respond_runs_and_writes_each_endpoint() {
        let data = testing::demo();
        let params = Params::from_query(&[("id", "a1b2c3d4e5"), ("uid", "2668")]);
        let request = Request {
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
            ("60.0000".into(), ContentType::Text, Outcome::Answered)
        );
        assert_eq!(
            run(Endpoint::BalancePhp).0,
            "CurrencyCode=2|InitBalance=10.08|Balance=10.08"
        );
        let (body, kind, outcome) = run(Endpoint::RateGet);
        assert_eq!((kind, outcome), (ContentType::Xml, Outcome::Refused));
        assert!(body.contains("<error>Access Denied</error>"));
        // The write endpoints are wired to theirs (without `u` they refuse before the ledger).
        let (body, kind, outcome) = run(Endpoint::UserBalanceUpdate);
        assert_eq!((kind, outcome), (ContentType::Xml, Outcome::Refused));
        assert!(body.contains("<error>Bad login</error>"), "{body}");
        let (body, _, outcome) = run(Endpoint::CardPaymentAdd);
        assert_eq!(outcome, Outcome::Refused);
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
}
