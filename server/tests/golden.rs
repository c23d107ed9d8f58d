//! Every case of `fixtures/golden/api/cases.tsv` against the demo data: the request goes
//! through the server's config, routing and decoding and the engine's endpoint, and the whole
//! body and its content type must equal the golden file. The bodies were written by hand from
//! SPEC §5 (hashes computed independently); the HTTP integration tests replay the same cases
//! over a socket once the HTTP layer exists.

// A test that cannot set itself up should stop loudly.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use ratel_engine::api::{respond, ApiSettings, ContentType, Method, Params, Request};
use ratel_engine::compile::{compile, TariffSource};
use ratel_engine::snapshot::Data;
use ratel_engine::time::Timestamp;
use ratel_server::config::Config;
use ratel_server::http::request_params;
use ratel_server::routes::route;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The demo configuration, with the demo tariffs compiled into `dir`.
fn demo(dir: &Path) -> (Config, Data) {
    let mut config = Config::load(&repo().join("fixtures/demo/ratel.toml")).unwrap();
    let sources: Vec<_> = ["retail", "wholesale", "vip_custom"]
        .iter()
        .map(|name| TariffSource {
            name: (*name).into(),
            currency: "USD".into(),
            path: repo().join(format!("fixtures/demo/tariffs/{name}.csv")),
        })
        .collect();
    config.data.artifact = dir.join("tariffs.ratel");
    std::fs::write(
        &config.data.artifact,
        compile(&sources, |_| {}).unwrap().bytes,
    )
    .unwrap();
    let data = Data::load(&config.data, &mut Vec::new()).unwrap();
    (config, data)
}

fn with_overrides(base: &ApiSettings, overrides: &str) -> ApiSettings {
    let mut settings = base.clone();
    for item in overrides.split(',').filter(|i| *i != "-" && !i.is_empty()) {
        let (key, value) = item.split_once('=').unwrap();
        let flag = || value.parse::<bool>().unwrap();
        match key {
            "enabled" => settings.enabled = flag(),
            "allow_get" => settings.allow_get = flag(),
            "disable_hash_check" => settings.disable_hash_check = flag(),
            "balance_over_http" => settings.balance_over_http = flag(),
            "rate_over_http" => settings.rate_over_http = flag(),
            "show_rates_for_users" => settings.show_rates_for_users = flag(),
            "allow_resellers_admin_tariffs" => settings.allow_resellers_admin_tariffs = flag(),
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
    let (config, data) = demo(dir.path());
    let golden = repo().join("fixtures/golden/api");
    let cases = std::fs::read_to_string(golden.join("cases.tsv")).unwrap();
    let mut checked = 0;
    let mut failures = Vec::new();
    let mut params = Params::new();
    for line in cases
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let fields: Vec<&str> = line.split('\t').collect();
        let [name, method, target, overrides, kind] = fields[..] else {
            panic!("malformed line in cases.tsv: {line}");
        };
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let routed = route(path.as_bytes(), &config.web_dir)
            .unwrap_or_else(|| panic!("{name}: {path} does not route"));
        // One Params for every case, as a keep-alive connection reuses it.
        request_params(&mut params, query.as_bytes(), None, routed.path_id);
        let method = if method == "GET" {
            Method::Get
        } else {
            Method::Post
        };
        let request = Request {
            method,
            params: &params,
            now: Timestamp::now(),
        };
        let settings = with_overrides(&config.api, overrides);
        let mut body = Vec::new();
        let (content, _) = respond(
            routed.endpoint,
            &data.artifact,
            &data.accounts,
            &settings,
            &request,
            &mut body,
        );
        let (expected_kind, extension) = if kind == "xml" {
            (ContentType::Xml, "xml")
        } else {
            (ContentType::Text, "txt")
        };
        let expected = std::fs::read_to_string(golden.join(format!("{name}.{extension}"))).unwrap();
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
