//! What one JSON API request carries.

use crate::mor_api::Params;
use crate::time::Timestamp;

/// One decoded JSON API request.
#[derive(Debug, Clone, Copy)]
pub struct JsonRequest<'a> {
    /// The query string's parameters (the GET endpoints').
    pub params: &'a Params,
    /// The raw body (the POST endpoints' JSON).
    pub body: &'a [u8],
    /// The time rates are taken at when the request names none.
    pub now: Timestamp,
}
