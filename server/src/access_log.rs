//! The optional access log (`access_log` in `ratel.toml`: a file path, or `-` for stderr):
//! one line per request on either listener,
//!
//! ```text
//! 2026-11-26T02:30:00.123Z api 127.0.0.1:53412 GET /billing/api/rate_get 200 412 57us
//! ```
//!
//! time (RFC 3339 UTC), listener, peer, method, path, status, body bytes, time to answer,
//! and, when the answer could not be written, `write_timeout` or `write_failed`.
//! The path is printed **without its query string** (where the API's usernames, hashes and
//! numbers are), and an id given in the path (`/api/simple_balance/ID`, a user's unique
//! hash) is printed as `{id}`. On the API listener a path that does not route keeps only
//! `web_dir` and `/api/NAME` (a known endpoint) or a JSON API endpoint (`/v1/calls`), the rest shown as `/{rest}`. Bytes outside
//! printable ASCII are escaped `%XX`, and a path is cut at 256 bytes. A request refused before it was parsed (400, 413, 414, 431, 501)
//! has `-` for method and path.
//!
//! A request appends its line to a shared buffer (a memory copy under a lock held for
//! nothing else); a flusher thread writes the buffer out every 200 ms, so no request waits
//! for the disk. Should the disk fall behind by more than 8 MiB, lines are dropped and
//! counted (`ratel_access_log_dropped_total`) rather than let memory grow. Off (the
//! default), a request pays one branch.

use std::fmt::Write as _;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use crate::http::{HttpStatus, RequestMethod};
use crate::listener::Listener;
use crate::log::write_rfc3339;
use crate::routes::route;
use ratel_engine::json_api;

/// How often the buffer is written out.
const FLUSH_EVERY: Duration = Duration::from_millis(200);
/// Lines waiting beyond this are dropped.
const MAX_PENDING: usize = 8 << 20;
/// Longest path printed.
const MAX_PATH: usize = 256;

/// Where lines go, and those waiting to.
#[derive(Debug)]
pub struct AccessLog {
    pending: Mutex<Vec<u8>>,
    dropped: AtomicU64,
    target: Mutex<Target>,
}

#[derive(Debug)]
enum Target {
    Stderr,
    File(std::fs::File),
}

/// One request, as the access log prints it.
#[derive(Debug)]
pub struct AccessRecord<'r> {
    pub listener: Listener,
    pub peer: SocketAddr,
    /// `None`: refused before it was parsed.
    pub method: Option<RequestMethod>,
    pub path: &'r [u8],
    pub status: HttpStatus,
    pub bytes: usize,
    pub took: Duration,
}

impl AccessLog {
    /// Opens `setting` (`-` for stderr, otherwise a file appended to, created if missing)
    /// and starts the flusher thread.
    pub fn open(setting: &str) -> std::io::Result<Arc<AccessLog>> {
        let target = if setting == "-" {
            Target::Stderr
        } else {
            Target::File(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(setting)?,
            )
        };
        let log = Arc::new(AccessLog {
            pending: Mutex::new(Vec::with_capacity(64 * 1024)),
            dropped: AtomicU64::new(0),
            target: Mutex::new(target),
        });
        let flusher = Arc::clone(&log);
        std::thread::Builder::new()
            .name("ratel-access-log".into())
            .spawn(move || loop {
                std::thread::sleep(FLUSH_EVERY);
                flusher.flush();
            })?;
        Ok(log)
    }

    /// Formats `entry` into `line` (a buffer the caller reuses) and queues it.
    pub fn record(&self, entry: &AccessRecord<'_>, web_dir: &str, line: &mut String) {
        self.record_ending(entry, web_dir, line, None);
    }

    /// [`record`](Self::record) for an answer whose write ended with `written`: a failed
    /// write adds a last field, `write_timeout` (no progress for the write deadline) or
    /// `write_failed` (the client went away).
    pub fn record_written(
        &self,
        entry: &AccessRecord<'_>,
        web_dir: &str,
        line: &mut String,
        written: &std::io::Result<()>,
    ) {
        let ending = match written {
            Ok(()) => None,
            Err(error) if error.kind() == std::io::ErrorKind::TimedOut => Some("write_timeout"),
            Err(_) => Some("write_failed"),
        };
        self.record_ending(entry, web_dir, line, ending);
    }

    fn record_ending(
        &self,
        entry: &AccessRecord<'_>,
        web_dir: &str,
        line: &mut String,
        ending: Option<&str>,
    ) {
        line.clear();
        write_rfc3339(line, SystemTime::now());
        line.push(' ');
        line.push_str(entry.listener.name());
        line.push(' ');
        let _ = write!(line, "{}", entry.peer);
        line.push_str(match entry.method {
            Some(RequestMethod::Get) => " GET ",
            Some(RequestMethod::Post) => " POST ",
            Some(RequestMethod::Other) => " OTHER ",
            None => " - ",
        });
        if entry.method.is_none() {
            line.push('-');
        } else {
            shown_path(entry.path, web_dir, entry.listener, line);
        }
        line.push(' ');
        line.push_str(&entry.status.line()[..3]);
        line.push(' ');
        line.push_str(itoa::Buffer::new().format(entry.bytes));
        line.push(' ');
        line.push_str(itoa::Buffer::new().format(entry.took.as_micros()));
        line.push_str("us");
        if let Some(ending) = ending {
            line.push(' ');
            line.push_str(ending);
        }
        line.push('\n');
        let mut pending = self
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if pending.len() + line.len() > MAX_PENDING {
            self.dropped.fetch_add(1, Relaxed);
            return;
        }
        pending.extend_from_slice(line.as_bytes());
    }

    /// Writes out every queued line (the flusher, and a stop).
    pub fn flush(&self) {
        // Only the flusher and a stop take the target, so the swap below is never raced.
        let mut target = self
            .target
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let lines = std::mem::take(
            &mut *self
                .pending
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        if lines.is_empty() {
            return;
        }
        let _ = match &mut *target {
            Target::Stderr => std::io::stderr().lock().write_all(&lines),
            Target::File(file) => file.write_all(&lines),
        };
    }

    /// Lines dropped because the disk fell behind.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Relaxed)
    }
}

/// Appends `path` as the access log shows it: an id in the path as `{id}`, unprintable
/// bytes escaped, at most `MAX_PATH` bytes. The query string was cut off by the parser.
///
/// On the API listener a path that does not route is never printed as sent (a client may
/// have put a user's hash anywhere in it): only `web_dir` and `/api/NAME` (NAME a known
/// endpoint) are kept, and whatever else it has is shown as `/{rest}`. The JSON API's
/// endpoints (`/v1/calls`) are printed as they are; another `/v1/` path as `/v1/{rest}`.
fn shown_path(path: &[u8], web_dir: &str, listener: Listener, out: &mut String) {
    let json_api = json_api::is_json_api_path(path);
    let (path, tail) = match listener {
        Listener::Api if json_api && json_api::Endpoint::of_path(path).is_some() => (path, ""),
        Listener::Api if json_api => (&path[..3], "/{rest}"),
        Listener::Api => match route(path, web_dir) {
            Some(routed) => match routed.path_id {
                Some(id) => {
                    let at = id.as_ptr() as usize - path.as_ptr() as usize;
                    (&path[..at], "{id}")
                }
                None => (path, ""),
            },
            None => {
                let known = known_prefix(path, web_dir);
                let tail = if known.len() < path.len() {
                    "/{rest}"
                } else {
                    ""
                };
                (known, tail)
            }
        },
        Listener::Admin => (path, ""),
    };
    for &byte in path.iter().take(MAX_PATH) {
        if byte.is_ascii_graphic() && byte != b'%' {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    if path.len() > MAX_PATH {
        out.push_str("...");
    }
    out.push_str(tail);
}

/// The start of an unrouted `path` that cannot hold a secret: `web_dir` (whole segments),
/// then `/api/NAME` when NAME is an endpoint's name; possibly nothing.
fn known_prefix<'p>(path: &'p [u8], web_dir: &str) -> &'p [u8] {
    let under_web_dir = !web_dir.is_empty()
        && path.starts_with(web_dir.as_bytes())
        && matches!(path.get(web_dir.len()), None | Some(b'/'));
    let (start, base) = if under_web_dir {
        (web_dir.len(), web_dir)
    } else {
        (0, "")
    };
    let Some(after) = path[start..].strip_prefix(b"/api/") else {
        return &path[..start];
    };
    let name = after.iter().position(|&b| b == b'/').unwrap_or(after.len());
    let named = &path[..start + "/api/".len() + name];
    if name > 0 && route(named, base).is_some() {
        named
    } else {
        &path[..start]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(path: &[u8]) -> String {
        let mut out = String::new();
        shown_path(path, "/billing", Listener::Api, &mut out);
        out
    }

    #[test]
    fn ids_in_the_path_and_odd_bytes_are_never_printed_as_sent() {
        assert_eq!(
            shown(b"/billing/api/simple_balance/a1b2c3d4e5"),
            "/billing/api/simple_balance/{id}"
        );
        assert_eq!(shown(b"/billing/api/rate_get"), "/billing/api/rate_get");
        assert_eq!(shown(b"/billing/api/rate_get/"), "/billing/api/rate_get/");
        assert_eq!(shown(b"/x y\n%41"), "/{rest}");
        // Issue 16, defect 7: the JSON API's paths were all written as `/{rest}`.
        assert_eq!(shown(b"/v1/calls"), "/v1/calls");
        assert_eq!(shown(b"/v1/balance/"), "/v1/balance/");
        assert_eq!(shown(b"/v1/a1b2c3d4e5"), "/v1/{rest}");
        assert_eq!(shown(b"/v1/"), "/v1/{rest}");
        let admin = |path: &[u8]| {
            let mut out = String::new();
            shown_path(path, "/billing", Listener::Admin, &mut out);
            out
        };
        assert_eq!(admin(b"/x y\n%41"), "/x%20y%0A%2541");
        assert_eq!(admin(&[b'a'; 300]).len(), 259);
    }

    /// Review: `{id}` was put in only for paths that route, so a user's hash in a path that
    /// did not (a wrong `web_dir`, the wrong endpoint, one segment too many) was printed.
    #[test]
    fn paths_that_do_not_route_keep_only_their_known_start() {
        for (path, expected) in [
            (
                &b"/api/simple_balance/a1b2c3d4e5"[..],
                "/api/simple_balance/{rest}",
            ),
            (
                b"/billing/api/balance/a1b2c3d4e5",
                "/billing/api/balance/{rest}",
            ),
            (
                b"/billing/api/simple_balance/a1b2c3d4e5/x",
                "/billing/api/simple_balance/{rest}",
            ),
            (b"/billing/api/a1b2c3d4e5", "/billing/{rest}"),
            (b"/billingsecret/api/rate_get", "/{rest}"),
            (b"/a1b2c3d4e5/billing/api/rate_get", "/{rest}"),
            (b"/billing/api/", "/billing/{rest}"),
            (b"/billing", "/billing"),
            (b"/", "/{rest}"),
            (&[b'a'; 300], "/{rest}"),
        ] {
            assert_eq!(shown(path), expected, "{}", String::from_utf8_lossy(path));
        }
        let mut out = String::new();
        shown_path(b"/api/balance/a1b2c3d4e5", "", Listener::Api, &mut out);
        assert_eq!(out, "/api/balance/{rest}", "web_dir may be empty");
        let mut out = String::new();
        shown_path(b"/metrics", "/billing", Listener::Admin, &mut out);
        assert_eq!(out, "/metrics", "admin paths are printed");
    }

    /// Review: an answer whose write failed or timed out had no line at all.
    #[test]
    fn an_answer_not_written_is_logged_with_why() {
        let log = AccessLog {
            pending: Mutex::new(Vec::new()),
            dropped: AtomicU64::new(0),
            target: Mutex::new(Target::Stderr),
        };
        let entry = AccessRecord {
            listener: Listener::Api,
            peer: "127.0.0.1:5000".parse().unwrap(),
            method: Some(RequestMethod::Get),
            path: b"/billing/api/calling_cards_get",
            status: HttpStatus::Ok,
            bytes: 3_000_000,
            took: Duration::from_secs(10),
        };
        let mut line = String::new();
        log.record_written(&entry, "/billing", &mut line, &Ok(()));
        let timed_out = std::io::Error::from(std::io::ErrorKind::TimedOut);
        log.record_written(&entry, "/billing", &mut line, &Err(timed_out));
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        log.record_written(&entry, "/billing", &mut line, &Err(reset));
        let pending = log.pending.lock().unwrap();
        let lines: Vec<&str> = std::str::from_utf8(&pending).unwrap().lines().collect();
        let ends: Vec<&str> = lines
            .iter()
            .map(|l| &l[l.find(" api ").unwrap()..])
            .collect();
        let sent = " api 127.0.0.1:5000 GET /billing/api/calling_cards_get 200 3000000 10000000us";
        assert_eq!(
            ends,
            [
                sent.to_owned(),
                format!("{sent} write_timeout"),
                format!("{sent} write_failed")
            ]
        );
    }
}
