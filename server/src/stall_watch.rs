//! The deadlines of every connection, kept by one thread: the time a client has to send a
//! complete request, and the time an answer may wait for a client that does not read.
//!
//! **Requests.** A connection has `request_timeout` to send each complete request. Kept
//! with a socket read timeout, that cost a timer armed and removed in `may`'s event loop
//! every time a connection waited for its next request (about 2% of the server's CPU at
//! 170k requests a second). Here the connection records, once per request, the tick by
//! which the request must be complete; a read waits with no timeout at all.
//!
//! **Answers.** A write that waits for a client to read gives up after `write_stall_timeout`
//! through the socket's own timeout. But `may` arms that timer afresh each time the socket
//! wakes the waiting coroutine, and bytes the client *sends* wake it too: a client that never
//! reads but sends a byte every few seconds would hold its connection, and the answers queued
//! for it, for ever. So before each `write` call the connection also records the current
//! tick.
//!
//! A thread advances the tick four times a second and shuts down the socket of any connection
//! whose request is late or whose write has waited longer than the limit (by at most two
//! ticks: a request or an answer is cut between its limit and half a second after). The
//! shutdown wakes the coroutine, its read or write fails, and the connection closes, counted
//! as a read or a write timeout.
//!
//! Cost: a registration per connection, one relaxed atomic store per request, two per answer.

use std::io::{ErrorKind, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::{
    AtomicBool, AtomicU64, Ordering::Acquire, Ordering::Relaxed, Ordering::Release,
};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use nix::sys::socket::{shutdown, Shutdown};

/// How often the watching thread advances the tick and looks.
const PERIOD: Duration = Duration::from_millis(250);

/// Every open connection's deadlines, watched by one thread.
#[derive(Debug)]
pub struct StallWatch {
    /// Advanced by the watching thread every `PERIOD`; starts at 1 (0 means "not writing").
    tick: AtomicU64,
    /// Ticks a write may wait before its socket is shut down.
    limit_ticks: u64,
    /// Ticks a client has to send a complete request.
    request_ticks: u64,
    watched: Mutex<Vec<Weak<Watched>>>,
}

/// One connection, as the watching thread sees it.
#[derive(Debug)]
struct Watched {
    fd: RawFd,
    /// The tick at which the write under way started or last made progress; 0 when the
    /// connection is not writing.
    since: AtomicU64,
    /// The tick past which the request being read is late; 0 when none is being read.
    request_due: AtomicU64,
    /// Set when the watching thread shut the socket down for a stalled write.
    stalled: AtomicBool,
    /// Set when the watching thread shut the socket down for a late request.
    late: AtomicBool,
    /// Held by the watching thread while it shuts the socket down; set (under it) when the
    /// connection is about to close its socket, after which `fd` may name another socket.
    closed: Mutex<bool>,
}

impl Watched {
    /// Shuts the socket down and sets `why`, unless the connection is closing or `mark`
    /// moved on from `seen` meanwhile (the request completed, the write progressed).
    fn cut(&self, mark: &AtomicU64, seen: u64, why: &AtomicBool) {
        let closed = lock(&self.closed);
        if !*closed && mark.compare_exchange(seen, 0, Relaxed, Relaxed).is_ok() {
            why.store(true, Release);
            let _ = shutdown(self.fd, Shutdown::Both);
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Whole periods in `limit`, rounded up.
fn ticks(limit: Duration) -> u64 {
    u64::try_from(limit.as_millis().div_ceil(PERIOD.as_millis())).unwrap_or(u64::MAX)
}

impl StallWatch {
    /// Starts the watching thread: a request not complete `request` after the connection
    /// began waiting for it, or a write waiting longer than `write` (each by at most two
    /// periods), has its socket shut down. The thread ends with the last handle.
    pub fn start(request: Duration, write: Duration) -> std::io::Result<Arc<StallWatch>> {
        let watch = Arc::new(StallWatch {
            tick: AtomicU64::new(1),
            limit_ticks: ticks(write),
            request_ticks: ticks(request),
            watched: Mutex::new(Vec::new()),
        });
        let weak = Arc::downgrade(&watch);
        std::thread::Builder::new()
            .name("stall-watch".into())
            .spawn(move || {
                while let Some(watch) = weak.upgrade() {
                    watch.scan();
                    drop(watch);
                    std::thread::sleep(PERIOD);
                }
            })?;
        Ok(watch)
    }

    /// Advances the tick and shuts down the sockets whose request is late or whose write
    /// waited too long; forgets closed connections.
    fn scan(&self) {
        let now = self.tick.fetch_add(1, Relaxed) + 1;
        lock(&self.watched).retain(|entry| {
            let Some(entry) = entry.upgrade() else {
                return false;
            };
            let due = entry.request_due.load(Relaxed);
            if due != 0 && now > due {
                entry.cut(&entry.request_due, due, &entry.late);
            }
            let since = entry.since.load(Relaxed);
            if since != 0 && now.saturating_sub(since) > self.limit_ticks {
                entry.cut(&entry.since, since, &entry.stalled);
            }
            true
        });
    }

    /// Watches the deadlines of `stream`'s connection until the guard is dropped. The guard
    /// must be dropped before the stream is closed.
    pub fn watch(&self, stream: &may::net::TcpStream) -> StallGuard<'_> {
        let entry = Arc::new(Watched {
            fd: stream.as_raw_fd(),
            since: AtomicU64::new(0),
            request_due: AtomicU64::new(0),
            stalled: AtomicBool::new(false),
            late: AtomicBool::new(false),
            closed: Mutex::new(false),
        });
        lock(&self.watched).push(Arc::downgrade(&entry));
        StallGuard { watch: self, entry }
    }
}

/// A connection's registration with the [`StallWatch`]; dropping it ends the watch.
#[derive(Debug)]
pub struct StallGuard<'w> {
    watch: &'w StallWatch,
    entry: Arc<Watched>,
}

impl StallGuard<'_> {
    /// The connection waits for a request from now: it must be complete within the request
    /// timeout. Called once per request; reads then wait with no timeout of their own.
    pub fn awaiting_request(&self) {
        let due = self.watch.tick.load(Relaxed) + self.watch.request_ticks;
        self.entry.request_due.store(due, Relaxed);
    }

    /// The request is complete: no deadline runs while it is answered.
    pub fn request_complete(&self) {
        self.entry.request_due.store(0, Relaxed);
    }

    /// Whether the socket was shut down because the request was late (a read that ended
    /// then is a timeout, not the client closing).
    pub fn request_late(&self) -> bool {
        self.entry.late.load(Acquire)
    }

    /// Writes all of `bytes` like `Write::write_all`, with each `write` call watched. A
    /// write cut off by the watching thread fails as `TimedOut`.
    pub fn write_all(
        &self,
        stream: &mut may::net::TcpStream,
        mut bytes: &[u8],
    ) -> std::io::Result<()> {
        let result = loop {
            if bytes.is_empty() {
                break Ok(());
            }
            self.entry
                .since
                .store(self.watch.tick.load(Relaxed), Relaxed);
            match stream.write(bytes) {
                Ok(0) => break Err(ErrorKind::WriteZero.into()),
                Ok(written) => bytes = &bytes[written..],
                Err(error) if error.kind() == ErrorKind::Interrupted => {}
                Err(error) => break Err(error),
            }
        };
        self.entry.since.store(0, Relaxed);
        match result {
            Err(_) if self.entry.stalled.load(Acquire) => Err(ErrorKind::TimedOut.into()),
            other => other,
        }
    }
}

impl Drop for StallGuard<'_> {
    fn drop(&mut self) {
        *lock(&self.entry.closed) = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_counted_in_whole_periods_rounded_up() {
        let watch = StallWatch::start(Duration::from_secs(10), Duration::from_secs(10)).unwrap();
        assert_eq!((watch.request_ticks, watch.limit_ticks), (40, 40));
        let watch =
            StallWatch::start(Duration::from_millis(300), Duration::from_millis(10)).unwrap();
        assert_eq!((watch.request_ticks, watch.limit_ticks), (2, 1));
    }
}
