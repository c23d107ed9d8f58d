//! Every case of `fixtures/golden/api/cases.tsv` against the demo data: the request goes
//! through the server's config, routing and decoding and the engine's endpoint, and the whole
//! body and its content type must equal the golden file. The bodies were written by hand from
//! docs/api.md (hashes computed independently); the HTTP integration tests replay the same cases
//! over a socket once the HTTP layer exists.

// A test that cannot set itself up should stop loudly.
#![allow(clippy::unwrap_used)]

mod support;

use std::path::Path;
use std::sync::Arc;

use ratel_engine::ledger::Ledger;
use ratel_engine::mor_api::{respond, ApiSettings, ContentType, Method, MorRequest, Params};
use ratel_engine::snapshot::Data;
use ratel_engine::testing::demo_artifact_bytes;
use ratel_engine::time::Timestamp;
use ratel_server::config::Config;
use ratel_server::form::request_params;
use ratel_server::routes::route;
use support::{golden_cases, repo, Kind};

/// The demo configuration, with the demo tariffs compiled into `dir` and a new ledger there:
/// cases run in file order, so a write case's change is seen by the cases after it.
fn demo(dir: &Path) -> (Config, Data, Arc<Ledger>) {
    let mut config = Config::load(&repo().join("fixtures/demo/ratel.toml")).unwrap();
    config.data.artifact = dir.join("tariffs.ratel");
    std::fs::write(&config.data.artifact, demo_artifact_bytes()).unwrap();
    let ledger = Arc::new(Ledger::open(&dir.join("ledger.sqlite"), "USD").unwrap());
    config.data.ledger = Some(Arc::clone(&ledger));
    let data = Data::load(&config.data, &mut Vec::new()).unwrap();
    (config, data, ledger)
}

fn with_overrides(base: &ApiSettings, overrides: &[(String, String)]) -> ApiSettings {
    let mut settings = base.clone();
    for (key, value) in overrides {
        let flag = || value.parse::<bool>().unwrap();
        match key.as_str() {
            "enabled" => settings.enabled = flag(),
            "allow_get" => settings.allow_get = flag(),
            "disable_hash_check" => settings.disable_hash_check = flag(),
            "balance_over_http" => settings.balance_over_http = flag(),
            "rate_over_http" => settings.rate_over_http = flag(),
            "show_rates_for_users" => settings.show_rates_for_users = flag(),
            "allow_resellers_admin_tariffs" => settings.allow_resellers_admin_tariffs = flag(),
            "payments_over_api" => settings.payments_over_api = flag(),
            "secret_key" => settings.secret_key = value.to_owned(),
            "balance_decimals" => settings.balance_decimals = value.parse().unwrap(),
            other => panic!("unknown setting {other} in cases.tsv"),
        }
    }
    settings
}

#[test]
fn every_golden_case_answers_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let (config, data, ledger) = demo(dir.path());
    let mut checked = 0;
    let mut failures = Vec::new();
    let mut params = Params::new();
    for case in golden_cases() {
        let name = &case.name;
        let (path, query) = case.target.split_once('?').unwrap_or((&case.target, ""));
        let routed = route(path.as_bytes(), &config.web_dir)
            .unwrap_or_else(|| panic!("{name}: {path} does not route"));
        // One Params for every case, as a keep-alive connection reuses it.
        request_params(&mut params, query.as_bytes(), None, routed.path_id);
        let method = if case.method == "GET" {
            Method::Get
        } else {
            Method::Post
        };
        let request = MorRequest {
            method,
            params: &params,
            now: Timestamp::now(),
        };
        let settings = with_overrides(&config.api, &case.settings);
        let mut body = Vec::new();
        let (content, _) = respond(
            routed.endpoint,
            &data.artifact,
            &data.accounts,
            &settings,
            &request,
            &*ledger,
            &mut body,
        );
        let expected_kind = match case.kind {
            Kind::Xml => ContentType::Xml,
            Kind::Text => ContentType::Text,
        };
        let expected = case.expected();
        let body = String::from_utf8(body).unwrap();
        if body != expected || content != expected_kind {
            failures.push(format!(
                "{name}: got {content:?}\n{body}\nwanted {expected_kind:?}\n{expected}"
            ));
        }
        checked += 1;
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked >= 50, "only {checked} cases ran");
}
