//! The dispatch without sockets: an `App` on the demo data (no ledger), requests built by
//! hand, whole answers compared.

// A test that cannot set itself up should stop loudly.
#![allow(clippy::unwrap_used)]

use std::sync::atomic::AtomicBool;
use std::time::Duration;

use ratel_engine::mor_api::{ApiSettings, ContentType, Params};
use ratel_engine::snapshot::{DataFiles, SnapshotStore};
use ratel_engine::time::Timestamp;

use super::{admin, answer, busy};
use crate::app::App;
use crate::body_budget::BodyBudgets;
use crate::http::{HttpRequest, HttpStatus, Limits, RequestMethod};
use crate::metrics::Metrics;
use crate::reload::{Failures, Reloads};
use crate::stall_watch::StallWatch;

const TOKEN: &str = "t0k3n-for-dispatch-tests";

fn app() -> App {
    let data = ratel_engine::testing::demo_data().clone();
    App {
        store: SnapshotStore::new(data, Duration::ZERO),
        data: DataFiles {
            artifact: "tariffs.ratel".into(),
            accounts: ratel_engine::testing::demo_account_files(),
            default_currency: "USD".into(),
            ledger: None,
        },
        web_dir: "/billing".into(),
        api: ApiSettings {
            native_token: TOKEN.into(),
            ..ApiSettings::default()
        },
        limits: Limits::default(),
        bodies: BodyBudgets::new(1 << 20),
        write_stall_timeout: Duration::from_secs(10),
        stall_watch: StallWatch::start(Duration::from_secs(10), Duration::from_secs(10)).unwrap(),
        metrics: Metrics::default(),
        reloads: Reloads::new().0,
        reload_failures: Failures::default(),
        stopping: AtomicBool::new(false),
        access_log: None,
        replies: crate::commit::Replies::start(),
    }
}

fn request<'r>(method: RequestMethod, target: &'r str, token: Option<&'r str>) -> HttpRequest<'r> {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    HttpRequest {
        method,
        path: path.as_bytes(),
        query: query.as_bytes(),
        form_body: None,
        body: b"",
        authorization: token.map(str::as_bytes),
        close: false,
    }
}

/// The API listener's answer: status, content type, body, `Allow`.
fn api(app: &App, request: &HttpRequest<'_>) -> (HttpStatus, ContentType, String, &'static str) {
    let snapshot = app.store.load();
    let (mut params, mut body) = (Params::new(), Vec::new());
    let now = Timestamp::parse("2026-11-26 12:00:00").unwrap();
    let answered = answer(app, &snapshot, request, now, &mut params, &mut body);
    (
        answered.status,
        answered.content,
        String::from_utf8(body).unwrap(),
        answered.allow,
    )
}

#[test]
fn mor_and_json_api_requests_reach_their_endpoints() {
    let app = app();
    let get = RequestMethod::Get;
    assert_eq!(
        api(
            &app,
            &request(
                get,
                "/billing/api/user_simple_balance_get?id=a1b2c3d4e5",
                None
            )
        ),
        (
            HttpStatus::Ok,
            ContentType::Text,
            "60.0000".into(),
            "GET, POST"
        )
    );
    let bearer = format!("Bearer {TOKEN}");
    assert_eq!(
        api(
            &app,
            &request(get, "/v1/balance?account=alice", Some(&bearer))
        ),
        (
            HttpStatus::Ok,
            ContentType::Json,
            r#"{"balance":"60.000000","currency":"USD","reserved":"0.000000","available":"60.000000"}"#.into(),
            "GET"
        )
    );
    assert_eq!(
        api(&app, &request(get, "/v1/balance?account=alice", None)),
        (
            HttpStatus::Unauthorized,
            ContentType::Json,
            r#"{"error":"unauthorized"}"#.into(),
            "GET"
        )
    );
    assert_eq!(
        api(&app, &request(get, "/nowhere", None)),
        (
            HttpStatus::NotFound,
            ContentType::Text,
            "404 Not Found".into(),
            "GET, POST"
        )
    );
    let put = RequestMethod::Other;
    assert_eq!(
        api(&app, &request(put, "/billing/api/rate_get", None)).0,
        HttpStatus::MethodNotAllowed
    );
    // Without a ledger every change fails, as the answer says.
    let mut post = request(RequestMethod::Post, "/v1/calls", Some(&bearer));
    post.body = br#"{"calls":[{"id":"d-1","account":"alice","number":"370","start":"2026-11-26 10:00:00","billsec":60}]}"#;
    assert_eq!(
        api(&app, &post),
        (
            HttpStatus::Unavailable,
            ContentType::Json,
            r#"{"error":"ledger unavailable"}"#.into(),
            "POST"
        )
    );
}

#[test]
fn the_admin_listener_answers_health_metrics_and_methods() {
    let app = app();
    let snapshot = app.store.load();
    let admin_answer = |method, path: &str| {
        let mut body = Vec::new();
        let (status, content) = admin(&app, &snapshot, &request(method, path, None), &mut body);
        (status, content, String::from_utf8(body).unwrap())
    };
    assert_eq!(
        admin_answer(RequestMethod::Get, "/healthz"),
        (HttpStatus::Ok, ContentType::Text, "ok: generation 1".into())
    );
    let (status, _, metrics) = admin_answer(RequestMethod::Get, "/metrics");
    assert_eq!(status, HttpStatus::Ok);
    assert!(
        metrics.contains("ratel_request_body_budget_bytes{api=\"json\"} 1048576\n")
            && metrics.contains("ratel_request_body_budget_bytes{api=\"mor\"} 1048576\n"),
        "{metrics}"
    );
    assert_eq!(
        admin_answer(RequestMethod::Post, "/metrics").0,
        HttpStatus::MethodNotAllowed
    );
    assert_eq!(
        admin_answer(RequestMethod::Get, "/nothing"),
        (
            HttpStatus::NotFound,
            ContentType::Text,
            "404 Not Found".into()
        )
    );
}

#[test]
fn a_body_past_the_budget_is_refused_in_the_path_s_language() {
    let app = app();
    let mut body = Vec::new();
    let json = busy(
        &app,
        &request(RequestMethod::Post, "/v1/calls", None),
        &mut body,
    );
    assert_eq!(json, (HttpStatus::Unavailable, ContentType::Json));
    assert_eq!(
        String::from_utf8(body.clone()).unwrap(),
        r#"{"error":"server busy: request bodies being read take the whole 1 MiB budget; retry shortly"}"#
    );
    let mor = busy(
        &app,
        &request(RequestMethod::Post, "/billing/api/rate_get", None),
        &mut body,
    );
    assert_eq!(mor, (HttpStatus::Unavailable, ContentType::Text));
}
