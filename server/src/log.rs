//! The server's log: one line per event on stderr, each with an RFC 3339 UTC timestamp (to
//! the millisecond) and a level, `2026-11-26T02:30:00.123Z INFO ratel-server: listening on
//! …`. A message of several lines (a list of input errors) is written as several log lines,
//! each with the same prefix, so every line a tool reads is dated and levelled.
//!
//! Messages are built by Ratel's own code from names, paths, counts and line numbers; none
//! carries a request's parameters, a password, a hash or a key (the access log, in
//! `access_log`, prints paths without their query string for the same reason).

use std::fmt::{self, Write as _};
use std::io::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use ratel_engine::time::Timestamp;

/// How much a log line matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

impl Level {
    fn name(self) -> &'static str {
        match self {
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Error => "ERROR",
        }
    }
}

/// `time` as RFC 3339 in UTC with milliseconds: `2026-11-26T02:30:00.123Z`.
pub fn rfc3339(time: SystemTime) -> String {
    let mut out = String::with_capacity(24);
    write_rfc3339(&mut out, time);
    out
}

/// Appends `time` as [`rfc3339`] does.
pub fn write_rfc3339(out: &mut String, time: SystemTime) {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let seconds = i64::try_from(since.as_secs()).unwrap_or(i64::MAX);
    let start = out.len();
    let _ = write!(out, "{}.{:03}Z", Timestamp(seconds), since.subsec_millis());
    // `Timestamp` prints `YYYY-MM-DD HH:MM:SS`; RFC 3339 joins date and time with a `T`.
    out.replace_range(start + 10..start + 11, "T");
}

/// Writes `message` to stderr at `level`, one log line per line of it.
pub fn write(level: Level, message: impl fmt::Display) {
    let mut text = String::with_capacity(128);
    let _ = write!(text, "{message}");
    let mut prefix = String::with_capacity(48);
    write_rfc3339(&mut prefix, SystemTime::now());
    let _ = write!(prefix, " {} ratel-server: ", level.name());
    let mut lines = String::with_capacity(text.len() + prefix.len() + 1);
    for line in text.lines() {
        lines.push_str(&prefix);
        lines.push_str(line);
        lines.push('\n');
    }
    // One write for the whole event, so lines of two threads never interleave mid-line.
    let _ = std::io::stderr().lock().write_all(lines.as_bytes());
}

pub fn info(message: impl fmt::Display) {
    write(Level::Info, message);
}

pub fn warn(message: impl fmt::Display) {
    write(Level::Warn, message);
}

pub fn error(message: impl fmt::Display) {
    write(Level::Error, message);
}

/// Makes every panic an `ERROR` line of this log (instead of Rust's own text on stderr):
/// the thread, where in the code, and the message only when it is a fixed text of the code.
pub fn log_panics() {
    std::panic::set_hook(Box::new(|info| {
        let thread = std::thread::current();
        error(panic_text(info.payload(), info.location(), thread.name()));
    }));
}

/// What the log says of a panic. A message built at run time (`format!`, `expect` of an
/// error, an index out of range) may quote data, a request's included, so only a message
/// fixed in the code (`&'static str`) is printed.
fn panic_text(
    payload: &(dyn std::any::Any + Send),
    location: Option<&std::panic::Location<'_>>,
    thread: Option<&str>,
) -> String {
    let mut text = format!("panic on thread {}", thread.unwrap_or("unnamed"));
    if let Some(location) = location {
        let _ = write!(
            text,
            " at {}:{}:{}",
            location.file(),
            location.line(),
            location.column()
        );
    }
    match payload.downcast_ref::<&'static str>() {
        Some(message) => {
            let _ = write!(text, ": {message}");
        }
        None => text.push_str(" (its message is not shown: it could quote request data)"),
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Review: a panic printed Rust's own text on stderr, undated and unlevelled, with a
    /// message that could quote request data.
    #[test]
    fn a_panic_is_described_without_data_built_at_run_time() {
        let location = std::panic::Location::caller();
        let fixed: Box<dyn std::any::Any + Send> = Box::new("a fixed text");
        let at = format!("at {}:{}:{}", file!(), location.line(), location.column());
        assert_eq!(
            panic_text(&*fixed, Some(location), Some("ratel-reload")),
            format!("panic on thread ratel-reload {at}: a fixed text")
        );
        let built: Box<dyn std::any::Any + Send> = Box::new(format!(
            "byte index 9 is out of range of `{}`",
            "a1b2c3d4e5"
        ));
        let text = panic_text(&*built, None, None);
        assert_eq!(
            text,
            "panic on thread unnamed (its message is not shown: it could quote request data)"
        );
    }

    #[test]
    fn timestamps_are_rfc_3339_utc_with_milliseconds() {
        let at = UNIX_EPOCH + Duration::from_millis(1_795_660_200_123);
        assert_eq!(rfc3339(at), "2026-11-26T02:30:00.123Z");
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
    }
}
