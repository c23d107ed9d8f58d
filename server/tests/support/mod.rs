//! What the server's integration tests share: the golden API cases of
//! `fixtures/golden/api/cases.tsv`, read in one place; the real server on ephemeral ports
//! ([`server`]) and an HTTP client ([`client`]). The demo data itself comes from
//! `ratel_engine::testing`.

// Each test binary uses part of this module.
#![allow(dead_code)]

use std::path::PathBuf;

pub mod client;
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
