//! What every input CSV shares: columns matched by header name, and errors that say
//! `file:line:column: message`, collected rather than stopping at the first.
//!
//! Tariffs use it now and the account files (users, cards, currencies) use it the same way,
//! so an operator sees one error style for every file Ratel reads.

use std::fmt;

/// How many errors are kept in full; past this only a count is kept.
pub const MAX_REPORTED_ERRORS: usize = 100;

/// One problem in an input file, at a 1-based line and column (the header is line 1; a
/// record's line is the physical line where it starts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub file: String,
    pub line: u64,
    pub column: u64,
    pub message: String,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

/// Errors from one or more files: the first [`MAX_REPORTED_ERRORS`] in full, then a count.
#[derive(Debug, Default, Clone)]
pub struct ErrorList {
    kept: Vec<InputError>,
    total: usize,
}

impl ErrorList {
    /// An empty list.
    pub fn new() -> ErrorList {
        ErrorList::default()
    }

    /// Records an error (kept in full while fewer than the limit are kept).
    pub fn push(&mut self, error: InputError) {
        self.total += 1;
        if self.kept.len() < MAX_REPORTED_ERRORS {
            self.kept.push(error);
        }
    }

    /// Records an error built from its parts.
    pub fn add(&mut self, file: &str, line: u64, column: u64, message: impl Into<String>) {
        self.push(InputError {
            file: file.to_owned(),
            line,
            column,
            message: message.into(),
        });
    }

    /// Whether no error was recorded.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// How many errors were recorded, including those not kept.
    pub fn total(&self) -> usize {
        self.total
    }

    /// The errors kept in full, in the order [`ErrorList::sort`] left them.
    pub fn kept(&self) -> &[InputError] {
        &self.kept
    }

    /// Whether more errors can still be kept in full.
    pub fn is_full(&self) -> bool {
        self.kept.len() >= MAX_REPORTED_ERRORS
    }

    /// Orders kept errors by file order of first appearance, then line and column, so that
    /// errors found in a later pass (duplicates) read in file order with the rest.
    pub fn sort(&mut self) {
        let mut files: Vec<String> = Vec::new();
        for error in &self.kept {
            if !files.contains(&error.file) {
                files.push(error.file.clone());
            }
        }
        self.kept
            .sort_by_key(|e| (files.iter().position(|f| *f == e.file), e.line, e.column));
    }
}

impl fmt::Display for ErrorList {
    /// One error per line, then `... and N more errors` when some were not kept.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for error in &self.kept {
            writeln!(f, "{error}")?;
        }
        if self.total > self.kept.len() {
            writeln!(f, "... and {} more errors", self.total - self.kept.len())?;
        }
        Ok(())
    }
}

impl std::error::Error for ErrorList {}

/// A column the reader knows: its header name and whether it must be present.
#[derive(Debug, Clone, Copy)]
pub struct ColumnSpec {
    pub name: &'static str,
    pub required: bool,
}

/// Where each known column sits in one file, found from its header row.
#[derive(Debug, Clone)]
pub struct Columns {
    /// For each [`ColumnSpec`] in the order given, its 0-based field index, if present.
    index: Vec<Option<usize>>,
}

impl Columns {
    /// Matches a header row against `specs` (case-insensitive, any order, surrounding spaces
    /// and a UTF-8 byte-order mark ignored). Missing required and repeated columns are errors;
    /// unknown ones are returned as warnings.
    pub fn from_header(
        file: &str,
        header: &csv::ByteRecord,
        specs: &[ColumnSpec],
        errors: &mut ErrorList,
        warnings: &mut Vec<String>,
    ) -> Columns {
        let mut index = vec![None; specs.len()];
        for (field_index, raw) in header.iter().enumerate() {
            let column = field_index as u64 + 1;
            let Ok(name) = std::str::from_utf8(raw) else {
                errors.add(file, 1, column, "header is not valid UTF-8");
                continue;
            };
            let name = name.trim_start_matches('\u{feff}').trim();
            match specs.iter().position(|s| s.name.eq_ignore_ascii_case(name)) {
                Some(spec) if index[spec].is_some() => errors.add(
                    file,
                    1,
                    column,
                    format!(
                        "column \"{}\" appears twice in the header",
                        specs[spec].name
                    ),
                ),
                Some(spec) => index[spec] = Some(field_index),
                None => warnings.push(format!(
                    "{file}:1:{column}: unknown column \"{name}\" is ignored"
                )),
            }
        }
        for (spec, found) in specs.iter().zip(&index) {
            if spec.required && found.is_none() {
                errors.add(
                    file,
                    1,
                    1,
                    format!("missing required column \"{}\" in the header", spec.name),
                );
            }
        }
        Columns { index }
    }

    /// The 0-based field index of spec number `spec`, if the file has that column.
    pub fn position(&self, spec: usize) -> Option<usize> {
        self.index[spec]
    }

    /// Spec number `spec`'s value in `record`, trimmed of surrounding ASCII spaces (an absent
    /// column reads as empty), and the 1-based column number to name in an error.
    #[inline]
    pub fn field<'r>(&self, record: &'r csv::ByteRecord, spec: usize) -> (&'r [u8], u64) {
        match self.index[spec] {
            Some(i) => (record.get(i).unwrap_or(&[]).trim_ascii(), i as u64 + 1),
            None => (&[], 1),
        }
    }
}

/// A CSV reader configured the way every Ratel input is read: a header row, RFC 4180
/// quoting, and rows of any length (checked by us, with a better message than the crate's).
/// Fields are trimmed when read through [`Columns::field`], not here: the crate's trimming
/// rebuilds every record.
pub fn csv_reader<R: std::io::Read>(input: R) -> csv::Reader<R> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(1 << 16)
        .from_reader(input)
}

/// Records read ahead per batch by [`read_records_ahead`].
const BATCH_RECORDS: usize = 4096;

/// What the read-ahead thread hands over: a batch of records, or the error that stopped or
/// interrupted reading (with the batch read before it).
pub enum ReadAhead {
    Batch {
        records: Vec<csv::ByteRecord>,
        len: usize,
        bytes_read: u64,
    },
    Error(csv::Error),
}

impl std::fmt::Debug for ReadAhead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadAhead::Batch { len, .. } => write!(f, "Batch({len})"),
            ReadAhead::Error(error) => write!(f, "Error({error})"),
        }
    }
}

/// Tokenises the rest of `reader` on a second thread while `consume` validates what was
/// read, batch by batch: CSV tokenising and field validation cost about the same, so two
/// cores read a deck nearly twice as fast. Batches are recycled, so memory stays flat.
/// `consume` gets each batch and returns it for reuse.
pub fn read_records_ahead<R: std::io::Read + Send>(
    mut reader: csv::Reader<R>,
    mut consume: impl FnMut(&ReadAhead),
) {
    let (batch_tx, batch_rx) = std::sync::mpsc::sync_channel::<ReadAhead>(4);
    let (spare_tx, spare_rx) = std::sync::mpsc::channel::<Vec<csv::ByteRecord>>();
    std::thread::scope(|scope| {
        scope.spawn(move || loop {
            let mut records = spare_rx
                .try_recv()
                .unwrap_or_else(|_| vec![csv::ByteRecord::new(); BATCH_RECORDS]);
            let mut len = 0;
            let mut stop = None;
            while len < records.len() {
                match reader.read_byte_record(&mut records[len]) {
                    Ok(true) => len += 1,
                    Ok(false) => {
                        stop = Some(None);
                        break;
                    }
                    Err(error) => {
                        stop = Some(Some(error));
                        break;
                    }
                }
            }
            let bytes_read = reader.position().byte();
            if batch_tx
                .send(ReadAhead::Batch {
                    records,
                    len,
                    bytes_read,
                })
                .is_err()
            {
                return;
            }
            match stop {
                None => {}
                Some(None) => return,
                Some(Some(error)) => {
                    // Invalid UTF-8 is reported by the byte reader only for string records;
                    // anything else (I/O) ends the file.
                    let fatal = !matches!(error.kind(), csv::ErrorKind::Utf8 { .. });
                    if batch_tx.send(ReadAhead::Error(error)).is_err() || fatal {
                        return;
                    }
                }
            }
        });
        for item in batch_rx {
            consume(&item);
            if let ReadAhead::Batch { records, .. } = item {
                let _ = spare_tx.send(records);
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPECS: [ColumnSpec; 2] = [
        ColumnSpec {
            name: "prefix",
            required: true,
        },
        ColumnSpec {
            name: "rate",
            required: false,
        },
    ];

    #[test]
    fn header_matches_names_case_insensitively_in_any_order() {
        let header = csv::ByteRecord::from(vec!["\u{feff}Rate", " PREFIX ", "extra"]);
        let (mut errors, mut warnings) = (ErrorList::new(), Vec::new());
        let columns = Columns::from_header("t.csv", &header, &SPECS, &mut errors, &mut warnings);
        assert!(errors.is_empty());
        assert_eq!(columns.position(0), Some(1));
        assert_eq!(columns.position(1), Some(0));
        assert_eq!(
            warnings,
            vec!["t.csv:1:3: unknown column \"extra\" is ignored"]
        );
    }

    #[test]
    fn missing_required_and_repeated_columns_are_errors() {
        let header = csv::ByteRecord::from(vec!["rate", "rate"]);
        let (mut errors, mut warnings) = (ErrorList::new(), Vec::new());
        Columns::from_header("t.csv", &header, &SPECS, &mut errors, &mut warnings);
        let text = errors.to_string();
        assert!(
            text.contains("t.csv:1:2: column \"rate\" appears twice"),
            "{text}"
        );
        assert!(
            text.contains("t.csv:1:1: missing required column \"prefix\""),
            "{text}"
        );
    }

    #[test]
    fn error_list_keeps_a_hundred_then_counts() {
        let mut errors = ErrorList::new();
        for line in 0..250 {
            errors.add("f.csv", line + 2, 1, "bad");
        }
        assert_eq!(errors.kept().len(), MAX_REPORTED_ERRORS);
        assert_eq!(errors.total(), 250);
        assert!(errors.to_string().ends_with("... and 150 more errors\n"));
    }

    #[test]
    fn sort_orders_by_file_then_line() {
        let mut errors = ErrorList::new();
        errors.add("a.csv", 9, 1, "x");
        errors.add("b.csv", 2, 1, "y");
        errors.add("a.csv", 3, 2, "z");
        errors.sort();
        let lines: Vec<_> = errors
            .kept()
            .iter()
            .map(|e| (e.file.as_str(), e.line))
            .collect();
        assert_eq!(lines, vec![("a.csv", 3), ("a.csv", 9), ("b.csv", 2)]);
    }
}
