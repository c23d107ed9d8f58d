//! Ratel's own JSON API (docs/api.md, "JSON API"): `/v1/rates`, `/v1/authorize`,
//! `/v1/calls` and `/v1/balance`, for softswitches and scripts. Plain functions like
//! [`crate::mor_api`]: the data, the settings and the decoded request in, a status and a JSON
//! body out; HTTP stays in the server.
//!
//! One file per endpoint. What they share lives here: the gate every request passes (token,
//! path, method, in that order), the payer named by `account` or `card`, and the way money
//! and text are written (money as strings: rates and fees as the deck's canonical decimal,
//! costs and balances with exactly 6 places). Pricing is [`crate::rating`]'s, never redone
//! here.

pub mod authorize;
pub mod balance;
pub mod calls;
pub mod decode;
pub mod errors;
pub mod rates;

use std::sync::Arc;

use serde::{Serialize, Serializer};

pub use errors::Failure;

use crate::accounts::{Account, Accounts, BalanceCell};
use crate::artifact::Artifact;
use crate::auth::constant_time_eq;
use crate::cost::COST_PLACES;
use crate::ledger::Commit;
use crate::money::{write_scaled, Decimal, Wide};
use crate::mor_api::{ApiSettings, Method, Params};
use crate::rating::Payer;
use crate::time::Timestamp;

/// The JSON API's endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    Rates,
    Authorize,
    Calls,
    Balance,
}

impl Endpoint {
    /// Every endpoint, for metrics labels.
    pub const ALL: [Endpoint; 4] = [
        Endpoint::Rates,
        Endpoint::Authorize,
        Endpoint::Calls,
        Endpoint::Balance,
    ];

    /// The name after `/v1/`.
    pub fn name(self) -> &'static str {
        match self {
            Endpoint::Rates => "rates",
            Endpoint::Authorize => "authorize",
            Endpoint::Calls => "calls",
            Endpoint::Balance => "balance",
        }
    }

    /// The one method it answers.
    pub fn method(self) -> Method {
        match self {
            Endpoint::Rates | Endpoint::Calls => Method::Post,
            Endpoint::Authorize | Endpoint::Balance => Method::Get,
        }
    }

    /// The endpoint of a path under `/v1/` (a trailing slash is ignored, as elsewhere).
    pub fn of_path(path: &[u8]) -> Option<Endpoint> {
        let name = path.strip_prefix(b"/v1/")?;
        let name = name.strip_suffix(b"/").unwrap_or(name);
        Endpoint::ALL
            .into_iter()
            .find(|endpoint| endpoint.name().as_bytes() == name)
    }
}

/// Whether a path belongs to the JSON API (its body limit and its JSON errors apply).
pub fn is_json_api_path(path: &[u8]) -> bool {
    path.starts_with(b"/v1/")
}

/// The HTTP statuses the JSON API answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    BadRequest,
    Unauthorized,
    NotFound,
    MethodNotAllowed,
    PayloadTooLarge,
    /// The ledger could not write (`{"error":"ledger unavailable"}`): resend, ids make it safe.
    Unavailable,
}

/// One decoded JSON API request.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The query string's parameters (the GET endpoints').
    pub params: &'a Params,
    /// The raw body (the POST endpoints' JSON).
    pub body: &'a [u8],
    /// The time rates are taken at when the request names none.
    pub now: Timestamp,
}

/// The gate every `/v1/` request passes, in this order: an empty `native_token` hides the
/// whole API (404); a missing or wrong `Authorization: Bearer TOKEN` is 401 (on any path, so
/// an unauthenticated client learns nothing of the paths); an unknown path is 404; a known
/// path with the other method is 405.
pub fn route(
    settings: &ApiSettings,
    path: &[u8],
    method: Option<Method>,
    authorization: Option<&[u8]>,
) -> Result<Endpoint, Failure> {
    if settings.native_token.is_empty() {
        return Err(Failure::not_found(errors::NOT_FOUND));
    }
    if !authorized(settings, authorization) {
        return Err(Failure::new(Status::Unauthorized, errors::UNAUTHORIZED));
    }
    let endpoint = Endpoint::of_path(path).ok_or(Failure::not_found(errors::NOT_FOUND))?;
    if method != Some(endpoint.method()) {
        let allowed = match endpoint.method() {
            Method::Get => "method not allowed: use GET",
            Method::Post => "method not allowed: use POST",
        };
        return Err(Failure::new(Status::MethodNotAllowed, allowed));
    }
    Ok(endpoint)
}

/// Whether `authorization` (the header's value) is `Bearer TOKEN` with the configured
/// token. The scheme is matched in any case; the token is compared in constant time. An
/// empty configured token authorizes nothing.
pub fn authorized(settings: &ApiSettings, authorization: Option<&[u8]>) -> bool {
    let expected = settings.native_token.as_bytes();
    let Some(value) = authorization.map(<[u8]>::trim_ascii) else {
        return false;
    };
    if expected.is_empty() || value.len() < 7 || !value[..7].eq_ignore_ascii_case(b"bearer ") {
        return false;
    }
    constant_time_eq(value[7..].trim_ascii(), expected)
}

/// Runs `endpoint` (already through [`route`]) and writes its JSON body into `out`.
pub fn respond(
    endpoint: Endpoint,
    artifact: &Artifact,
    accounts: &Accounts,
    settings: &ApiSettings,
    request: &Request<'_>,
    ledger: &dyn Commit,
    out: &mut Vec<u8>,
) -> Status {
    let result = match endpoint {
        Endpoint::Rates => rates::run(artifact, accounts, request, out),
        Endpoint::Authorize => authorize::run(artifact, accounts, settings, request, out),
        Endpoint::Calls => calls::run(artifact, accounts, request, ledger, out),
        Endpoint::Balance => balance::run(accounts, request, out),
    };
    match result {
        Ok(()) => Status::Ok,
        Err(failure) => {
            out.clear();
            failure.write(out)
        }
    }
}

/// The payer `account` (a username) or `card` (a card number) names.
pub(crate) fn payer<'a>(
    accounts: &'a Accounts,
    (which, name): (usize, &str),
) -> Result<Payer<'a>, &'static str> {
    if which == 0 {
        accounts
            .user_by_username(name)
            .map(Payer::User)
            .ok_or(errors::ACCOUNT_NOT_FOUND)
    } else {
        accounts
            .card_by_number(name)
            .map(Payer::Card)
            .ok_or(errors::CARD_NOT_FOUND)
    }
}

/// The ledger account a payer's changes go to, and its live balance.
pub(crate) fn ledger_account(payer: Payer<'_>) -> (Account, Arc<BalanceCell>) {
    match payer {
        Payer::User(user) => (Account::User(user.id), std::sync::Arc::clone(&user.live)),
        Payer::Card(card) => (Account::Card(card.id), std::sync::Arc::clone(&card.live)),
    }
}

/// Which payer a GET request names: exactly one of `account` and `card`, as text.
pub(crate) fn payer_param(params: &Params) -> Result<(usize, &str), Failure> {
    let text = |name: &'static str| -> Result<Option<&str>, String> {
        match params.get(name) {
            None => Ok(None),
            Some(bytes) => std::str::from_utf8(bytes)
                .map(Some)
                .map_err(|_| format!("{name} must be UTF-8 text")),
        }
    };
    match (text("account")?, text("card")?) {
        (Some(name), None) => Ok((0, name)),
        (None, Some(number)) => Ok((1, number)),
        (Some(_), Some(_)) => Err("give account or card, not both".to_owned().into()),
        (None, None) => Err("account or card is required".to_owned().into()),
    }
}

/// The payer a GET request's `account` or `card` names (exactly one), or the failure.
pub(crate) fn payer_of_params<'a>(
    accounts: &'a Accounts,
    params: &Params,
) -> Result<Payer<'a>, Failure> {
    payer(accounts, payer_param(params)?).map_err(Failure::not_found)
}

/// Serializes `value` as JSON into `out`.
pub(crate) fn write_json(out: &mut Vec<u8>, value: &impl Serialize) {
    // Writing to a Vec cannot fail, and every Serialize here is infallible.
    let _ = serde_json::to_writer(out, value);
}

/// Serializes `{"results":[...]}`, the answer of the batch endpoints (`/v1/calls`,
/// `/v1/rates`): one result per item, in input order.
pub(crate) fn write_results(out: &mut Vec<u8>, results: &[impl Serialize]) {
    #[derive(Serialize)]
    struct Answer<'a, T> {
        results: &'a [T],
    }
    write_json(out, &Answer { results });
}

/// An amount with exactly 6 places (costs and balances), rounded half away from zero.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Money(pub Decimal);

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_scaled(self.0.rounded(COST_PLACES), COST_PLACES, serializer)
    }
}

/// A rate or a fee as the deck has it: the canonical decimal (`"0.155"`, `"35"`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Canonical(pub Decimal);

impl Serialize for Canonical {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_scaled(self.0.units(), self.0.scale(), serializer)
    }
}

/// UTF-8 bytes from the artifact (verified at load) as a JSON string.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Text<'a>(pub &'a [u8]);

impl Serialize for Text<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&String::from_utf8_lossy(self.0))
    }
}

/// `units / 10^places` with exactly `places` fractional digits, as a JSON string.
fn serialize_scaled<S: Serializer>(
    units: impl Into<Wide>,
    places: u8,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let mut text = Vec::with_capacity(48);
    write_scaled(&mut text, units, places);
    // Only ASCII digits, '-' and '.' were written.
    serializer.serialize_str(std::str::from_utf8(&text).unwrap_or(""))
}

#[cfg(test)]
pub(crate) mod testing {
    //! A data folder for JSON API tests: the demo accounts with card groups priced by a
    //! tariff and users with credit, and a ledger attached, in a temporary directory.

    use std::path::Path;
    use std::sync::Arc;

    use crate::accounts::{self, AccountFiles, Accounts};
    use crate::artifact::Artifact;
    use crate::ledger::Ledger;

    /// The demo data with a ledger: accounts attached (every balance its file's), the
    /// artifact, and the ledger (dropped with the directory).
    pub(crate) struct Fixture {
        pub(crate) artifact: Arc<Artifact>,
        pub(crate) accounts: Accounts,
        pub(crate) ledger: Ledger,
        pub(crate) _dir: tempfile::TempDir,
    }

    /// The demo accounts, with `card_groups.csv` and `users.csv` rewritten by `edit` (file
    /// name, text) before loading, and a fresh ledger attached.
    pub(crate) fn live(edit: impl Fn(&str, String) -> String) -> Fixture {
        live_on(Arc::clone(&crate::testing::demo_data().artifact), edit)
    }

    /// [`live`] over another artifact (tariffs in other currencies).
    pub(crate) fn live_on(
        artifact: Arc<Artifact>,
        edit: impl Fn(&str, String) -> String,
    ) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let demo = crate::testing::demo_dir();
        for file in crate::testing::ACCOUNT_FILES {
            let text = std::fs::read_to_string(demo.join(file)).unwrap();
            std::fs::write(dir.path().join(file), edit(file, text)).unwrap();
        }
        let mut accounts = load(dir.path(), &artifact);
        let ledger = Ledger::open(&dir.path().join("ledger.sqlite"), "USD").unwrap();
        ledger.attach(&mut accounts).unwrap();
        Fixture {
            artifact,
            accounts,
            ledger,
            _dir: dir,
        }
    }

    fn load(dir: &Path, artifact: &Artifact) -> Accounts {
        let has_tariff = |name: &str| artifact.tariff_id(name).is_some();
        accounts::load(&AccountFiles::in_folder(dir), "USD", &has_tariff)
            .unwrap()
            .0
    }

    /// Runs `endpoint` with the query `pairs` and `body` at `now`, against `ledger`.
    pub(crate) fn run_with(
        live: &Fixture,
        endpoint: super::Endpoint,
        pairs: &[(&str, &str)],
        body: &str,
        ledger: &dyn crate::ledger::Commit,
    ) -> (super::Status, String) {
        let params = crate::mor_api::Params::from_query(pairs);
        let request = super::Request {
            params: &params,
            body: body.as_bytes(),
            now: crate::time::Timestamp::parse("2026-11-26 12:00:00").unwrap(),
        };
        let mut out = Vec::new();
        let status = super::respond(
            endpoint,
            &live.artifact,
            &live.accounts,
            &crate::mor_api::ApiSettings::default(),
            &request,
            ledger,
            &mut out,
        );
        (status, String::from_utf8(out).unwrap())
    }

    /// [`run_with`] against the live data's own ledger.
    pub(crate) fn run(
        live: &Fixture,
        endpoint: super::Endpoint,
        pairs: &[(&str, &str)],
        body: &str,
    ) -> (super::Status, String) {
        run_with(live, endpoint, pairs, body, &live.ledger)
    }

    /// The demo tariffs compiled with `vip_custom` in `currency` instead of USD.
    pub(crate) fn vip_custom_in(currency: &str) -> Arc<Artifact> {
        let sources: Vec<_> = crate::testing::demo_tariff_sources()
            .into_iter()
            .map(|mut source| {
                if source.name == "vip_custom" {
                    source.currency = currency.into();
                }
                source
            })
            .collect();
        let bytes = crate::compile::compile(&sources, |_| {}).unwrap().bytes;
        Arc::new(Artifact::from_bytes(bytes).unwrap())
    }

    /// Card groups priced: group 1 by `retail`, group 2 by `wholesale`; users as in the demo.
    pub(crate) fn priced_cards(file: &str, text: String) -> String {
        if file == "card_groups.csv" {
            "id,name,owner_id,tariff\n1,Retail cards,0,retail\n2,Reseller cards,2,wholesale\n"
                .into()
        } else {
            text
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            Err((Status::NotFound, "not found".into()))
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
                Err((Status::Unauthorized, "unauthorized".into())),
                "{wrong:?}"
            );
        }
        assert!(authorized(&on, Some(b" bearer   s3cret ")));
        assert_eq!(
            status(&on, "/v1/nothing", Some(Method::Post), bearer),
            Err((Status::NotFound, "not found".into()))
        );
        assert_eq!(
            status(&on, "/v1/calls", Some(Method::Get), bearer),
            Err((
                Status::MethodNotAllowed,
                "method not allowed: use POST".into()
            ))
        );
        assert_eq!(
            status(&on, "/v1/authorize", None, bearer),
            Err((
                Status::MethodNotAllowed,
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
}
