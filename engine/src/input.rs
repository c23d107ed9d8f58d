//! What every input CSV shares: columns matched by header name, and errors that say
//! `file:line:column: message`, collected rather than stopping at the first.
//!
//! Tariffs use it now and the account files (users, cards, currencies) use it the same way,
//! so an operator sees one error style for every file Ratel reads.

use std::fmt;

use crate::money::Decimal;
use crate::time::Timestamp;

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
    /// Each spec's header name, for messages.
    names: Vec<&'static str>,
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
        Columns {
            index,
            names: specs.iter().map(|s| s.name).collect(),
        }
    }

    /// The 1-based column number of every spec (1 for a column the file lacks), for errors
    /// found after reading, such as duplicates and references to other files.
    pub fn numbers(&self) -> Vec<u64> {
        self.index
            .iter()
            .map(|i| i.map_or(1, |i| i as u64 + 1))
            .collect()
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

/// One record being validated: typed readers for its fields that record every problem as
/// `file:line:column: message` and remember whether any field failed, so a reader can check
/// all fields of a row and report them together.
#[derive(Debug)]
pub struct Row<'r, 'e> {
    file: &'r str,
    line: u64,
    columns: &'r Columns,
    record: &'r csv::ByteRecord,
    errors: &'e mut ErrorList,
    ok: bool,
}

impl<'r, 'e> Row<'r, 'e> {
    fn new(
        file: &'r str,
        line: u64,
        columns: &'r Columns,
        record: &'r csv::ByteRecord,
        errors: &'e mut ErrorList,
    ) -> Row<'r, 'e> {
        Row {
            file,
            line,
            columns,
            record,
            errors,
            ok: true,
        }
    }

    /// The physical line the record starts on.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// Whether every field read so far was valid.
    pub fn ok(&self) -> bool {
        self.ok
    }

    /// Records a problem with the field in `column`.
    pub fn fail(&mut self, column: u64, message: String) {
        self.errors.add(self.file, self.line, column, message);
        self.ok = false;
    }

    /// Records a problem with spec `spec`'s field.
    pub fn fail_field(&mut self, spec: usize, message: String) {
        let column = self.columns.field(self.record, spec).1;
        self.fail(column, message);
    }

    /// Spec `spec`'s trimmed bytes and column.
    pub fn raw(&self, spec: usize) -> (&'r [u8], u64) {
        self.columns.field(self.record, spec)
    }

    fn name(&self, spec: usize) -> &'static str {
        self.columns.names[spec]
    }

    /// The parsed value, or an error `NAME "TEXT" REASON` at `column` and `None`.
    fn accept<T, E: std::fmt::Display>(
        &mut self,
        spec: usize,
        column: u64,
        text: &[u8],
        parsed: Result<T, E>,
    ) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(error) => {
                let message = format!(
                    "{} \"{}\" {error}",
                    self.name(spec),
                    String::from_utf8_lossy(text)
                );
                self.fail(column, message);
                None
            }
        }
    }

    /// A decimal (`-?[0-9]+(\.[0-9]+)?`, a minus only when `allow_negative`); an empty field
    /// is `default`, or an error when there is none.
    pub fn decimal(
        &mut self,
        spec: usize,
        allow_negative: bool,
        default: Option<Decimal>,
    ) -> Option<Decimal> {
        let (text, column) = self.raw(spec);
        if let (true, Some(value)) = (text.is_empty(), default) {
            return Some(value);
        }
        let parsed = Decimal::parse_bytes(text, allow_negative);
        self.accept(spec, column, text, parsed)
    }

    /// A whole number from `min` to `max`; an empty field is `default`, or an error.
    pub fn whole(&mut self, spec: usize, default: Option<u64>, min: u64, max: u64) -> Option<u64> {
        let (text, column) = self.raw(spec);
        if let (true, Some(value)) = (text.is_empty(), default) {
            return Some(value);
        }
        let value = std::str::from_utf8(text)
            .ok()
            .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
            .map(|t| t.parse::<u64>().unwrap_or(u64::MAX));
        match value {
            Some(value) if (min..=max).contains(&value) => Some(value),
            Some(value) if value > max => {
                let message = format!(
                    "{} \"{}\" must be a whole number from {min} to {max}",
                    self.name(spec),
                    String::from_utf8_lossy(text)
                );
                self.fail(column, message);
                None
            }
            _ => {
                let message = format!(
                    "{} \"{}\" must be a whole number of at least {min}",
                    self.name(spec),
                    String::from_utf8_lossy(text)
                );
                self.fail(column, message);
                None
            }
        }
    }

    /// UTF-8 text of at most `max_bytes` (possibly empty).
    pub fn text(&mut self, spec: usize, max_bytes: usize) -> Option<&'r str> {
        let (bytes, column) = self.raw(spec);
        match std::str::from_utf8(bytes) {
            Ok(text) if text.len() <= max_bytes => Some(text),
            Ok(text) => {
                let message = format!(
                    "{} is {} bytes long; at most {max_bytes} are allowed",
                    self.name(spec),
                    text.len()
                );
                self.fail(column, message);
                None
            }
            Err(error) => {
                let message = format!(
                    "{} is not valid UTF-8 (invalid byte at offset {})",
                    self.name(spec),
                    error.valid_up_to()
                );
                self.fail(column, message);
                None
            }
        }
    }

    /// Non-empty text of at most `max_bytes`.
    pub fn required_text(&mut self, spec: usize, max_bytes: usize) -> Option<&'r str> {
        let text = self.text(spec, max_bytes)?;
        if text.is_empty() {
            let message = format!("{} is empty but required", self.name(spec));
            self.fail_field(spec, message);
            return None;
        }
        Some(text)
    }

    /// An optional `YYYY-MM-DD[ HH:MM:SS]` date (UTC): `Some(None)` when empty.
    pub fn date(&mut self, spec: usize) -> Option<Option<Timestamp>> {
        let (text, column) = self.raw(spec);
        if text.is_empty() {
            return Some(None);
        }
        let parsed = Timestamp::parse_bytes(text);
        self.accept(spec, column, text, parsed).map(Some)
    }

    /// A `0`/`1` flag; empty is `false`.
    pub fn flag(&mut self, spec: usize) -> Option<bool> {
        match self.raw(spec).0 {
            b"" | b"0" => Some(false),
            b"1" => Some(true),
            other => {
                let message = format!(
                    "{} \"{}\" must be 0 or 1",
                    self.name(spec),
                    String::from_utf8_lossy(other)
                );
                self.fail_field(spec, message);
                None
            }
        }
    }
}

/// Reads a whole CSV file: matches its header against `specs` (errors and warnings
/// recorded), then hands each record of the header's width to `on_row` as a [`Row`]; a record
/// of another width is an error. Records are tokenised on a second thread
/// ([`read_records_ahead`]). `on_progress` gets the bytes read so far, about every MiB.
/// Returns the columns found, or `None` when the header was unusable.
pub fn read_csv<R: std::io::Read + Send>(
    input: R,
    file: &str,
    specs: &[ColumnSpec],
    errors: &mut ErrorList,
    warnings: &mut Vec<String>,
    mut on_row: impl FnMut(&mut Row<'_, '_>),
    mut on_progress: impl FnMut(u64),
) -> Option<Columns> {
    let mut reader = csv_reader(input);
    let mut header = csv::ByteRecord::new();
    match read_record(&mut reader, &mut header) {
        Ok(true) => {}
        Ok(false) => {
            let required: Vec<String> = specs
                .iter()
                .filter(|s| s.required)
                .map(|s| format!("\"{}\"", s.name))
                .collect();
            errors.add(
                file,
                1,
                1,
                format!(
                    "file is empty: expected a header row with at least {}",
                    required.join(" and ")
                ),
            );
            return None;
        }
        Err(error) => {
            report_csv_error(file, &error, errors);
            return None;
        }
    }
    let before = errors.total();
    let columns = Columns::from_header(file, &header, specs, errors, warnings);
    if errors.total() > before {
        return None;
    }
    let width = header.len();
    let mut last_progress = 0u64;
    let mut total = 0u64;
    read_records_ahead(reader, |item| {
        let (records, len, bytes_read) = match item {
            ReadAhead::Batch {
                records,
                len,
                bytes_read,
            } => (records, *len, *bytes_read),
            ReadAhead::Error(error) => {
                report_csv_error(file, error, errors);
                return;
            }
        };
        for record in &records[..len] {
            let line = record.position().map_or(0, csv::Position::line);
            if record.len() != width {
                errors.add(
                    file,
                    line,
                    1,
                    format!("row has {} fields but the header has {width}", record.len()),
                );
                continue;
            }
            on_row(&mut Row::new(file, line, &columns, record, errors));
        }
        if bytes_read - last_progress >= 1 << 20 {
            last_progress = bytes_read;
            on_progress(bytes_read);
        }
        total = bytes_read;
    });
    on_progress(total);
    Some(columns)
}

/// Turns a `csv` crate error into a located input error.
fn report_csv_error(file: &str, error: &csv::Error, errors: &mut ErrorList) {
    let line = error.position().map_or(1, csv::Position::line);
    let message = match error.kind() {
        csv::ErrorKind::Io(io) => format!("cannot read file: {io}"),
        other => format!("malformed CSV: {other:?}"),
    };
    errors.add(file, line, 1, message);
}

/// A CSV reader configured the way every Ratel input is read: a header row, RFC 4180
/// quoting, and rows of any length (checked by us, with a better message than the crate's).
/// Fields are trimmed when read through [`Columns::field`], not here: the crate's trimming
/// rebuilds every record. Input is read through [`CrlfToLf`], so that line numbers in errors
/// are right for files with Windows line endings too.
pub fn csv_reader<R: std::io::Read>(input: R) -> csv::Reader<CrlfToLf<R>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(1 << 16)
        .from_reader(CrlfToLf::new(input))
}

/// Reads `R` with every CR LF pair turned into a single LF, and remembers enough about what
/// it has passed on to tell whether a record ended in a line break.
///
/// The `csv` crate parses CR LF files correctly but counts their lines wrong (upstream issue
/// BurntSushi/rust-csv#395), and every Ratel error names a line. Normalising line ends first
/// keeps the counts right. A CR LF inside a quoted field becomes LF too; a lone CR is kept.
#[derive(Debug)]
pub struct CrlfToLf<R> {
    inner: R,
    buf: Box<[u8]>,
    pos: usize,
    len: usize,
    eof: bool,
    /// Bytes handed out so far, and whether the last of them was LF.
    passed: u64,
    last_was_lf: bool,
}

impl<R: std::io::Read> CrlfToLf<R> {
    pub fn new(inner: R) -> CrlfToLf<R> {
        CrlfToLf {
            inner,
            buf: vec![0; 1 << 16].into_boxed_slice(),
            pos: 0,
            len: 0,
            eof: false,
            passed: 0,
            last_was_lf: false,
        }
    }

    /// Whether the normalised input has ended at byte `offset` without a final line break:
    /// then the record that ends there had no terminator.
    fn ends_unterminated_at(&self, offset: u64) -> bool {
        self.eof && self.pos == self.len && offset >= self.passed && !self.last_was_lf
    }

    /// Moves unread bytes to the front and reads more after them.
    fn refill(&mut self) -> std::io::Result<()> {
        self.buf.copy_within(self.pos..self.len, 0);
        self.len -= self.pos;
        self.pos = 0;
        loop {
            match self.inner.read(&mut self.buf[self.len..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.len += n;
                    return Ok(());
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

impl<R: std::io::Read> std::io::Read for CrlfToLf<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let mut written = 0;
        while written < out.len() {
            // A CR as the last unread byte cannot be judged until the next byte is known.
            let undecided = self.len - self.pos == 1 && self.buf[self.pos] == b'\r' && !self.eof;
            if self.pos == self.len || undecided {
                if written > 0 || self.eof {
                    break;
                }
                self.refill()?;
                continue;
            }
            let window = &self.buf[self.pos..self.len];
            let span = memchr::memchr(b'\r', window).unwrap_or(window.len());
            let take = span.min(out.len() - written);
            out[written..written + take].copy_from_slice(&window[..take]);
            written += take;
            self.pos += take;
            if take < span || self.pos == self.len || written == out.len() {
                continue;
            }
            // buf[pos] is a CR. With its next byte not read yet, the loop's top decides.
            if self.pos + 1 == self.len && !self.eof {
                continue;
            }
            // Its next byte is known (or the input is over): drop it before LF.
            let before_lf = self.pos + 1 < self.len && self.buf[self.pos + 1] == b'\n';
            if !before_lf {
                out[written] = b'\r';
                written += 1;
            }
            self.pos += 1;
        }
        if written > 0 {
            self.passed += written as u64;
            self.last_was_lf = out[written - 1] == b'\n';
        }
        Ok(written)
    }
}

/// Sets `record`'s line to the physical line where it starts. The `csv` crate stamps a record
/// with the position before any blank lines it skipped, so the line is worked out from where
/// the record ends instead: the reader's line after it, less the line breaks inside its
/// quoted fields, less its own terminating line break when it had one.
fn fix_record_line<R: std::io::Read>(
    reader: &csv::Reader<CrlfToLf<R>>,
    record: &mut csv::ByteRecord,
) {
    let after = reader.position();
    let inside = memchr::memchr_iter(b'\n', record.as_slice()).count() as u64;
    let terminated = !reader.get_ref().ends_unterminated_at(after.byte());
    let line = after
        .line()
        .saturating_sub(inside + u64::from(terminated))
        .max(1);
    let mut position = record
        .position()
        .cloned()
        .unwrap_or_else(csv::Position::new);
    position.set_line(line);
    record.set_position(Some(position));
}

/// Reads the next record with its line set right (see [`fix_record_line`]).
pub fn read_record<R: std::io::Read>(
    reader: &mut csv::Reader<CrlfToLf<R>>,
    record: &mut csv::ByteRecord,
) -> csv::Result<bool> {
    let more = reader.read_byte_record(record)?;
    if more {
        fix_record_line(reader, record);
    }
    Ok(more)
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
    mut reader: csv::Reader<CrlfToLf<R>>,
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
                match read_record(&mut reader, &mut records[len]) {
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

    /// A reader that hands out at most `chunk` bytes a call, to hit every CR boundary.
    struct Trickle<'a> {
        data: &'a [u8],
        chunk: usize,
    }

    impl std::io::Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.chunk.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    proptest::proptest! {
        #[test]
        fn crlf_to_lf_equals_a_plain_replace(
            text in "[ab\r\n]{0,64}",
            chunk in 1usize..8,
            buffer in 1usize..9,
        ) {
            use std::io::Read;
            let mut reader = CrlfToLf::new(Trickle { data: text.as_bytes(), chunk });
            let mut out = Vec::new();
            let mut buf = vec![0u8; buffer];
            loop {
                let n = reader.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                out.extend_from_slice(&buf[..n]);
            }
            proptest::prop_assert_eq!(String::from_utf8(out).unwrap(), text.replace("\r\n", "\n"));
        }
    }

    fn record_lines(input: &[u8]) -> Vec<u64> {
        let mut reader = csv_reader(input);
        let mut lines = Vec::new();
        let mut record = csv::ByteRecord::new();
        while read_record(&mut reader, &mut record).unwrap() {
            lines.push(record.position().unwrap().line());
        }
        lines
    }

    #[test]
    fn records_report_the_line_they_start_on_whatever_the_line_ends() {
        for ending in ["\n", "\r\n"] {
            let text = "h,x|1,1||2,x|\"3|\",y|||4,z".replace('|', ending);
            assert_eq!(
                record_lines(text.as_bytes()),
                vec![1, 2, 4, 5, 9],
                "{ending:?}"
            );
            let text = format!("{text}{ending}");
            assert_eq!(
                record_lines(text.as_bytes()),
                vec![1, 2, 4, 5, 9],
                "{ending:?} terminated"
            );
        }
        assert_eq!(record_lines(b"\n\nh\n\"a\nb\""), vec![3, 4]);
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
