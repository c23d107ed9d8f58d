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
    api: ApiSection,
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
            api: ApiSection::default(),
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct ApiSection {
    enabled: bool,
    secret_key: String,
    allow_get: bool,
    disable_hash_check: bool,
    balance_over_http: bool,
    rate_over_http: bool,
    show_rates_for_users: bool,
    allow_resellers_admin_tariffs: bool,
    balance_decimals: u8,
}

impl Default for ApiSection {
    fn default() -> ApiSection {
        let defaults = ApiSettings::default();
        ApiSection {
            enabled: defaults.enabled,
            secret_key: defaults.secret_key,
            allow_get: defaults.allow_get,
            disable_hash_check: defaults.disable_hash_check,
            balance_over_http: defaults.balance_over_http,
            rate_over_http: defaults.rate_over_http,
            show_rates_for_users: defaults.show_rates_for_users,
            allow_resellers_admin_tariffs: defaults.allow_resellers_admin_tariffs,
            balance_decimals: defaults.balance_decimals,
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
        let file: File =
            toml::from_str(text).map_err(|e| invalid(e.to_string().trim_end().to_owned()))?;
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
            },
            api: ApiSettings {
                enabled: file.api.enabled,
                secret_key: file.api.secret_key,
                allow_get: file.api.allow_get,
                disable_hash_check: file.api.disable_hash_check,
                balance_over_http: file.api.balance_over_http,
                rate_over_http: file.api.rate_over_http,
                show_rates_for_users: file.api.show_rates_for_users,
                allow_resellers_admin_tariffs: file.api.allow_resellers_admin_tariffs,
                balance_decimals: file.api.balance_decimals,
            },
        })
    }
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
        assert_eq!(config.api, ApiSettings::default());
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
        assert!(error("workers = \"two\"\n").starts_with("ratel.toml: "));
    }
}
