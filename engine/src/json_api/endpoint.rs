//! The JSON API's endpoints, and which paths are the JSON API's.

use crate::mor_api::Method;

/// The JSON API's endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    Rates,
    Authorize,
    Calls,
    Balance,
    Sessions,
    SessionsUpdate,
    SessionsEnd,
}

impl Endpoint {
    /// Every endpoint, for metrics labels.
    pub const ALL: [Endpoint; 7] = [
        Endpoint::Rates,
        Endpoint::Authorize,
        Endpoint::Calls,
        Endpoint::Balance,
        Endpoint::Sessions,
        Endpoint::SessionsUpdate,
        Endpoint::SessionsEnd,
    ];

    /// The name after `/v1/`.
    pub fn name(self) -> &'static str {
        match self {
            Endpoint::Rates => "rates",
            Endpoint::Authorize => "authorize",
            Endpoint::Calls => "calls",
            Endpoint::Balance => "balance",
            Endpoint::Sessions => "sessions",
            Endpoint::SessionsUpdate => "sessions/update",
            Endpoint::SessionsEnd => "sessions/end",
        }
    }

    /// The one method it answers.
    pub fn method(self) -> Method {
        match self {
            Endpoint::Rates
            | Endpoint::Calls
            | Endpoint::Sessions
            | Endpoint::SessionsUpdate
            | Endpoint::SessionsEnd => Method::Post,
            Endpoint::Authorize | Endpoint::Balance => Method::Get,
        }
    }

    /// The endpoint of a path under `/v1/` (a trailing slash is ignored, as elsewhere).
    pub fn of_path(path: &[u8]) -> Option<Endpoint> {
        let name = path.strip_prefix(b"/v1/")?;
        let name = name.strip_suffix(b"/").unwrap_or(name);
        Endpoint::ALL
            .into_iter()
            .find(|endpoint| endpoint.name().as_bytes() == name)
    }
}

/// Whether a path belongs to the JSON API (its body limit and its JSON errors apply).
pub fn is_json_api_path(path: &[u8]) -> bool {
    path.starts_with(b"/v1/")
}
