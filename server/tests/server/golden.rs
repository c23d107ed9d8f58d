//! The golden files. Every case of `fixtures/golden/api/cases.tsv` against the demo data: the
//! request goes through the server's config, routing and decoding and the engine's endpoint,
//! and the whole body and its content type must equal the golden file (the bodies were
//! written by hand from docs/api.md, hashes computed independently); then the same cases over
//! a socket to the real server. And the requests of `fixtures/golden/native/cases.tsv` over the
//! JSON API.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use crate::support::server::{serial, Server};
use crate::support::{self, authorized, golden_cases, native_golden_dir, repo, Kind, TOKEN};
use ratel_engine::ledger::Ledger;
use ratel_engine::mor_api::{respond, ApiSettings, ContentType, Method, MorRequest, Params};
use ratel_engine::snapshot::Data;
use ratel_engine::testing::demo_artifact_bytes;
use ratel_engine::time::Timestamp;
use ratel_server::config::Config;
use ratel_server::form::request_params;
use ratel_server::routes::route;

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

#[test]
fn golden_cases_answer_over_http() {
    let _serial = serial();
    let mut by_settings: BTreeMap<String, Vec<support::Case>> = BTreeMap::new();
    for case in support::golden_cases() {
        by_settings
            .entry(case.settings_column.clone())
            .or_default()
            .push(case);
    }
    let mut checked = 0;
    for (overrides, cases) in by_settings {
        let toml: String = overrides
            .split(',')
            .filter(|o| *o != "-")
            .map(|o| {
                let (key, value) = o.split_once('=').unwrap();
                match value.parse::<f64>().is_ok() || value == "true" || value == "false" {
                    true => format!("{key} = {value}\n"),
                    false => format!("{key} = \"{value}\"\n"),
                }
            })
            .collect();
        let server = Server::start(&toml);
        for case in cases {
            let (name, method, target) = (&case.name, &case.method, &case.target);
            // POST sends the parameters as a form body, GET in the query.
            let raw = if method == "POST" {
                let (path, query) = target.split_once('?').unwrap_or((target, ""));
                format!(
                    "POST {path} HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{query}",
                    query.len()
                )
            } else {
                format!("GET {target} HTTP/1.1\r\nHost: t\r\n\r\n")
            };
            let response = server
                .exchange(raw.as_bytes())
                .unwrap_or_else(|| panic!("{name}: no response"));
            let expected_type = match case.kind {
                support::Kind::Xml => "text/xml; charset=utf-8",
                support::Kind::Text => "text/plain",
            };
            let expected = case.expected();
            assert_eq!(
                (response.status, response.content_type.as_str()),
                (200, expected_type),
                "{name}"
            );
            assert_eq!(response.body, expected, "{name}");
            checked += 1;
        }
    }
    assert!(checked >= 50);
}

/// The requests of `fixtures/golden/native/cases.tsv`, replayed in order on one server (the
/// charges of one case are seen by the next): each answer's status and whole body must be
/// the golden file's.
#[test]
fn golden_bodies_over_http() {
    let _serial = serial();
    let server = Server::start(&format!("native_token = \"{TOKEN}\""));
    let mut client = server.client();
    let cases = std::fs::read_to_string(native_golden_dir().join("cases.tsv")).unwrap();
    let mut checked = 0;
    for line in cases
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let fields: Vec<&str> = line.split('\t').collect();
        let [name, status, method, target, body] = fields[..] else {
            panic!("malformed line in cases.tsv: {line}");
        };
        let body = if body == "-" { "" } else { body };
        let response = authorized(&mut client, method, target, body);
        let path = native_golden_dir().join(format!("{name}.json"));
        // A new case's file is written once on request (RATEL_WRITE_NEW_GOLDEN=1), to be
        // read and checked by hand before it is committed; an existing one is never touched.
        if !path.exists() && std::env::var_os("RATEL_WRITE_NEW_GOLDEN").is_some() {
            std::fs::write(&path, format!("{}\n", response.body)).unwrap();
        }
        let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            (response.status.to_string().as_str(), response.body.as_str()),
            (status, expected.trim_end()),
            "{name}"
        );
        assert_eq!(response.content_type, "application/json", "{name}");
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} golden cases");
}
