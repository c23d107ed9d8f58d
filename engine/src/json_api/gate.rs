//! The gate every `/v1/` request passes before its endpoint runs: token, path, method.

use super::errors::{self, Failure, JsonStatus};
use super::Endpoint;
use crate::auth::constant_time_eq;
use crate::mor_api::{ApiSettings, Method};

/// The gate every `/v1/` request passes, in this order: an empty `native_token` hides the
/// whole API (404); a missing or wrong `Authorization: Bearer TOKEN` is 401 (on any path, so
/// an unauthenticated client learns nothing of the paths); an unknown path is 404; a known
/// path with the other method is 405.
pub fn route(
    settings: &ApiSettings,
    path: &[u8],
    method: Option<Method>,
    authorization: Option<&[u8]>,
) -> Result<Endpoint, Failure> {
    if settings.native_token.is_empty() {
        return Err(Failure::not_found(errors::NOT_FOUND));
    }
    if !authorized(settings, authorization) {
        return Err(Failure::new(JsonStatus::Unauthorized, errors::UNAUTHORIZED));
    }
    let endpoint = Endpoint::of_path(path).ok_or(Failure::not_found(errors::NOT_FOUND))?;
    if method != Some(endpoint.method()) {
        let allowed = match endpoint.method() {
            Method::Get => "method not allowed: use GET",
            Method::Post => "method not allowed: use POST",
        };
        return Err(Failure::new(JsonStatus::MethodNotAllowed, allowed));
    }
    Ok(endpoint)
}

/// Whether `authorization` (the header's value) is `Bearer TOKEN` with the configured
/// token. The scheme is matched in any case; the token is compared in constant time. An
/// empty configured token authorizes nothing.
pub fn authorized(settings: &ApiSettings, authorization: Option<&[u8]>) -> bool {
    let expected = settings.native_token.as_bytes();
    let Some(value) = authorization.map(<[u8]>::trim_ascii) else {
        return false;
    };
    if expected.is_empty() || value.len() < 7 || !value[..7].eq_ignore_ascii_case(b"bearer ") {
        return false;
    }
    constant_time_eq(value[7..].trim_ascii(), expected)
}
