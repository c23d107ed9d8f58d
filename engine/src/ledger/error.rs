//! Why the ledger could not open or attach accounts.

/// Why the ledger could not open or attach accounts.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("ledger {path}: {message}")]
    Store { path: String, message: String },
    #[error(
        "ledger {path} is in use by another ratel-server (it holds the file's lock); \
         two servers must not share one ledger file"
    )]
    InUse { path: String },
    #[error(
        "ledger {path} keeps balances in {kept}, but default_currency is {configured}; \
         use the ledger's currency or a new ledger file"
    )]
    Currency {
        path: String,
        kept: String,
        configured: String,
    },
    #[error("ledger {0}: the committer has stopped; restart the server")]
    Stopped(String),
    #[error(
        "ledger {0} does not exist (or is an empty file), and [ledger] create = false: restore \
         it from a backup, or set create = true to start a new, empty ledger"
    )]
    Missing(String),
    #[error(
        "ledger {path}: a rescued copy of it lies beside it ({copy}): the ledger was removed \
         or replaced while a server ran. A `.rescued-` copy holds every change acknowledged \
         until then: put it in place of the ledger; a `.rescuing-` one was cut short and may \
         be incomplete. Move it elsewhere if the ledger in place is the one to keep, then \
         start again"
    )]
    Rescued { path: String, copy: String },
}
