//! The `[api]` settings of `ratel.toml` (docs/config.md), read straight from the file, with
//! MOR's defaults.

use crate::ledger::session::SessionLimits;
use crate::lookup::NumberRules;

/// The `[api]` settings (docs/server.md), with its defaults.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApiSettings {
    pub enabled: bool,
    pub secret_key: String,
    pub allow_get: bool,
    pub disable_hash_check: bool,
    pub balance_over_http: bool,
    pub rate_over_http: bool,
    pub show_rates_for_users: bool,
    pub allow_resellers_admin_tariffs: bool,
    pub balance_decimals: u8,
    /// Gates `user_balance_update` and `card_payment_add` ("Feature disabled").
    pub payments_over_api: bool,
    /// The JSON API's bearer token; empty: every `/v1/` path answers 404.
    pub native_token: String,
    /// The longest call `/v1/authorize` allows, in seconds.
    pub max_call_seconds: u32,
    /// How a dialled number becomes the digits matched (`[numbers]` of `ratel.toml`, a
    /// section of its own: not read from `[api]`).
    #[serde(skip)]
    pub numbers: NumberRules,
    /// Calls in progress (`[sessions]` of `ratel.toml`, a section of its own).
    #[serde(skip)]
    pub sessions: SessionLimits,
}

impl ApiSettings {
    /// What a session request carries to the ledger: `[sessions]` and the longest call.
    pub fn session_settings(&self) -> crate::ledger::SessionSettings {
        crate::ledger::SessionSettings {
            grant_s: self.sessions.grant_s,
            grace_s: self.sessions.grace_s,
            max_open: self.sessions.max_open,
            max_call_seconds: self.max_call_seconds,
        }
    }
}

impl Default for ApiSettings {
    fn default() -> ApiSettings {
        ApiSettings {
            enabled: true,
            secret_key: "secret".into(),
            allow_get: true,
            disable_hash_check: false,
            balance_over_http: true,
            rate_over_http: true,
            show_rates_for_users: false,
            allow_resellers_admin_tariffs: false,
            balance_decimals: 4,
            payments_over_api: false,
            native_token: String::new(),
            max_call_seconds: 7200,
            numbers: NumberRules::default(),
            sessions: SessionLimits::default(),
        }
    }
}
