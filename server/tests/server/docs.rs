//! The documents users read are held to the code: `docs/config.md` lists every key of
//! `ratel.toml` with its true default, and no document points outside the repository.

use std::collections::BTreeSet;

use crate::support::repo;
use ratel_server::config::Config;

/// `(section, key, default)` for every row of the key tables in `docs/config.md`; the
/// section is "" for the top level, else the name in a `## \`[name]\`` heading.
fn documented_keys() -> Vec<(String, String, String)> {
    let text = std::fs::read_to_string(repo().join("docs/config.md")).unwrap();
    let mut section = String::new();
    let mut keys = Vec::new();
    for line in text.lines() {
        if let Some(heading) = line.strip_prefix("## ") {
            section = heading
                .split('`')
                .nth(1)
                .map(|s| s.trim_matches(|c| c == '[' || c == ']').to_owned())
                .unwrap_or_default();
            continue;
        }
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // | `key` | `default` | meaning |
        if cells.len() >= 4 && cells[1].starts_with('`') && cells[2].starts_with('`') {
            let key = cells[1].trim_matches('`').to_owned();
            let default = cells[2].trim_matches('`').to_owned();
            keys.push((section.clone(), key, default));
        }
    }
    keys
}

#[test]
fn config_md_lists_every_key_of_the_demo_configuration() {
    let demo = std::fs::read_to_string(repo().join("fixtures/demo/ratel.toml")).unwrap();
    let table: toml::Table = demo.parse().unwrap();
    let mut in_demo = BTreeSet::new();
    for (key, value) in &table {
        match value.as_table() {
            Some(section) => {
                for inner in section.keys() {
                    in_demo.insert((key.clone(), inner.clone()));
                }
            }
            None => {
                in_demo.insert((String::new(), key.clone()));
            }
        }
    }
    let documented: BTreeSet<(String, String)> = documented_keys()
        .into_iter()
        .map(|(section, key, _)| (section, key))
        .collect();
    let missing: Vec<_> = in_demo.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "keys of fixtures/demo/ratel.toml missing from docs/config.md: {missing:?}"
    );
    assert!(documented.len() >= in_demo.len());
}

#[test]
fn every_documented_default_is_the_default() {
    let base = repo().join("fixtures/demo");
    let empty = format!(
        "{:?}",
        Config::parse("", &base, "empty.toml").expect("an empty configuration is valid")
    );
    let keys = documented_keys();
    assert!(keys.len() >= 19, "too few keys parsed from docs/config.md");
    for (section, key, default) in keys {
        // The table shows TOML values: strings quoted, numbers and booleans bare, or a word
        // like "off" for a key whose default is its absence.
        let Ok(value) = default.parse::<toml::Value>().or_else(|_| {
            format!("v = {default}")
                .parse::<toml::Table>()
                .map(|t| t["v"].clone())
        }) else {
            continue;
        };
        let text = if section.is_empty() {
            format!("{key} = {value}\n")
        } else {
            format!("[{section}]\n{key} = {value}\n")
        };
        let config = Config::parse(&text, &base, "doc.toml")
            .unwrap_or_else(|e| panic!("documented key {section}.{key} is refused: {e}"));
        assert_eq!(
            format!("{config:?}"),
            empty,
            "docs/config.md says {section}.{key} defaults to {default}, but setting it changes the configuration"
        );
    }
}

#[test]
fn no_document_points_outside_the_repository() {
    let mut documents = vec![repo().join("README.md"), repo().join("CHANGELOG.md")];
    for folder in ["docs", "benches/load"] {
        for entry in std::fs::read_dir(repo().join(folder)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "md") {
                documents.push(path);
            }
        }
    }
    for path in documents {
        let text = std::fs::read_to_string(&path).unwrap();
        for (number, line) in text.lines().enumerate() {
            assert!(
                !line.contains("../shared")
                    && !line.contains("SPEC §")
                    && !line.contains("SPEC.md"),
                "{}:{}: points to the project's private contract, which users do not have: {line}",
                path.display(),
                number + 1
            );
        }
    }
}
