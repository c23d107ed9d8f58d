//! The JSON API's HTTP glue (`/v1/...`, docs/api.md "JSON API"): the method, the
//! `Authorization` header, the query and the raw body handed to `ratel_engine::native`,
//! whose status comes back as an HTTP status. Everything else is the engine's.

use ratel_engine::api::{ContentType, Method, Params};
use ratel_engine::ledger::{Commit, NoLedger};
use ratel_engine::native;
use ratel_engine::snapshot::Snapshot;
use ratel_engine::time::Timestamp;

use crate::commit::CoroutineCommit;
use crate::http::{request_params, Request, RequestMethod, Status};
use crate::service::App;

/// One JSON API answer: its HTTP status, and what `/metrics` counts (the endpoint the path
/// names, if any, and the engine's status).
#[derive(Debug, Clone, Copy)]
pub struct Answered {
    pub status: Status,
    pub counted: Option<(native::Endpoint, native::Status)>,
    /// What a 405's `Allow` lists: the one method of the endpoint the path names.
    pub allow: &'static str,
}

/// Answers a request to a `/v1/` path on the API listener, writing its JSON body into
/// `body`. A request waiting for its commit parks only its coroutine.
pub fn answer(
    app: &App,
    snapshot: &Snapshot,
    request: &Request<'_>,
    now: Timestamp,
    params: &mut Params,
    body: &mut Vec<u8>,
) -> Answered {
    let method = match request.method {
        RequestMethod::Get => Some(Method::Get),
        RequestMethod::Post => Some(Method::Post),
        RequestMethod::Other => None,
    };
    let status = match native::route(&app.api, request.path, method, request.authorization) {
        Err(failure) => failure.write(body),
        Ok(endpoint) => {
            request_params(params, request.query, None, None);
            let native_request = native::Request {
                params,
                body: request.body,
                now,
            };
            let coroutine;
            let commit: &dyn Commit = match app.data.ledger.as_deref() {
                Some(ledger) => {
                    coroutine = CoroutineCommit { ledger };
                    &coroutine
                }
                None => &NoLedger,
            };
            let data = &snapshot.data;
            native::respond(
                endpoint,
                &data.artifact,
                &data.accounts,
                &app.api,
                &native_request,
                commit,
                body,
            )
        }
    };
    // A hidden API (empty token) counts nothing: it does not exist.
    let counted = (!app.api.native_token.is_empty())
        .then(|| native::Endpoint::of_path(request.path))
        .flatten()
        .map(|endpoint| (endpoint, status));
    let allow = match native::Endpoint::of_path(request.path).map(native::Endpoint::method) {
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
    head: &Request<'_>,
    body: &mut Vec<u8>,
) -> Option<(Status, ContentType)> {
    if !native::is_native_path(head.path) {
        return None;
    }
    let method = match head.method {
        RequestMethod::Get => Some(Method::Get),
        RequestMethod::Post => Some(Method::Post),
        RequestMethod::Other => None,
    };
    let failure = native::route(&app.api, head.path, method, head.authorization).err()?;
    body.clear();
    Some((http_status(failure.write(body)), ContentType::Json))
}

/// The body of a 413 for a `/v1/` path (refused before the request was read whole).
pub fn write_too_large(body: &mut Vec<u8>, limit: usize) -> ContentType {
    native::errors::write_error(
        body,
        &format!("the body is larger than the JSON API's limit of {limit} bytes"),
    );
    ContentType::Json
}

fn http_status(status: native::Status) -> Status {
    match status {
        native::Status::Ok => Status::Ok,
        native::Status::BadRequest => Status::BadRequest,
        native::Status::Unauthorized => Status::Unauthorized,
        native::Status::NotFound => Status::NotFound,
        native::Status::MethodNotAllowed => Status::MethodNotAllowed,
        native::Status::PayloadTooLarge => Status::PayloadTooLarge,
        native::Status::Unavailable => Status::Unavailable,
    }
}
