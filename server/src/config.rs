//! `ratel.toml` (docs/config.md): every key has a default; data paths are relative to the file.
//! Unknown keys are errors, so a misspelt setting is caught at startup, not ignored.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use ratel_engine::accounts::AccountFiles;
use ratel_engine::api::ApiSettings;
use ratel_engine::snapshot::DataFiles;
use serde::Deserialize;

/// The server's configuration, resolved.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub admin_listen: SocketAddr,
    /// Coroutine worker threads; 0 in the file means one per core.
    pub workers: usize,
    /// Path prefix of the API, like `/billing` (no trailing slash).
    pub web_dir: String,
    pub data: DataFiles,
    pub api: ApiSettings,
    /// The ledger file (`[ledger] path`, relative to the configuration file).
    pub ledger: PathBuf,
    /// Where the access log goes: `None` off (the default), `-` stderr, or a file path
    /// (relative to the configuration file).
    pub access_log: Option<String>,
}

/// Why a configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read the configuration: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct File {
    listen: String,
    admin_listen: String,
    workers: usize,
    web_dir: String,
    default_currency: String,
    access_log: String,
    data: DataSection,
    api: ApiSettings,
    ledger: LedgerSection,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct LedgerSection {
    path: PathBuf,
}

impl Default for LedgerSection {
    fn default() -> LedgerSection {
        LedgerSection {
            path: "ledger.sqlite".into(),
        }
    }
}

impl Default for File {
    fn default() -> File {
        File {
            listen: "127.0.0.1:8080".into(),
            admin_listen: "127.0.0.1:9090".into(),
            workers: 0,
            web_dir: "/billing".into(),
            default_currency: "USD".into(),
            access_log: String::new(),
            data: DataSection::default(),
            api: ApiSettings::default(),
            ledger: LedgerSection::default(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct DataSection {
    artifact: PathBuf,
    users: PathBuf,
    cards: PathBuf,
    card_groups: PathBuf,
    currencies: PathBuf,
}

impl Default for DataSection {
    fn default() -> DataSection {
        DataSection {
            artifact: "tariffs.ratel".into(),
            users: "users.csv".into(),
            cards: "cards.csv".into(),
            card_groups: "card_groups.csv".into(),
            currencies: "currencies.csv".into(),
        }
    }
}

impl Config {
    /// Reads and validates the configuration at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: shown.clone(),
            source,
        })?;
        Config::parse(&text, path.parent().unwrap_or(Path::new(".")), &shown)
    }

    /// Parses configuration text; relative data paths are taken from `base`.
    pub fn parse(text: &str, base: &Path, shown: &str) -> Result<Config, ConfigError> {
        let invalid = |message: String| ConfigError::Invalid {
            path: shown.to_owned(),
            message,
        };
        let file: File = toml::from_str(text).map_err(|e| {
            let (position, message) = toml_message(text, &e);
            ConfigError::Invalid {
                path: format!("{shown}{position}"),
                message,
            }
        })?;
        let address = |key: &str, value: &str| {
            value.parse::<SocketAddr>().map_err(|_| {
                invalid(format!(
                    "{key} = \"{value}\" is not an address like 127.0.0.1:8080"
                ))
            })
        };
        let web_dir = file.web_dir.trim_end_matches('/').to_owned();
        if !file.web_dir.starts_with('/') {
            return Err(invalid(format!(
                "web_dir = \"{}\" must start with /",
                file.web_dir
            )));
        }
        if file.api.balance_decimals > 8 {
            return Err(invalid(format!(
                "api.balance_decimals = {} must be from 0 to 8",
                file.api.balance_decimals
            )));
        }
        if !ratel_engine::accounts::is_valid_code(&file.default_currency) {
            return Err(invalid(format!(
                "default_currency = \"{}\" must be 1-16 letters or digits, like USD",
                file.default_currency
            )));
        }
        let at = |p: &PathBuf| base.join(p);
        let access_log = match file.access_log.as_str() {
            "" => None,
            "-" => Some("-".to_owned()),
            path => Some(base.join(path).display().to_string()),
        };
        let d = &file.data;
        Ok(Config {
            listen: address("listen", &file.listen)?,
            admin_listen: address("admin_listen", &file.admin_listen)?,
            workers: file.workers,
            web_dir,
            access_log,
            data: DataFiles {
                artifact: at(&d.artifact),
                accounts: AccountFiles {
                    users: at(&d.users),
                    cards: at(&d.cards),
                    card_groups: at(&d.card_groups),
                    currencies: at(&d.currencies),
                },
                default_currency: file.default_currency,
                ledger: None,
            },
            ledger: at(&file.ledger.path),
            api: file.api,
        })
    }
}

/// A TOML error as `:line:column` (to follow the file's name) and its message, from the error's span and message, never the
/// source snippet `toml` would print (it could show `api.secret_key`). An error on the
/// `secret_key` line, or one whose message could quote its value, names the key and not the
/// value.
fn toml_message(text: &str, error: &toml::de::Error) -> (String, String) {
    let message = error.message().trim_end();
    let at = error.span().map(|span| span.start.min(text.len()));
    let position = |at: usize| {
        let before = text.get(..at).unwrap_or(text);
        let line = before.matches('\n').count() + 1;
        let column = before
            .rfind('\n')
            .map_or(before, |newline| &before[newline + 1..])
            .chars()
            .count()
            + 1;
        format!(":{line}:{column}")
    };
    let secrets = secret_text(text);
    if let Some(at) = at {
        let hit = secrets
            .iter()
            .find(|secret| secret.range.contains(&at) || at == secret.range.end);
        if let Some(secret) = hit {
            // A multi-line string left open fails at the end of the file: point at its key.
            let at = if at > secret.line_end {
                secret.range.start
            } else {
                at
            };
            let message = format!(
                "api.{} must be a string in double quotes (its value is not shown)",
                secret.key
            );
            return (position(at), message);
        }
    }
    let position = at.map(position).unwrap_or_default();
    // An error elsewhere whose message could still quote the key's value (`12345678`).
    if let Some(secret) = secrets
        .iter()
        .find(|secret| !secret.value.is_empty() && message.contains(secret.value))
    {
        let message = format!(
            "invalid configuration (the message is not shown: it could quote api.{})",
            secret.key
        );
        return (position, message);
    }
    (position, message.to_owned())
}

/// The keys whose values are secrets: never quoted in an error.
const SECRET_KEYS: [&str; 2] = ["secret_key", "native_token"];

/// A line of a configuration's text that mentions a secret key (a comment included).
#[derive(Debug)]
struct SecretKeyText<'t> {
    /// Which of [`SECRET_KEYS`].
    key: &'static str,
    /// From the start of the line to the end of it, or to the end of the text should a
    /// multi-line string open on it.
    range: std::ops::Range<usize>,
    /// The end of the line.
    line_end: usize,
    /// The start of its value (to the first quote, space, `#`, `,` or `}`).
    value: &'t str,
}

/// Every line of `text` that mentions a secret key, as [`SecretKeyText`].
fn secret_text(text: &str) -> Vec<SecretKeyText<'_>> {
    let mut found = Vec::new();
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let line_end = start + line.len();
        let mentioned = SECRET_KEYS
            .iter()
            .find_map(|&name| line.find(name).map(|at| (name, at)));
        if let Some((name, key)) = mentioned {
            let value = line[key..].split_once('=').map_or("", |(_, v)| v).trim();
            let multi_line = value.starts_with("\"\"\"") || value.starts_with("'''");
            let end = if multi_line { text.len() } else { line_end };
            let value = value.trim_start_matches(['"', '\'']);
            let value_end = value
                .find(|c: char| matches!(c, '"' | '\'' | '#' | ',' | '}') || c.is_whitespace())
                .unwrap_or(value.len());
            found.push(SecretKeyText {
                key: name,
                range: start..end,
                line_end,
                value: &value[..value_end],
            });
        }
        start = line_end;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_configuration_loads_with_paths_beside_it() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/demo/ratel.toml");
        let config = Config::load(&path).unwrap();
        assert_eq!(config.listen, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(config.web_dir, "/billing");
        assert_eq!(
            config.api,
            ApiSettings {
                payments_over_api: true,
                native_token: "demo-token-change-me".into(),
                ..ApiSettings::default()
            }
        );
        assert!(config.ledger.ends_with("fixtures/demo/ledger.sqlite"));
        assert!(config
            .data
            .accounts
            .users
            .ends_with("fixtures/demo/users.csv"));
        assert!(config
            .data
            .artifact
            .ends_with("fixtures/demo/tariffs.ratel"));
    }

    #[test]
    fn every_key_has_a_default() {
        let config = Config::parse("", Path::new("/etc/ratel"), "ratel.toml").unwrap();
        assert_eq!(config.admin_listen, "127.0.0.1:9090".parse().unwrap());
        assert_eq!(config.data.default_currency, "USD");
        assert_eq!(
            config.data.accounts.cards,
            Path::new("/etc/ratel/cards.csv")
        );
        let config = Config::parse("[api]\nallow_get = false\n", Path::new("."), "r").unwrap();
        assert!(!config.api.allow_get && config.api.enabled);
        assert_eq!(config.access_log, None, "the access log is off by default");
        let config = Config::parse("access_log = \"access.log\"\n", Path::new("/var/r"), "r");
        assert_eq!(
            config.unwrap().access_log.as_deref(),
            Some("/var/r/access.log")
        );
        let config = Config::parse("access_log = \"-\"\n", Path::new("/var/r"), "r");
        assert_eq!(config.unwrap().access_log.as_deref(), Some("-"));
    }

    #[test]
    fn mistakes_are_named() {
        let error = |text: &str| {
            Config::parse(text, Path::new("."), "ratel.toml")
                .unwrap_err()
                .to_string()
        };
        assert!(error("[api]\nalow_get = false\n").contains("unknown field `alow_get`"));
        assert!(
            error("listen = \"localhost\"\n").contains("listen = \"localhost\" is not an address")
        );
        assert!(error("web_dir = \"billing\"\n").contains("must start with /"));
        assert!(error("[api]\nbalance_decimals = 12\n").contains("from 0 to 8"));
        assert!(error("workers = \"two\"\n").starts_with("ratel.toml:1:11: "));
    }

    /// Review: a TOML error printed its source snippet, so a mistyped `secret_key` line
    /// showed the key in the log. The error names the file, line and column only.
    #[test]
    fn a_mistake_on_the_secret_key_line_never_shows_the_key() {
        let error = |text: &str| {
            Config::parse(text, Path::new("."), "ratel.toml")
                .unwrap_err()
                .to_string()
        };
        for (text, line) in [
            ("[api]\nsecret_key = \"TOPSECRET\n", 2),
            ("[api]\nsecret_key = 12345678\n", 2),
            ("workers = 2\n\n[api]\nsecret_key = TOPSECRET\n", 4),
            ("[api]\nsecret_key = 'TOPSECRET\n", 2),
            ("[api]\nsecret_key = \"\"\"TOPSECRET\nmore\n", 2),
            ("api.secret_key = 12345678\n", 1),
            ("api = { secret_key = 12345678 }\n", 1),
            (
                "[api]\n# secret_key = \"OLD\"\nsecret_key = 12345678 # new\n",
                3,
            ),
        ] {
            let error = error(text);
            assert!(
                !error.contains("TOPSECRET") && !error.contains("12345678"),
                "{text:?}: {error}"
            );
            assert!(
                error.starts_with(&format!("ratel.toml:{line}:"))
                    && error.ends_with(
                        "api.secret_key must be a string in double quotes (its value is not shown)"
                    ),
                "{text:?}: {error}"
            );
        }
        // The JSON API's token is a secret too.
        let token = error("[api]\nnative_token = \"TOPSECRET\n");
        assert_eq!(
            token,
            "ratel.toml:2:26: api.native_token must be a string in double quotes (its value is not shown)"
        );
        // A message elsewhere that quotes the key's value is withheld.
        let elsewhere = error("[api]\nsecret_key = \"123456789\"\nbalance_decimals = 123456789\n");
        assert_eq!(
            elsewhere,
            "ratel.toml:3:20: invalid configuration (the message is not shown: it could quote api.secret_key)"
        );
        // Other mistakes keep their message, with line and column, never a snippet.
        let other = error("[api]\nsecret_key = \"TOPSECRET\"\nallow_get = 3\n");
        assert_eq!(
            other,
            "ratel.toml:3:13: invalid type: integer `3`, expected a boolean"
        );
    }
}
