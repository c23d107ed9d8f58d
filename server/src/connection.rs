//! One connection, from its first byte to its close: one coroutine reading into a buffer of
//! its own, answering pipelined requests in order, and closing on any rule broken: the 10 s
//! to send a complete request and the 10 s an answer may go without progress (both kept by
//! `stall_watch`), the checks made on a request's head before its body is read (the JSON
//! API's token, the body budget), a lingering close after a refusal (so the client reads the
//! 4xx instead of a reset), every socket timeout armed through `deadline`.

use std::io::{ErrorKind, Read};
use std::net::Shutdown;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use ratel_engine::mor_api::{ContentType, Params};
use ratel_engine::time::Timestamp;

use crate::access_log::AccessRecord;
use crate::app::App;
use crate::body_budget::Reservation;
use crate::deadline::{socket_timeout, timeout_until};
use crate::dispatch::{admin, answer, busy};
use crate::http::{
    parse_request, write_response, write_response_allowing, HttpStatus, Parsed, RequestMethod,
};
use crate::listener::Listener;
use crate::stall_watch::StallGuard;

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
        }
        // A large body grew the buffer: once its request is answered, give the memory back,
        // keeping what the client already sent of the next request (a client that pipelines
        // the start of another head must not keep a mebibyte it no longer needs).
        let pending = self.end - self.start;
        if self.data.len() > 8 * READ_CHUNK && pending < 2 * READ_CHUNK {
            let mut data = vec![0; 2 * READ_CHUNK];
            data[..pending].copy_from_slice(&self.data[self.start..self.end]);
            self.data = data;
            self.start = 0;
            self.end = pending;
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

/// How a wait for input ended when it brought nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ended {
    /// The client closed, or the socket failed.
    Closed,
    /// The deadline passed.
    TimedOut,
}

pub(crate) fn serve(
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
    let watch = app.stall_watch.watch(&stream);
    watch.awaiting_request();
    let mut input = Input::new();
    let mut out: Vec<u8> = Vec::with_capacity(4096);
    let mut body: Vec<u8> = Vec::with_capacity(1024);
    let mut params = Params::new();
    let mut snapshots = arc_swap::Cache::new(app.store.cell());
    let mut continue_sent = false;
    // The body memory reserved for the request being read, once its head was accepted.
    let mut reserved: Option<Reservation<'_>> = None;
    // The access log's line, reused (allocated only when the log is on).
    let mut line = String::new();
    loop {
        let parsed = parse_request(input.pending(), &app.limits);
        match parsed {
            Parsed::Complete(request, used) => {
                // Its body is read: what it reserved of the budget is given back (the bytes
                // stay in the buffer until the request is answered, bounded by the read size).
                reserved = None;
                watch.request_complete();
                let _in_flight = app.metrics.answering();
                body.clear();
                out.clear();
                let snapshot = snapshots.load();
                // One reading of each clock per request: the time rates are taken at (also
                // the Date header; the coarse clock, read without the hardware clock), and
                // the start of the handler's time.
                let (now, received) = (Timestamp::now_coarse(), Instant::now());
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
                watch.awaiting_request();
                continue_sent = false;
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
                    let refused = refused.or_else(|| {
                        match app.bodies.for_path(head.path).reserve(body_len) {
                            Some(reservation) => {
                                reserved = Some(reservation);
                                None
                            }
                            None => Some(busy(app, &head, &mut body)),
                        }
                    });
                    if let Some((status, content)) = refused {
                        let refusal = Refusal {
                            method: Some(head.method),
                            path: head.path,
                            status,
                            content,
                        };
                        let who = (kind, peer);
                        refuse(app, who, &mut stream, &watch, refusal, &body, &mut line);
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
                if let Err(ended) = read_more(&mut stream, &mut input, &watch) {
                    app.metrics.read_ended(kind, ended == Ended::TimedOut);
                    return;
                }
            }
            Parsed::Partial => {
                if let Err(ended) = read_more(&mut stream, &mut input, &watch) {
                    app.metrics.read_ended(kind, ended == Ended::TimedOut);
                    return;
                }
            }
            Parsed::Reject(status) | Parsed::RejectJson(status) => {
                body.clear();
                let content = if matches!(parsed, Parsed::RejectJson(_)) {
                    crate::json_api::write_too_large(&mut body, app.limits.max_json_body)
                } else {
                    body.extend_from_slice(status.line().as_bytes());
                    ContentType::Text
                };
                let refusal = Refusal {
                    method: None,
                    path: b"",
                    status,
                    content,
                };
                let who = (kind, peer);
                refuse(app, who, &mut stream, &watch, refusal, &body, &mut line);
                return;
            }
        }
    }
}

/// A request refused before it was answered: what the access log says of it, and its answer.
#[derive(Debug, Clone, Copy)]
struct Refusal<'r> {
    /// The method and path, when the head was read (`-` in the access log otherwise).
    method: Option<RequestMethod>,
    path: &'r [u8],
    status: HttpStatus,
    content: ContentType,
}

/// Answers a refused request with `body`, counts and logs it, then closes the connection
/// with a lingering close (the client reads the answer instead of a reset).
fn refuse(
    app: &App,
    (kind, peer): (Listener, std::net::SocketAddr),
    stream: &mut may::net::TcpStream,
    watch: &StallGuard<'_>,
    refusal: Refusal<'_>,
    body: &[u8],
    line: &mut String,
) {
    // The request's deadline ends here: the answer and the lingering close have their own.
    watch.request_complete();
    app.metrics.refusal(refusal.status);
    let mut out = Vec::with_capacity(256 + body.len());
    write_response(
        &mut out,
        refusal.status,
        refusal.content,
        body,
        true,
        Timestamp::now(),
    );
    let _ = watch.write_all(stream, &out);
    if let Some(log) = &app.access_log {
        let entry = AccessRecord {
            listener: kind,
            peer,
            method: refusal.method,
            path: refusal.path,
            status: refusal.status,
            bytes: body.len(),
            took: Duration::ZERO,
        };
        log.record(&entry, &app.web_dir, line);
    }
    linger(stream);
}

/// Reads what the client sends next into `input`; an error when the connection is over
/// (closed, failed, or shut down by the stall watch because the request is late). The read
/// itself has no timeout: the stall watch keeps the request's deadline.
fn read_more(
    stream: &mut may::net::TcpStream,
    input: &mut Input,
    watch: &StallGuard<'_>,
) -> Result<(), Ended> {
    let ended = || {
        if watch.request_late() {
            Ended::TimedOut
        } else {
            Ended::Closed
        }
    };
    loop {
        match stream.read(input.spare()) {
            Ok(0) => return Err(ended()),
            Ok(n) => {
                input.filled(n);
                return Ok(());
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return Err(ended()),
        }
    }
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
