//! What a request is answered, once it was read whole: the API listener's (MOR paths under
//! `web_dir`, the JSON API under `/v1/`) and the admin listener's (`/healthz`, `/metrics`,
//! `POST /reload`). No socket here: each function takes the request and writes the body, so
//! they are tested on their own (`dispatch/tests.rs`).

use std::sync::atomic::Ordering;

use ratel_engine::json_api;
use ratel_engine::mor_api::{self, ContentType, Params};
use ratel_engine::snapshot::Snapshot;
use ratel_engine::time::Timestamp;

use crate::app::App;
use crate::form::request_params;
use crate::http::{HttpRequest, HttpStatus, RequestMethod};
use crate::reload::{self, Reply};
use crate::routes::route;

/// One API request's status and content type (the body is in the caller's buffer), and the
/// endpoint and outcome to count when it reached one (a MOR endpoint, or the JSON API's).
#[derive(Debug)]
pub(crate) struct Answered {
    pub(crate) status: HttpStatus,
    pub(crate) content: ContentType,
    pub(crate) counted: Option<(mor_api::Endpoint, mor_api::Counted)>,
    pub(crate) json: Option<(json_api::Endpoint, json_api::JsonStatus)>,
    /// What a 405's `Allow` lists.
    pub(crate) allow: &'static str,
}

pub(crate) fn answer(
    app: &App,
    snapshot: &Snapshot,
    request: &HttpRequest<'_>,
    now: Timestamp,
    params: &mut Params,
    body: &mut Vec<u8>,
) -> Answered {
    let refused = |status: HttpStatus, body: &mut Vec<u8>| {
        body.extend_from_slice(status.line().as_bytes());
        Answered {
            status,
            content: ContentType::Text,
            counted: None,
            json: None,
            allow: "GET, POST",
        }
    };
    if json_api::is_json_api_path(request.path) {
        let answered = crate::json_api::answer(app, snapshot, request, now, params, body);
        return Answered {
            status: answered.status,
            content: ContentType::Json,
            counted: None,
            json: answered.counted,
            allow: answered.allow,
        };
    }
    let Some(method) = request.method.api() else {
        return refused(HttpStatus::MethodNotAllowed, body);
    };
    let Some(routed) = route(request.path, &app.web_dir) else {
        return refused(HttpStatus::NotFound, body);
    };
    request_params(params, request.query, request.form_body, routed.path_id);
    let api_request = mor_api::MorRequest {
        method,
        params,
        now,
    };
    let (content, outcome) = app.with_commit(|commit| {
        mor_api::respond(
            routed.endpoint,
            &snapshot.data.artifact,
            &snapshot.data.accounts,
            &app.api,
            &api_request,
            commit,
            body,
        )
    });
    Answered {
        status: HttpStatus::Ok,
        content,
        counted: Some((routed.endpoint, outcome)),
        json: None,
        allow: "GET, POST",
    }
}

/// The answer to a request whose body would pass the body budget: 503, in JSON on `/v1/`.
pub(crate) fn busy(
    app: &App,
    head: &HttpRequest<'_>,
    body: &mut Vec<u8>,
) -> (HttpStatus, ContentType) {
    body.clear();
    let message = format!(
        "server busy: request bodies being read take the whole {} MiB budget; retry shortly",
        app.bodies.for_path(head.path).limit() >> 20
    );
    if json_api::is_json_api_path(head.path) {
        json_api::errors::write_error(body, &message);
        (HttpStatus::Unavailable, ContentType::Json)
    } else {
        body.extend_from_slice(message.as_bytes());
        (HttpStatus::Unavailable, ContentType::Text)
    }
}

/// The admin listener: `GET /healthz`, `GET /metrics`, `POST /reload`.
pub(crate) fn admin(
    app: &App,
    snapshot: &Snapshot,
    request: &HttpRequest<'_>,
    body: &mut Vec<u8>,
) -> (HttpStatus, ContentType) {
    let (status, text) = match (request.method, request.path) {
        (RequestMethod::Get, b"/healthz") => {
            let mut text = format!("ok: generation {}", snapshot.generation);
            app.reload_failures.describe(&mut text);
            match app.data.ledger.as_deref() {
                // Nothing can be charged or paid any more: not healthy.
                Some(ledger) if !ledger.is_running() => (
                    HttpStatus::Unavailable,
                    "ledger stopped: its committer thread has ended (see the log); \
                     balances cannot change until the server is restarted"
                        .to_owned(),
                ),
                Some(ledger) if ledger.stats().unreachable().is_some() => (
                    HttpStatus::Unavailable,
                    format!(
                        "ledger unavailable: {}; balances are answered from memory, changes \
                         are refused until it is back",
                        ledger.stats().unreachable().unwrap_or_default()
                    ),
                ),
                Some(ledger) if ledger.stats().unusable().is_some() => (
                    HttpStatus::Unavailable,
                    format!(
                        "ledger unusable: {} (see the log)",
                        ledger.stats().unusable().unwrap_or_default()
                    ),
                ),
                Some(ledger) => {
                    let failing = ledger.stats().failing.load(Ordering::Relaxed);
                    if failing > 0 {
                        text.push_str(&format!(
                            "; ledger: the last {failing} commits failed (see the log): \
                             changes are refused until one succeeds"
                        ));
                    }
                    (HttpStatus::Ok, text)
                }
                None => (HttpStatus::Ok, text),
            }
        }
        (RequestMethod::Get, b"/metrics") => {
            let mut text = String::with_capacity(4096);
            let dropped = app.access_log.as_ref().map_or(0, |log| log.dropped());
            app.metrics.render(snapshot, dropped, &mut text);
            crate::metrics::render_bodies(&app.bodies, &mut text);
            if let Some(ledger) = &app.data.ledger {
                crate::metrics::render_ledger(ledger, &mut text);
            }
            (HttpStatus::Ok, text)
        }
        (RequestMethod::Post, b"/reload") => match app.reloads.request(reload::WAIT) {
            Reply::Done(outcome) => match &*outcome {
                Ok(message) => (HttpStatus::Ok, message.clone()),
                Err(message) => (HttpStatus::InternalError, message.clone()),
            },
            Reply::StillRunning => (
                HttpStatus::Unavailable,
                format!(
                    "reload still running after {} s; its outcome will be in the log and /healthz",
                    reload::WAIT.as_secs()
                ),
            ),
        },
        (_, b"/healthz" | b"/metrics" | b"/reload") => (
            HttpStatus::MethodNotAllowed,
            HttpStatus::MethodNotAllowed.line().to_owned(),
        ),
        _ => (HttpStatus::NotFound, HttpStatus::NotFound.line().to_owned()),
    };
    body.extend_from_slice(text.as_bytes());
    (status, ContentType::Text)
}

#[cfg(test)]
mod tests;
