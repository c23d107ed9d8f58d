//! What the server's integration tests share, in one place for both test binaries
//! (`tests/server/` and `tests/slow/` each include this folder as `mod support`): the real
//! server on ephemeral ports ([`server`]), an HTTP client ([`client`]), what a test reads of a
//! running server ([`probe`]: metrics, memory, CPU, threads, log times), the JSON API's tokens,
//! the golden API cases of `fixtures/golden/api/cases.tsv` read in one place, and large demo
//! data. The demo data itself comes from `ratel_engine::testing`.

// Each test binary uses part of this module.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use client::{Client, Response};

pub mod client;
pub mod probe;
pub mod server;

pub use ratel_engine::testing::repo;

/// `fixtures/golden/api`: `cases.tsv` and one expected body per case.
pub fn golden_dir() -> PathBuf {
    repo().join("fixtures/golden/api")
}

/// What a golden body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `text/xml; charset=utf-8`, in `NAME.xml`.
    Xml,
    /// `text/plain`, in `NAME.txt`.
    Text,
}

/// One line of `cases.tsv`: a request and the body it must get.
#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    /// `GET` or `POST` (then the query's parameters go in a form body over HTTP).
    pub method: String,
    /// Path and query, such as `/billing/api/rate_get?u=admin&...`.
    pub target: String,
    /// The settings column as written (`-` for the defaults): cases sharing it can share a
    /// server.
    pub settings_column: String,
    /// `[api]` settings that differ from the demo configuration, as `key=value` pairs.
    pub settings: Vec<(String, String)>,
    pub kind: Kind,
}

impl Case {
    /// The expected body, from its golden file.
    pub fn expected(&self) -> String {
        let extension = match self.kind {
            Kind::Xml => "xml",
            Kind::Text => "txt",
        };
        let path = golden_dir().join(format!("{}.{extension}", self.name));
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: cannot read {}: {e}", self.name, path.display()))
    }
}

/// Every case of `cases.tsv`, in file order (lines starting with `#` and blank lines
/// skipped). A malformed line stops the test.
pub fn golden_cases() -> Vec<Case> {
    let path = golden_dir().join("cases.tsv");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            let [name, method, target, settings, kind] = fields[..] else {
                panic!("malformed line in cases.tsv: {line}");
            };
            Case {
                name: name.to_owned(),
                method: method.to_owned(),
                target: target.to_owned(),
                settings_column: settings.to_owned(),
                settings: settings
                    .split(',')
                    .filter(|s| *s != "-" && !s.is_empty())
                    .map(|s| {
                        let (key, value) = s
                            .split_once('=')
                            .unwrap_or_else(|| panic!("{name}: setting {s} is not key=value"));
                        (key.to_owned(), value.to_owned())
                    })
                    .collect(),
                kind: if kind == "xml" { Kind::Xml } else { Kind::Text },
            }
        })
        .collect()
}

/// The JSON API's token (`native_token`) of the servers the tests start for it.
pub const TOKEN: &str = "t0k3n-for-tests-1";

/// The JSON API's token of the ledger tests' servers.
pub const LEDGER_TOKEN: &str = "crash-test-token";

/// A request with the right token.
pub fn authorized(client: &mut Client, method: &str, target: &str, body: &str) -> Response {
    client.authorized(TOKEN, method, target, body)
}

/// `fixtures/golden/native`: the JSON API's `cases.tsv` and one expected body per case.
pub fn native_golden_dir() -> PathBuf {
    ratel_engine::testing::repo().join("fixtures/golden/native")
}

/// Writes a `cards.csv` of `count` cards in the admin's group 1 into `dir`: answers of about
/// 200 bytes a card to `ALL_CARDS_REQUEST`, for tests that need large answers.
pub fn write_many_cards(dir: &Path, count: u64) {
    let mut cards = String::from("id,number,pin,group_id,name,balance,distributor_id\n");
    for id in 1..=count {
        cards.push_str(&format!(
            "{id},{},{},1,Card {id},{id}.5,7\n",
            5_000_000_000u64 + id,
            10_000 + id
        ));
    }
    std::fs::write(dir.join("cards.csv"), cards).unwrap();
}

/// `calling_cards_get` of every card, as the admin (hash of the demo secret key).
pub const ALL_CARDS_REQUEST: &[u8] =
    b"GET /billing/api/calling_cards_get?u=admin&hash=e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f4 HTTP/1.1\r\n\r\n";
