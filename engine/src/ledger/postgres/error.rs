//! PostgreSQL's errors as the ledger says them.

use postgres::error::SqlState;

/// A database error's SQLSTATE, when the database answered one.
pub(super) fn state(error: &postgres::Error) -> Option<&SqlState> {
    error.as_db_error().map(|db| db.code())
}

/// An error as said to the log and the caller: the database's message, or why the
/// connection failed (never the URL's password: it is in neither).
pub(super) fn say(error: &postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => {
            // The cause (no such socket, connection refused, ...) is in the source chain.
            let mut said = format!("cannot reach PostgreSQL: {error}");
            let mut cause = std::error::Error::source(error);
            while let Some(inner) = cause {
                said.push_str(&format!(": {inner}"));
                cause = inner.source();
            }
            said
        }
    }
}
