//! The backstop for answers that make no progress.
//!
//! A write that waits for a client to read gives up after `write_stall_timeout` through the
//! socket's own timeout. But `may` arms that timer afresh each time the socket wakes the
//! waiting coroutine, and bytes the client *sends* wake it too: a client that never reads but
//! sends a byte every few seconds would hold its connection, and the answers queued for it,
//! for ever. So every connection's writes are also watched from outside: before each `write`
//! call the connection records the current tick; a thread advances the tick four times a
//! second and shuts down the socket of any connection whose write has waited longer than the
//! limit (by at most two ticks). The shutdown wakes the coroutine, its write fails, and the connection
//! closes as after a timeout (and is counted as one).
//!
//! Cost: a registration per connection, two relaxed atomic stores per answer.

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

/// Every open connection's write, watched by one thread.
#[derive(Debug)]
pub struct WriteWatch {
    /// Advanced by the watching thread every `PERIOD`; starts at 1 (0 means "not writing").
    tick: AtomicU64,
    /// Ticks a write may wait before its socket is shut down.
    limit_ticks: u64,
    watched: Mutex<Vec<Weak<Watched>>>,
}

/// One connection, as the watching thread sees it.
#[derive(Debug)]
struct Watched {
    fd: RawFd,
    /// The tick at which the write under way started or last made progress; 0 when the
    /// connection is not writing.
    since: AtomicU64,
    /// Set when the watching thread shut the socket down.
    cut: AtomicBool,
    /// Held by the watching thread while it shuts the socket down; set (under it) when the
    /// connection is about to close its socket, after which `fd` may name another socket.
    closed: Mutex<bool>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl WriteWatch {
    /// Starts the watching thread: a write waiting longer than `limit` (by at most two
    /// periods) has its socket shut down. The thread ends with the last handle.
    pub fn start(limit: Duration) -> std::io::Result<Arc<WriteWatch>> {
        let limit_ticks = limit.as_millis().div_ceil(PERIOD.as_millis());
        let watch = Arc::new(WriteWatch {
            tick: AtomicU64::new(1),
            limit_ticks: u64::try_from(limit_ticks).unwrap_or(u64::MAX),
            watched: Mutex::new(Vec::new()),
        });
        let weak = Arc::downgrade(&watch);
        std::thread::Builder::new()
            .name("write-watch".into())
            .spawn(move || {
                while let Some(watch) = weak.upgrade() {
                    watch.scan();
                    drop(watch);
                    std::thread::sleep(PERIOD);
                }
            })?;
        Ok(watch)
    }

    /// Advances the tick and shuts down the sockets whose write waited too long; forgets
    /// closed connections.
    fn scan(&self) {
        let now = self.tick.fetch_add(1, Relaxed) + 1;
        lock(&self.watched).retain(|entry| {
            let Some(entry) = entry.upgrade() else {
                return false;
            };
            let since = entry.since.load(Relaxed);
            if since != 0 && now.saturating_sub(since) > self.limit_ticks {
                let closed = lock(&entry.closed);
                // The compare keeps a write that progressed meanwhile from being cut.
                if !*closed
                    && entry
                        .since
                        .compare_exchange(since, 0, Relaxed, Relaxed)
                        .is_ok()
                {
                    entry.cut.store(true, Release);
                    let _ = shutdown(entry.fd, Shutdown::Both);
                }
            }
            true
        });
    }

    /// Watches the writes of `stream`'s connection until the guard is dropped. The guard
    /// must be dropped before the stream is closed.
    pub fn watch(&self, stream: &may::net::TcpStream) -> WriteGuard<'_> {
        let entry = Arc::new(Watched {
            fd: stream.as_raw_fd(),
            since: AtomicU64::new(0),
            cut: AtomicBool::new(false),
            closed: Mutex::new(false),
        });
        lock(&self.watched).push(Arc::downgrade(&entry));
        WriteGuard { watch: self, entry }
    }
}

/// A connection's registration with the [`WriteWatch`]; dropping it ends the watch.
#[derive(Debug)]
pub struct WriteGuard<'w> {
    watch: &'w WriteWatch,
    entry: Arc<Watched>,
}

impl WriteGuard<'_> {
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
            Err(_) if self.entry.cut.load(Acquire) => Err(ErrorKind::TimedOut.into()),
            other => other,
        }
    }
}

impl Drop for WriteGuard<'_> {
    fn drop(&mut self) {
        *lock(&self.entry.closed) = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_is_counted_in_whole_periods_rounded_up() {
        let watch = WriteWatch::start(Duration::from_secs(10)).unwrap();
        assert_eq!(watch.limit_ticks, 40);
        let watch = WriteWatch::start(Duration::from_millis(10)).unwrap();
        assert_eq!(watch.limit_ticks, 1);
    }
}
