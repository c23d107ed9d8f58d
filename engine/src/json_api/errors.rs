//! The JSON API's errors: an HTTP status and a message, written `{"error":"MESSAGE"}`.
//! The fixed messages live here so their wording cannot drift between endpoints.

use std::borrow::Cow;

pub const UNAUTHORIZED: &str = "unauthorized";
pub const NOT_FOUND: &str = "not found";
pub const ACCOUNT_NOT_FOUND: &str = "account not found";
pub const CARD_NOT_FOUND: &str = "card not found";
pub const TARIFF_NOT_FOUND: &str = "tariff not found";
pub const LEDGER_UNAVAILABLE: &str = "ledger unavailable";
pub const CALL_ALREADY_CHARGED: &str = "call already charged";
pub const TOO_MANY_SESSIONS: &str = "too many open sessions";
pub const SESSION_NOT_FOUND: &str = crate::ledger::session::SESSION_NOT_FOUND;

/// A request refused as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub status: JsonStatus,
    pub message: Cow<'static, str>,
}

impl Failure {
    pub fn new(status: JsonStatus, message: impl Into<Cow<'static, str>>) -> Failure {
        Failure {
            status,
            message: message.into(),
        }
    }

    /// 400: malformed JSON, or a missing or invalid field (the message names it).
    pub fn bad_request(message: impl Into<Cow<'static, str>>) -> Failure {
        Failure::new(JsonStatus::BadRequest, message)
    }

    /// 404 with one of the fixed messages.
    pub fn not_found(message: &'static str) -> Failure {
        Failure::new(JsonStatus::NotFound, message)
    }

    /// Writes `{"error":"MESSAGE"}`; returns the status.
    pub fn write(&self, out: &mut Vec<u8>) -> JsonStatus {
        write_error(out, &self.message);
        self.status
    }
}

impl From<String> for Failure {
    /// A field check's message: a 400.
    fn from(message: String) -> Failure {
        Failure::bad_request(message)
    }
}

/// Writes `{"error":"MESSAGE"}`.
pub fn write_error(out: &mut Vec<u8>, message: &str) {
    #[derive(serde::Serialize)]
    struct Body<'a> {
        error: &'a str,
    }
    super::write::write_json(out, &Body { error: message });
}

/// The HTTP statuses the JSON API answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonStatus {
    Ok,
    BadRequest,
    Unauthorized,
    NotFound,
    MethodNotAllowed,
    /// 409: a session started with the id of a call already charged.
    Conflict,
    PayloadTooLarge,
    /// The ledger could not write (`{"error":"ledger unavailable"}`): resend, ids make it safe.
    Unavailable,
}
