//! The API listener: one coroutine per connection, reading into a per-connection buffer,
//! answering pipelined requests in order, and closing on any rule broken.
//!
//! Built directly on `may` and `httparse` rather than `may_minihttp`, so that every limit of
//! SPEC §4 is Ratel's own code with its own test (see `docs/server.md`): sizes, header count
//! and body handling in `http::parse_request`; here the 10 s to send a complete request, a
//! lingering close after a refusal (so the client reads the 4xx instead of a reset),
//! `TCP_NODELAY`, a pause instead of a busy loop when `accept` fails (file descriptors
//! exhausted), and a bind that refuses an address already in use.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use std::sync::Mutex;

use ratel_engine::api::{self, ApiSettings, ContentType, Method};
use ratel_engine::snapshot::{Data, DataFiles, Snapshot, SnapshotStore};
use ratel_engine::time::Timestamp;

use crate::http::{
    parse_request, request_params, write_response, Limits, Parsed, Request, RequestMethod, Status,
};
use crate::metrics::Metrics;
use crate::routes::route;

/// Everything a connection needs.
#[derive(Debug)]
pub struct App {
    pub store: SnapshotStore,
    pub data: DataFiles,
    pub web_dir: String,
    pub api: ApiSettings,
    pub limits: Limits,
    /// Time a client has to send a complete request (SPEC §4: 10 s).
    pub request_timeout: Duration,
    pub metrics: Metrics,
    /// One reload at a time.
    pub reloading: Mutex<()>,
}

/// Which listener a connection came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listener {
    Api,
    Admin,
}

impl App {
    /// Loads the data files again and swaps them in; on any error the old snapshot stays and
    /// the reason is returned (and logged, and counted).
    pub fn reload(&self) -> Result<String, String> {
        let _one_at_a_time = self
            .reloading
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let started = Instant::now();
        let mut warnings = Vec::new();
        match Data::load(&self.data, &mut warnings) {
            Ok(data) => {
                for warning in warnings {
                    eprintln!("ratel-server: warning: {warning}");
                }
                let took = started.elapsed();
                let generation = self.store.replace(data, took);
                let message = format!(
                    "reloaded: generation {generation} in {:.3} s",
                    took.as_secs_f64()
                );
                eprintln!("ratel-server: {message}");
                Ok(message)
            }
            Err(error) => {
                self.metrics
                    .reload_failures
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let message = format!("reload failed, the previous data stays in force: {error}");
                eprintln!("ratel-server: {message}");
                Err(message)
            }
        }
    }
}

/// Binds `addr` for the API, refusing an address something already listens on.
///
/// `may`'s `bind` sets `SO_REUSEPORT`, with which a second server on a busy port binds
/// without error and silently shares its traffic. So the address is first bound with the
/// standard library, which does not set it: that fails while anything listens there (another
/// Ratel included), and turns port 0 into a concrete port.
pub fn bind_exclusive(addr: SocketAddr) -> std::io::Result<may::net::TcpListener> {
    let probe = std::net::TcpListener::bind(addr)?;
    let bound = probe.local_addr()?;
    drop(probe);
    may::net::TcpListener::bind(bound)
}

/// Accepts connections forever, one coroutine each.
pub fn serve(listener: may::net::TcpListener, app: Arc<App>, kind: Listener) {
    for stream in listener.incoming() {
        match stream {
            Ok(stream) => {
                let app = Arc::clone(&app);
                may::go!(move || serve_connection(stream, &app, kind));
            }
            // Out of file descriptors (or another accept failure): pause instead of spinning,
            // and keep serving the connections already open.
            Err(_) => may::coroutine::sleep(Duration::from_millis(50)),
        }
    }
}

fn serve_connection(mut stream: may::net::TcpStream, app: &App, kind: Listener) {
    let _ = stream.set_nodelay(true);
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    let mut out: Vec<u8> = Vec::with_capacity(4096);
    let mut body: Vec<u8> = Vec::with_capacity(1024);
    let mut snapshots = arc_swap::Cache::new(app.store.cell());
    let mut deadline = Instant::now() + app.request_timeout;
    let mut continue_sent = false;
    loop {
        match parse_request(&buf, &app.limits) {
            Parsed::Complete(request, used) => {
                body.clear();
                out.clear();
                let snapshot = snapshots.load();
                let (status, content) = match kind {
                    Listener::Api => answer(app, snapshot, &request, &mut body),
                    Listener::Admin => admin(app, snapshot, &request, &mut body),
                };
                if status != Status::Ok {
                    app.metrics.refusal(status);
                }
                let close = request.close;
                write_response(&mut out, status, content, &body, close, Timestamp::now());
                if stream.write_all(&out).is_err() {
                    return;
                }
                buf.drain(..used);
                if close {
                    let _ = stream.shutdown(Shutdown::Both);
                    return;
                }
                deadline = Instant::now() + app.request_timeout;
                continue_sent = false;
            }
            Parsed::AwaitingBody { expects_continue } => {
                if expects_continue && !continue_sent {
                    continue_sent = true;
                    if stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").is_err() {
                        return;
                    }
                }
                if !read_more(&mut stream, &mut buf, deadline) {
                    return;
                }
            }
            Parsed::Partial => {
                if !read_more(&mut stream, &mut buf, deadline) {
                    return;
                }
            }
            Parsed::Reject(status) => {
                app.metrics.refusal(status);
                out.clear();
                write_response(
                    &mut out,
                    status,
                    ContentType::Text,
                    status.line().as_bytes(),
                    true,
                    Timestamp::now(),
                );
                let _ = stream.write_all(&out);
                linger(&mut stream);
                return;
            }
        }
    }
}

/// Reads what the client sends next into `buf`, waiting at most until `deadline`; `false`
/// when the connection is over (closed, failed, or out of time).
fn read_more(stream: &mut may::net::TcpStream, buf: &mut Vec<u8>, deadline: Instant) -> bool {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
        return false;
    }
    let start = buf.len();
    buf.resize(start + 4096, 0);
    match stream.read(&mut buf[start..]) {
        Ok(0) | Err(_) => false,
        Ok(n) => {
            buf.truncate(start + n);
            true
        }
    }
}

/// One request's status and body.
fn answer(
    app: &App,
    snapshot: &Snapshot,
    request: &Request<'_>,
    body: &mut Vec<u8>,
) -> (Status, ContentType) {
    let method = match request.method {
        RequestMethod::Get => Method::Get,
        RequestMethod::Post => Method::Post,
        RequestMethod::Other => {
            body.extend_from_slice(Status::MethodNotAllowed.line().as_bytes());
            return (Status::MethodNotAllowed, ContentType::Text);
        }
    };
    let Some(routed) = route(request.path, &app.web_dir) else {
        body.extend_from_slice(Status::NotFound.line().as_bytes());
        return (Status::NotFound, ContentType::Text);
    };
    let params = request_params(request.query, request.form_body, routed.path_id);
    let api_request = api::Request {
        method,
        params: &params,
        now: Timestamp::now(),
    };
    let started = Instant::now();
    let (kind, outcome) = api::respond(
        routed.endpoint,
        &snapshot.artifact,
        &snapshot.accounts,
        &app.api,
        &api_request,
        body,
    );
    app.metrics
        .request(routed.endpoint, outcome, started.elapsed());
    (Status::Ok, kind)
}

/// The admin listener: `GET /healthz`, `GET /metrics`, `POST /reload`.
fn admin(
    app: &App,
    snapshot: &Snapshot,
    request: &Request<'_>,
    body: &mut Vec<u8>,
) -> (Status, ContentType) {
    let (status, text) = match (request.method, request.path) {
        (RequestMethod::Get, b"/healthz") => (
            Status::Ok,
            format!("ok: generation {}", snapshot.generation),
        ),
        (RequestMethod::Get, b"/metrics") => {
            let mut text = String::with_capacity(4096);
            app.metrics.render(snapshot, &mut text);
            (Status::Ok, text)
        }
        (RequestMethod::Post, b"/reload") => match app.reload() {
            Ok(message) => (Status::Ok, message),
            Err(message) => (Status::InternalError, message),
        },
        (_, b"/healthz" | b"/metrics" | b"/reload") => (
            Status::MethodNotAllowed,
            Status::MethodNotAllowed.line().to_owned(),
        ),
        _ => (Status::NotFound, Status::NotFound.line().to_owned()),
    };
    body.extend_from_slice(text.as_bytes());
    (status, ContentType::Text)
}

/// After a refusal: stop writing, then read and drop what the client still sends (bounded in
/// time and bytes) before closing, so that closing with unread input does not send a reset
/// that would destroy the 4xx on its way to the client.
fn linger(stream: &mut may::net::TcpStream) {
    let _ = stream.shutdown(Shutdown::Write);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let mut sink = [0u8; 4096];
    let mut drained = 0usize;
    while drained < 1 << 20 {
        match stream.read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(n) => drained += n,
        }
    }
}
