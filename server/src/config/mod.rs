//! `ratel.toml` (docs/config.md): every key has a default; data paths are relative to the file.
//!
//! The text is read twice. First as a document that keeps the place of every key and value
//! ([`toml_edit::ImDocument`]), checked against the settings (`check`): an unknown key, a key in the
//! wrong section, a value of the wrong type or out of range is refused with a message that
//! names the file, the key's line and column, the key's full dotted name and what its value
//! must be. Then by serde into [`File`] (unknown keys refused, defaults filled in), which a
//! checked document always passes. The values of the secrets (`api.secret_key`,
//! `api.native_token`) are never printed, and hiding them never moves an error to another key.

mod check;
#[cfg(test)]
mod tests;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use ratel_engine::accounts::AccountFiles;
use ratel_engine::ledger::postgres::Target;
use ratel_engine::ledger::session::SessionLimits;
use ratel_engine::lookup::NumberRules;
use ratel_engine::mor_api::ApiSettings;
use ratel_engine::snapshot::DataFiles;
use serde::Deserialize;

use check::{check, one_line, position};

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
    /// `[api]`, with `[numbers]` (how a dialled number becomes the digits matched) in
    /// `api.numbers`: every number the server rates goes through it.
    pub api: ApiSettings,
    /// The ledger file (`[ledger] path`, relative to the configuration file).
    pub ledger: PathBuf,
    /// `[ledger] create`: `true` (the default) creates a missing ledger file; `false` (for
    /// production) makes a missing ledger a startup error.
    pub ledger_create: bool,
    /// `[ledger] url`: the ledger is in this PostgreSQL database, shared with other servers,
    /// instead of the file `ledger`.
    pub ledger_url: Option<Target>,
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
    /// `path` is the file's name and, when known, `:line:column`.
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
    numbers: NumberRules,
    sessions: SessionLimits,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct LedgerSection {
    path: Option<PathBuf>,
    create: Option<bool>,
    url: Option<String>,
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
            numbers: NumberRules::default(),
            sessions: SessionLimits::default(),
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

    /// Parses configuration text; relative data paths are taken from `base`. `shown` names
    /// the file in errors.
    pub fn parse(text: &str, base: &Path, shown: &str) -> Result<Config, ConfigError> {
        let invalid = |at: Option<usize>, message: String| ConfigError::Invalid {
            path: format!(
                "{shown}{}",
                at.map(|at| position(text, at)).unwrap_or_default()
            ),
            message,
        };
        let secrets = check(text).map_err(|problem| invalid(problem.at, problem.message))?;
        // A checked document deserializes; were it not to, the message still quotes no secret.
        let file: File = toml::from_str(text).map_err(|error| {
            let message = one_line(error.message());
            let message = match secrets.quoted_in(&message) {
                Some(secret) => format!(
                    "invalid configuration (the message is not shown: it could quote {secret})"
                ),
                None => message,
            };
            invalid(error.span().map(|span| span.start), message)
        })?;
        let address = |key: &str, value: &str| {
            value
                .parse::<SocketAddr>()
                .map_err(|_| invalid(None, format!("{key} is not an address")))
        };
        let at = |p: &PathBuf| base.join(p);
        let access_log = match file.access_log.as_str() {
            "" => None,
            "-" => Some("-".to_owned()),
            path => Some(base.join(path).display().to_string()),
        };
        let d = &file.data;
        let ledger_url = match (&file.ledger.url, &file.ledger.path) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    None,
                    "[ledger] has both path and url: the ledger is a file (path) or a \
                     PostgreSQL database shared by several servers (url), not both"
                        .into(),
                ))
            }
            (Some(_), None) if file.ledger.create.is_some() => {
                return Err(invalid(
                    None,
                    "[ledger] create is about a ledger file (path); with url the first \
                     server creates the schema in an empty database"
                        .into(),
                ))
            }
            (Some(url), None) => Some(
                Target::parse(url)
                    .map_err(|message| invalid(None, format!("ledger.url: {message}")))?,
            ),
            (None, _) => None,
        };
        let ledger_path = file
            .ledger
            .path
            .clone()
            .unwrap_or_else(|| "ledger.sqlite".into());
        Ok(Config {
            listen: address("listen", &file.listen)?,
            admin_listen: address("admin_listen", &file.admin_listen)?,
            workers: file.workers,
            web_dir: file.web_dir.trim_end_matches('/').to_owned(),
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
            ledger: at(&ledger_path),
            ledger_create: file.ledger.create.unwrap_or(true),
            ledger_url,
            api: ApiSettings {
                numbers: file.numbers,
                sessions: file.sessions,
                ..file.api
            },
        })
    }
}
