//! What every input CSV shares: text decoded from the file's encoding, one record a line,
//! columns matched by header name, and errors that say `file:line:column: message`,
//! collected rather than stopping at the first.
//!
//! Tariffs use it and the account files (users, cards, currencies) use it the same way, so
//! an operator sees one error style for every file Ratel reads. One concern a file: `errors`
//! (the error list), `decode` (encodings), `lines` (records line by line), `columns`
//! (header matching), `row` (field validators), `reader` (a whole file) and `read_ahead`
//! (tokenising on a second thread).

mod columns;
mod decode;
mod errors;
mod lines;
mod read_ahead;
mod reader;
mod row;

pub use columns::{
    header_words, normalize_header, ColumnSpec, Columns, HeaderMatch, HeaderNames, SpecNames,
};
pub use decode::TextEncoding;
pub use errors::{ErrorList, InputError, MAX_REPORTED_ERRORS};
pub use lines::{CsvFormat, Delimiter, LineError, LineReader, Record, MAX_LINE_BYTES};
pub use read_ahead::{read_records_ahead, Batch};
pub use reader::{read_csv, read_csv_with, CsvInput};
pub use row::Row;

/// Test support shared by the readers' tests.
#[cfg(test)]
pub(crate) mod testing {
    use std::io::{self, Read};

    /// Hands out at most `chunk` bytes a call, to cut sequences and lines at every boundary.
    pub(crate) struct Trickle<'a> {
        pub data: &'a [u8],
        pub chunk: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.chunk.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }
}
