//! What the ledger has done and how it is, for `/metrics` and `/healthz`: written by the
//! committer and the store, read by the server.

use std::sync::atomic::AtomicU64;
use std::sync::{Mutex, PoisonError};

/// What the committer has done, for `/metrics`.
#[derive(Debug, Default)]
pub struct Stats {
    /// Transactions committed (each one sync).
    pub commits: AtomicU64,
    /// Entries written.
    pub entries: AtomicU64,
    /// Commits that failed (nothing of them applied).
    pub failures: AtomicU64,
    /// Commits that failed since the last one that succeeded.
    pub failing: AtomicU64,
    /// Time spent in the store's commits, in microseconds.
    pub commit_micros: AtomicU64,
    /// The write-ahead log's size at the last look (every 200 ms), in bytes.
    pub wal_bytes: AtomicU64,
    /// Sessions open now (calls in progress).
    pub sessions_open: AtomicU64,
    /// Sessions granted and opened.
    pub sessions_started: AtomicU64,
    /// Session starts and updates refused for money.
    pub sessions_refused: AtomicU64,
    /// Sessions the server closed because their grant ran out `grace_s` ago.
    pub sessions_expired: AtomicU64,
    /// Batches worked out again because another server changed an account they touch (a
    /// shared store).
    pub conflicts: AtomicU64,
    /// Why the store cannot be reached now (a shared store: its database is down), while
    /// that lasts.
    unreachable: Mutex<Option<String>>,
    /// Why the store may not be written any more (its file was removed or replaced), once
    /// that happened: every change is refused until the server is restarted.
    unusable: Mutex<Option<String>>,
}

impl Stats {
    /// Why the ledger refuses every change, if it does (see `file_watch`).
    pub fn unusable(&self) -> Option<String> {
        self.unusable
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Why the store cannot be reached now, if it cannot.
    pub fn unreachable(&self) -> Option<String> {
        self.unreachable
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn set_unreachable(&self, reason: Option<String>) {
        *self
            .unreachable
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = reason;
    }

    pub(crate) fn set_unusable(&self, reason: &str) {
        *self.unusable.lock().unwrap_or_else(PoisonError::into_inner) = Some(reason.to_owned());
    }
}
