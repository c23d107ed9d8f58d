//! The API listener: one coroutine per connection, reading into a per-connection buffer,
//! answering pipelined requests in order, and closing on any rule broken.
//!
//! Built directly on `may` and `httparse` rather than `may_minihttp`, so that every limit of
//! docs/server.md is Ratel's own code with its own test (see `docs/server.md`): sizes, header count
//! and body handling in `http::parse_request`; here the 10 s to send a complete request, the
//! 10 s an answer may go without progress, a lingering close after a refusal (so the client
//! reads the 4xx instead of a reset), every timeout armed through `deadline`,
//! `TCP_NODELAY`, a pause instead of a busy loop when `accept` fails (file descriptors
//! exhausted), and a bind that refuses an address already in use.

use std::io::{ErrorKind, Read};
use std::net::{Shutdown, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ratel_engine::json_api;
use ratel_engine::ledger::NoLedger;
use ratel_engine::mor_api::{self, ApiSettings, ContentType, Method, Params};
use ratel_engine::snapshot::{Data, DataFiles, Snapshot, SnapshotStore};
use ratel_engine::time::Timestamp;

use crate::access_log::{AccessLog, AccessRecord};
use crate::body_budget::{BodyBudget, Reservation};
use crate::commit::CoroutineCommit;
use crate::deadline::{socket_timeout, timeout_until};
use crate::http::{
    parse_request, request_params, write_response, write_response_allowing, HttpRequest,
    HttpStatus, Limits, Parsed, RequestMethod,
};
use crate::log;
use crate::metrics::Metrics;
use crate::reload::{self, Failures, ReloadResult, Reloads, Reply};
use crate::routes::route;
use crate::write_watch::WriteWatch;

/// Everything a connection needs.
#[derive(Debug)]
pub struct App {
    pub store: SnapshotStore,
    pub data: DataFiles,
    pub web_dir: String,
    pub api: ApiSettings,
    pub limits: Limits,
    /// The memory all connections together may hold for request bodies.
    pub bodies: BodyBudget,
    /// Time a client has to send a complete request (docs/server.md: 10 s).
    pub request_timeout: Duration,
    /// Time an answer may go without any byte of it accepted by the client before the
    /// connection is closed (10 s).
    pub write_stall_timeout: Duration,
    /// The backstop for writes whose socket timeout keeps being re-armed (see `write_watch`).
    pub write_watch: Arc<WriteWatch>,
    pub metrics: Metrics,
    /// The queue to the reload thread (`reload`).
    pub reloads: Reloads,
    /// The reloads failing since the last good one, for `/healthz`.
    pub reload_failures: Failures,
    /// Set by SIGTERM or SIGINT: acceptors return, answers say `Connection: close`.
    pub stopping: AtomicBool,
    /// The access log, when `access_log` is set.
    pub access_log: Option<Arc<AccessLog>>,
}

/// Which listener a connection came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listener {
    Api,
    Admin,
}

impl Listener {
    pub const ALL: [Listener; 2] = [Listener::Api, Listener::Admin];

    /// The `listener` label in `/metrics`.
    pub fn name(self) -> &'static str {
        match self {
            Listener::Api => "api",
            Listener::Admin => "admin",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

impl App {
    /// Loads the data files again and swaps them in; on any error the old snapshot stays and
    /// the reason is returned (and logged, counted, and shown by `/healthz`). Runs on the
    /// reload thread only (`reload`), which keeps the replaced snapshot it returns until the
    /// last request reading it is done, and frees it there.
    pub fn reload(&self) -> (ReloadResult, Option<Arc<Snapshot>>) {
        let started = Instant::now();
        let mut warnings = Vec::new();
        // Only files whose stamp changed are read; the rest is shared with the data in force.
        let in_force = self.store.load().data.clone();
        match Data::reload(&self.data, &in_force, &mut warnings) {
            Ok((data, reread)) => {
                drop(in_force);
                for warning in warnings {
                    log::warn(&warning);
                }
                let took = started.elapsed();
                let (generation, replaced) = self.store.replace(data, took);
                self.metrics.reloaded(took, reread);
                self.reload_failures.cleared();
                let message = format!(
                    "reloaded: generation {generation} in {:.3} s ({reread})",
                    took.as_secs_f64()
                );
                log::info(&message);
                (Ok(message), Some(replaced))
            }
            Err(error) => {
                self.metrics
                    .reload_failures
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let message = format!("reload failed, the previous data stays in force: {error}");
                self.reload_failures.failed(&error.to_string());
                log::error(&message);
                (Err(message), None)
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

/// Accepts connections, one coroutine each, until the server stops; then drops the
/// listener, so new connections are refused.
pub fn serve(listener: may::net::TcpListener, app: Arc<App>, kind: Listener) {
    loop {
        let accepted = listener.accept();
        if app.stopping.load(Ordering::Relaxed) {
            return;
        }
        match accepted {
            Ok((stream, peer)) => {
                let app = Arc::clone(&app);
                may::go!(move || {
                    let _open = app.metrics.opened(kind);
                    serve_connection(stream, &app, kind, peer);
                });
            }
            // Out of file descriptors (or another accept failure): pause instead of spinning,
            // and keep serving the connections already open.
            Err(_) => may::coroutine::sleep(Duration::from_millis(50)),
        }
    }
}

/// How far a read timeout may reach past the request deadline. The socket's timeout is
/// changed only when it would overshoot by more than this, which spares a `setsockopt` per
/// request on keep-alive connections: a connection is closed at most this late.
const DEADLINE_SLACK: Duration = Duration::from_millis(100);

/// Bytes read from a connection and not yet consumed: `data[start..end]`. Reads go straight
/// into the spare room after `end`, so nothing is zeroed or shifted per request.
#[derive(Debug)]
struct Input {
    data: Vec<u8>,
    start: usize,
    end: usize,
}

/// Room offered to each read.
const READ_CHUNK: usize = 4096;

/// Capacity an answer buffer may keep between requests; a larger one is given back.
const KEPT_OUTPUT: usize = 64 * 1024;

impl Input {
    fn new() -> Input {
        Input {
            data: vec![0; 2 * READ_CHUNK],
            start: 0,
            end: 0,
        }
    }

    fn pending(&self) -> &[u8] {
        &self.data[self.start..self.end]
    }

    /// Drops the first `used` pending bytes (a request answered).
    fn consume(&mut self, used: usize) {
        self.start = (self.start + used).min(self.end);
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
            // A large POST grew the buffer; give it back once it is empty.
            if self.data.len() > 8 * READ_CHUNK {
                self.data.truncate(2 * READ_CHUNK);
                self.data.shrink_to_fit();
            }
        }
    }

    /// At least `READ_CHUNK` bytes of room after the pending bytes.
    fn spare(&mut self) -> &mut [u8] {
        if self.data.len() - self.end < READ_CHUNK {
            self.data.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
            if self.data.len() - self.end < READ_CHUNK {
                self.data.resize(self.end + READ_CHUNK, 0);
            }
        }
        &mut self.data[self.end..]
    }

    fn filled(&mut self, read: usize) {
        self.end = (self.end + read).min(self.data.len());
    }
}

/// The time by which the request being read must be complete, and the read timeout the
/// socket has now (`None`: not known to be set).
#[derive(Debug)]
struct Deadline {
    at: Instant,
    armed: Option<Duration>,
}

/// How a wait for input ended when it brought nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ended {
    /// The client closed, or the socket failed.
    Closed,
    /// The deadline passed.
    TimedOut,
}

fn serve_connection(
    mut stream: may::net::TcpStream,
    app: &App,
    kind: Listener,
    peer: std::net::SocketAddr,
) {
    let _ = stream.set_nodelay(true);
    // Set once per connection: every write that waits gives up after this long without
    // progress (may arms it afresh for each `write` call, so an answer the client reads,
    // however slowly, keeps going).
    if stream
        .set_write_timeout(socket_timeout(app.write_stall_timeout))
        .is_err()
    {
        return;
    }
    // Declared after `stream` (a parameter), so dropped before the socket is closed.
    let watch = app.write_watch.watch(&stream);
    let mut input = Input::new();
    let mut out: Vec<u8> = Vec::with_capacity(4096);
    let mut body: Vec<u8> = Vec::with_capacity(1024);
    let mut params = Params::new();
    let mut snapshots = arc_swap::Cache::new(app.store.cell());
    let mut deadline = Deadline {
        at: Instant::now() + app.request_timeout,
        armed: None,
    };
    let mut continue_sent = false;
    // The body memory reserved for the request being read, once its head was accepted.
    let mut reserved: Option<Reservation<'_>> = None;
    // The access log's line, reused (allocated only when the log is on).
    let mut line = String::new();
    loop {
        let parsed = parse_request(input.pending(), &app.limits);
        match parsed {
            Parsed::Complete(request, used) => {
                let _in_flight = app.metrics.answering();
                body.clear();
                out.clear();
                let snapshot = snapshots.load();
                // One reading of each clock per request: the time rates are taken at (also
                // the Date header), and the start of the handler's time.
                let (now, received) = (Timestamp::now(), Instant::now());
                let (status, content, json, allow) = match kind {
                    Listener::Api => {
                        let answered = answer(app, snapshot, &request, now, &mut params, &mut body);
                        if let Some((endpoint, outcome)) = answered.counted {
                            app.metrics.request(endpoint, outcome, received.elapsed());
                        }
                        if let Some((endpoint, outcome)) = answered.json {
                            app.metrics
                                .json_request(endpoint, outcome, received.elapsed());
                        }
                        let json = answered.content == ContentType::Json;
                        (answered.status, answered.content, json, answered.allow)
                    }
                    Listener::Admin => {
                        let (status, content) = admin(app, snapshot, &request, &mut body);
                        (status, content, false, "GET, POST")
                    }
                };
                // The JSON API's errors are answers, counted by endpoint and outcome.
                if status != HttpStatus::Ok && !json {
                    app.metrics.refusal(status);
                }
                let close = request.close || app.stopping.load(Ordering::Relaxed);
                write_response_allowing(&mut out, status, content, &body, close, now, allow);
                let written = watch.write_all(&mut stream, &out);
                if let Some(log) = &app.access_log {
                    let entry = AccessRecord {
                        listener: kind,
                        peer,
                        method: Some(request.method),
                        path: request.path,
                        status,
                        bytes: body.len(),
                        took: received.elapsed(),
                    };
                    log.record_written(&entry, &app.web_dir, &mut line, &written);
                }
                if let Err(error) = written {
                    app.metrics.write_failed(kind, &error);
                    return;
                }
                input.consume(used);
                if close {
                    let _ = stream.shutdown(Shutdown::Both);
                    return;
                }
                // A large answer (thousands of cards) grew the buffers; give the memory back
                // rather than hold it for as long as the connection stays open.
                for buffer in [&mut out, &mut body] {
                    if buffer.capacity() > KEPT_OUTPUT {
                        *buffer = Vec::with_capacity(4096);
                    }
                }
                deadline.at = Instant::now() + app.request_timeout;
                continue_sent = false;
                reserved = None;
            }
            Parsed::AwaitingBody {
                head,
                body_len,
                expects_continue,
            } => {
                // Once per request, before a byte of its body is read: the JSON API's gate
                // (a stranger's body is never read), then the memory it will take.
                if reserved.is_none() {
                    let refused = match kind {
                        Listener::Api => crate::json_api::refuse_before_body(app, &head, &mut body),
                        Listener::Admin => None,
                    };
                    let refused = refused.or_else(|| match app.bodies.reserve(body_len) {
                        Some(reservation) => {
                            reserved = Some(reservation);
                            None
                        }
                        None => Some(busy(app, &head, &mut body)),
                    });
                    if let Some((status, content)) = refused {
                        app.metrics.refusal(status);
                        out.clear();
                        write_response(&mut out, status, content, &body, true, Timestamp::now());
                        let _ = watch.write_all(&mut stream, &out);
                        if let Some(log) = &app.access_log {
                            let entry = AccessRecord {
                                listener: kind,
                                peer,
                                method: Some(head.method),
                                path: head.path,
                                status,
                                bytes: body.len(),
                                took: Duration::ZERO,
                            };
                            log.record(&entry, &app.web_dir, &mut line);
                        }
                        linger(&mut stream);
                        return;
                    }
                }
                if expects_continue && !continue_sent {
                    continue_sent = true;
                    if let Err(error) =
                        watch.write_all(&mut stream, b"HTTP/1.1 100 Continue\r\n\r\n")
                    {
                        app.metrics.write_failed(kind, &error);
                        return;
                    }
                }
                if let Err(ended) = read_more(&mut stream, &mut input, &mut deadline) {
                    app.metrics.read_ended(kind, ended == Ended::TimedOut);
                    return;
                }
            }
            Parsed::Partial => {
                if let Err(ended) = read_more(&mut stream, &mut input, &mut deadline) {
                    app.metrics.read_ended(kind, ended == Ended::TimedOut);
                    return;
                }
            }
            Parsed::Reject(status) | Parsed::RejectJson(status) => {
                app.metrics.refusal(status);
                out.clear();
                body.clear();
                let content = if matches!(parsed, Parsed::RejectJson(_)) {
                    crate::json_api::write_too_large(&mut body, app.limits.max_json_body)
                } else {
                    body.extend_from_slice(status.line().as_bytes());
                    ContentType::Text
                };
                write_response(&mut out, status, content, &body, true, Timestamp::now());
                let _ = watch.write_all(&mut stream, &out);
                if let Some(log) = &app.access_log {
                    let entry = AccessRecord {
                        listener: kind,
                        peer,
                        method: None,
                        path: b"",
                        status,
                        bytes: body.len(),
                        took: Duration::ZERO,
                    };
                    log.record(&entry, &app.web_dir, &mut line);
                }
                linger(&mut stream);
                return;
            }
        }
    }
}

/// Reads what the client sends next into `input`, waiting at most until the deadline (plus
/// `DEADLINE_SLACK`); an error when the connection is over (closed, failed, or out of time).
fn read_more(
    stream: &mut may::net::TcpStream,
    input: &mut Input,
    deadline: &mut Deadline,
) -> Result<(), Ended> {
    loop {
        let left = timeout_until(deadline.at).ok_or(Ended::TimedOut)?;
        if deadline
            .armed
            .is_none_or(|armed| armed > left + DEADLINE_SLACK)
        {
            stream
                .set_read_timeout(Some(left))
                .map_err(|_| Ended::Closed)?;
            deadline.armed = Some(left);
        }
        match stream.read(input.spare()) {
            Ok(0) => return Err(Ended::Closed),
            Ok(n) => {
                input.filled(n);
                return Ok(());
            }
            // The timeout set for an earlier, shorter wait ran out (or this one, a rounding
            // short of the deadline): wait again for what is left, if anything is.
            Err(e) if matches!(e.kind(), ErrorKind::TimedOut | ErrorKind::WouldBlock) => {
                deadline.armed = None;
            }
            Err(_) => return Err(Ended::Closed),
        }
    }
}

/// One API request's status and content type (the body is in the caller's buffer), and the
/// endpoint and outcome to count when it reached one (a MOR endpoint, or the JSON API's).
#[derive(Debug)]
struct Answered {
    status: HttpStatus,
    content: ContentType,
    counted: Option<(mor_api::Endpoint, mor_api::Counted)>,
    json: Option<(json_api::Endpoint, json_api::JsonStatus)>,
    /// What a 405's `Allow` lists.
    allow: &'static str,
}

fn answer(
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
    let method = match request.method {
        RequestMethod::Get => Method::Get,
        RequestMethod::Post => Method::Post,
        RequestMethod::Other => return refused(HttpStatus::MethodNotAllowed, body),
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
    let (content, outcome) = match app.data.ledger.as_deref() {
        Some(ledger) => mor_api::respond(
            routed.endpoint,
            &snapshot.data.artifact,
            &snapshot.data.accounts,
            &app.api,
            &api_request,
            &CoroutineCommit { ledger },
            body,
        ),
        None => mor_api::respond(
            routed.endpoint,
            &snapshot.data.artifact,
            &snapshot.data.accounts,
            &app.api,
            &api_request,
            &NoLedger,
            body,
        ),
    };
    Answered {
        status: HttpStatus::Ok,
        content,
        counted: Some((routed.endpoint, outcome)),
        json: None,
        allow: "GET, POST",
    }
}

/// The answer to a request whose body would pass the body budget: 503, in JSON on `/v1/`.
fn busy(app: &App, head: &HttpRequest<'_>, body: &mut Vec<u8>) -> (HttpStatus, ContentType) {
    body.clear();
    let message = format!(
        "server busy: request bodies being read take the whole {} MiB budget; retry shortly",
        app.bodies.limit() >> 20
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
fn admin(
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

/// After a refusal: stop writing, then read and drop what the client still sends before
/// closing, so that closing with unread input does not send a reset that would destroy the
/// 4xx on its way to the client. It ends when the client closes, after 500 ms without input,
/// after 2 s in all (a client trickling bytes cannot hold the connection longer), or after
/// 1 MiB.
fn linger(stream: &mut may::net::TcpStream) {
    const QUIET: Duration = Duration::from_millis(500);
    let _ = stream.shutdown(Shutdown::Write);
    let until = Instant::now() + Duration::from_secs(2);
    let mut sink = [0u8; 4096];
    let mut drained = 0usize;
    while drained < 1 << 20 {
        let Some(wait) = timeout_until(until.min(Instant::now() + QUIET)) else {
            break;
        };
        if stream.set_read_timeout(Some(wait)).is_err() {
            break;
        }
        match stream.read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(n) => drained += n,
        }
    }
}
