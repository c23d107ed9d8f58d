//! How a ledger is opened, and where it says what an operator must see.

use std::sync::Arc;

/// A write-ahead log past this size is not being checkpointed (the store keeps it near
/// 64 MiB): a reader holds an old snapshot open, and the log says so (`file_watch`).
pub const WAL_WARN_BYTES: u64 = 256 << 20;

/// How much a ledger event matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

/// Where the ledger says what an operator must see (a failed commit, a ledger file removed
/// under the server, a new ledger created): the server's log. The engine has no logger.
#[derive(Clone)]
pub struct Log(Arc<Say>);

/// What a [`Log`] calls.
type Say = dyn Fn(Level, &str) + Send + Sync;

impl Log {
    pub fn new(write: impl Fn(Level, &str) + Send + Sync + 'static) -> Log {
        Log(Arc::new(write))
    }

    /// Says `message` at `level`.
    pub fn say(&self, level: Level, message: &str) {
        (self.0)(level, message);
    }
}

impl std::fmt::Debug for Log {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Log")
    }
}

/// How a ledger is opened.
#[derive(Debug, Clone)]
pub struct Options {
    /// Whether a missing ledger file is created (a new, empty ledger: logged as such), or an
    /// error (`[ledger] create = false`, for production).
    pub create: bool,
    pub log: Log,
    /// A write-ahead log larger than this is said in the log ([`WAL_WARN_BYTES`]).
    pub wal_warn_bytes: u64,
}

impl Default for Options {
    /// Creates a missing ledger; logs on stderr.
    fn default() -> Options {
        Options {
            create: true,
            log: Log::new(|level, message| eprintln!("{level:?} {message}")),
            wal_warn_bytes: WAL_WARN_BYTES,
        }
    }
}
