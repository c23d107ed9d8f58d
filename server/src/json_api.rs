//! The JSON API's HTTP glue (`/v1/...`, docs/api.md "JSON API"): the method, the
//! `Authorization` header, the query and the raw body handed to `ratel_engine::json_api`,
//! whose status comes back as an HTTP status. Everything else is the engine's.

use ratel_engine::json_api;
use ratel_engine::mor_api::{ContentType, Method, Params};
use ratel_engine::snapshot::Snapshot;
use ratel_engine::time::Timestamp;

use crate::app::App;
use crate::form::request_params;
use crate::http::{HttpRequest, HttpStatus};

/// One JSON API answer: its HTTP status, and what `/metrics` counts (the endpoint the path
/// names, if any, and the engine's status).
#[derive(Debug, Clone, Copy)]
pub struct Answered {
    pub status: HttpStatus,
    pub counted: Option<(json_api::Endpoint, json_api::JsonStatus)>,
    /// What a 405's `Allow` lists: the one method of the endpoint the path names.
    pub allow: &'static str,
}

/// Answers a request to a `/v1/` path on the API listener, writing its JSON body into
/// `body`. A request waiting for its commit parks only its coroutine.
pub fn answer(
    app: &App,
    snapshot: &Snapshot,
    request: &HttpRequest<'_>,
    now: Timestamp,
    params: &mut Params,
    body: &mut Vec<u8>,
) -> Answered {
    let method = request.method.api();
    let status = match json_api::route(&app.api, request.path, method, request.authorization) {
        Err(failure) => failure.write(body),
        Ok(endpoint) => {
            request_params(params, request.query, None, None);
            let json_request = json_api::JsonRequest {
                params,
                body: request.body,
                now,
            };
            let data = &snapshot.data;
            app.with_commit(|commit| {
                json_api::respond(
                    endpoint,
                    &data.artifact,
                    &data.accounts,
                    &app.api,
                    &json_request,
                    commit,
                    body,
                )
            })
        }
    };
    // A hidden API (empty token) counts nothing: it does not exist.
    let counted = (!app.api.native_token.is_empty())
        .then(|| json_api::Endpoint::of_path(request.path))
        .flatten()
        .map(|endpoint| (endpoint, status));
    let allow = match json_api::Endpoint::of_path(request.path).map(json_api::Endpoint::method) {
        Some(Method::Get) => "GET",
        Some(Method::Post) => "POST",
        None => "GET, POST",
    };
    Answered {
        status: http_status(status),
        counted,
        allow,
    }
}

/// The answer to a `/v1/` request whose head the JSON API's gate refuses (no or a wrong
/// token, an unknown path, a wrong method), written into `body` before any of the request's
/// body is read; `None` when the head passes (or the path is not the JSON API's).
pub fn refuse_before_body(
    app: &App,
    head: &HttpRequest<'_>,
    body: &mut Vec<u8>,
) -> Option<(HttpStatus, ContentType)> {
    if !json_api::is_json_api_path(head.path) {
        return None;
    }
    let method = head.method.api();
    let failure = json_api::route(&app.api, head.path, method, head.authorization).err()?;
    body.clear();
    Some((http_status(failure.write(body)), ContentType::Json))
}

/// The body of a 413 for a `/v1/` path (refused before the request was read whole).
pub fn write_too_large(body: &mut Vec<u8>, limit: usize) -> ContentType {
    json_api::errors::write_error(
        body,
        &format!("the body is larger than the JSON API's limit of {limit} bytes"),
    );
    ContentType::Json
}

fn http_status(status: json_api::JsonStatus) -> HttpStatus {
    match status {
        json_api::JsonStatus::Ok => HttpStatus::Ok,
        json_api::JsonStatus::BadRequest => HttpStatus::BadRequest,
        json_api::JsonStatus::Unauthorized => HttpStatus::Unauthorized,
        json_api::JsonStatus::NotFound => HttpStatus::NotFound,
        json_api::JsonStatus::MethodNotAllowed => HttpStatus::MethodNotAllowed,
        json_api::JsonStatus::Conflict => HttpStatus::Conflict,
        json_api::JsonStatus::PayloadTooLarge => HttpStatus::PayloadTooLarge,
        json_api::JsonStatus::Unavailable => HttpStatus::Unavailable,
    }
}
