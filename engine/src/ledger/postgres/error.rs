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
        None => format!("cannot reach PostgreSQL: {error}"),
    }
}
