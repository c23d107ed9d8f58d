//! One account file's valid rows, with its name and the column of each field: what the
//! checks across rows and files report their errors against.

use super::currencies::Currencies;

/// One file's valid rows, with its name and the 1-based column of each spec (for errors
/// found across rows or files).
pub(super) struct Table<T> {
    pub(super) file: String,
    pub(super) rows: Vec<T>,
    pub(super) columns: Vec<u64>,
}

impl<T> Table<T> {
    pub(super) fn new(file: String, (rows, columns): (Vec<T>, Vec<u64>)) -> Table<T> {
        Table {
            file,
            rows,
            columns,
        }
    }

    pub(super) fn column(&self, spec: usize) -> u64 {
        self.columns[spec]
    }
}

/// The currencies and the file they came from.
pub(super) struct CurrencyFile {
    pub(super) file: String,
    pub(super) currencies: Currencies,
}
