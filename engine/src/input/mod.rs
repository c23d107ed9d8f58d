//! What every input CSV shares: columns matched by header name, and errors that say
//! `file:line:column: message`, collected rather than stopping at the first.
//!
//! Tariffs use it now and the account files (users, cards, currencies) use it the same way,
//! so an operator sees one error style for every file Ratel reads.
//!
//! One concern a file: `errors` (the error list), `columns` (header matching), `row`
//! (field validators), `reader` (a whole file), `crlf` (line ends and line numbers) and
//! `read_ahead` (tokenising on a second thread).

mod columns;
mod crlf;
mod errors;
mod read_ahead;
mod reader;
mod row;

pub use columns::{ColumnSpec, Columns};
pub use crlf::{read_record, CrlfToLf};
pub use errors::{ErrorList, InputError, MAX_REPORTED_ERRORS};
pub use read_ahead::{read_records_ahead, ReadAhead};
pub use reader::{csv_reader, read_csv};
pub use row::Row;
