//! Records, one per physical line: the decoded text is cut at each LF (a CR before it is
//! dropped), and each line is tokenised by `csv_core` on its own.
//!
//! No field of a Ratel input may span lines. Cutting first is what makes that rule cheap and
//! safe: a quote left open is reported at the line where it opened and the next line is read
//! afresh, instead of the quote swallowing the rest of the file into one field (which also
//! put the error at the wrong line and could grow one record to the size of the file). The
//! line number of every record is simply the count of LFs before it, in any encoding.

use std::io::{self, Read};

use super::decode::{Decode, TextEncoding};

/// Longest line read, in bytes of UTF-8; a longer one is an error and skipped.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// Bytes read per refill.
const BUFFER: usize = 1 << 16;

/// What separates fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delimiter {
    /// Chosen from the header line: whichever of `,` `;` tab `|` splits it into the most
    /// fields (quotes respected); `,` on a tie.
    Auto,
    Byte(u8),
}

impl Default for Delimiter {
    fn default() -> Delimiter {
        Delimiter::Byte(b',')
    }
}

/// The delimiters [`Delimiter::Auto`] chooses from, in order of preference on a tie.
const AUTO_CANDIDATES: [u8; 4] = [b',', b';', b'\t', b'|'];

impl std::str::FromStr for Delimiter {
    type Err = String;

    /// `,` `;` `|`, `tab` (or a tab character, or `\t`), or `auto`.
    fn from_str(text: &str) -> Result<Delimiter, String> {
        match text {
            "auto" => Ok(Delimiter::Auto),
            "," | ";" | "|" => Ok(Delimiter::Byte(text.as_bytes()[0])),
            "tab" | "\t" | "\\t" => Ok(Delimiter::Byte(b'\t')),
            other => Err(format!(
                "delimiter \"{other}\" is not one of: , ; tab | auto"
            )),
        }
    }
}

/// How a file is read: the encoding of its bytes and the delimiter of its fields. The default
/// (UTF-8, `,`) is how the account files are read; tariff decks have their own default
/// (`tariff::DeckFormat`), which finds the delimiter from the header line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CsvFormat {
    pub delimiter: Delimiter,
    pub encoding: TextEncoding,
}

/// One record: its fields and the physical line it is on.
#[derive(Debug, Clone)]
pub struct Record {
    line: u64,
    /// Field bytes, unescaped and back to back (a buffer: only `..ends[fields - 1]` is used).
    bytes: Vec<u8>,
    /// End of each field in `bytes` (a buffer: only `..fields` is used).
    ends: Vec<usize>,
    fields: usize,
}

impl Default for Record {
    fn default() -> Record {
        Record::new()
    }
}

impl Record {
    pub fn new() -> Record {
        Record {
            line: 0,
            bytes: vec![0; 64],
            ends: vec![0; 8],
            fields: 0,
        }
    }

    /// The 1-based physical line.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// How many fields the record has.
    pub fn len(&self) -> usize {
        self.fields
    }

    /// Whether the record has no field (never true of a record read from a file).
    pub fn is_empty(&self) -> bool {
        self.fields == 0
    }

    /// Field `index`, unescaped, untrimmed.
    #[inline]
    pub fn get(&self, index: usize) -> Option<&[u8]> {
        if index >= self.fields {
            return None;
        }
        let start = if index == 0 { 0 } else { self.ends[index - 1] };
        Some(&self.bytes[start..self.ends[index]])
    }

    /// Every field in order.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        (0..self.fields).filter_map(move |i| self.get(i))
    }

    /// Tokenises one line (without its line end) into this record. On a quote still open at
    /// the end of the line, returns the 1-based number of the field it opened, and `parser`
    /// is reset for the next line.
    /// `line` may end with its LF (`with_lf`), which saves the parser a call.
    fn tokenize(
        &mut self,
        parser: &mut csv_core::Reader,
        line: &[u8],
        with_lf: bool,
    ) -> Result<(), u64> {
        use csv_core::ReadRecordResult;
        // Unescaping only shrinks a field; one spare byte keeps the output non-empty for the
        // final call (csv_core reports a full output before looking at its input).
        if self.bytes.len() <= line.len() {
            self.bytes.resize(line.len() + 1, 0);
        }
        self.fields = 0;
        let mut written = 0;
        // The line, then the line end that closes the record: if the parser is still inside
        // a quoted field after that, the quote never closed on this line.
        let line_end: &[u8] = if with_lf { b"" } else { b"\n" };
        for input in [line, line_end] {
            if input.is_empty() {
                continue;
            }
            let mut read = 0;
            loop {
                if self.fields == self.ends.len() {
                    self.ends.resize(self.ends.len() * 2, 0);
                }
                let (result, nin, nout, nend) = parser.read_record(
                    &input[read..],
                    &mut self.bytes[written..],
                    &mut self.ends[self.fields..],
                );
                read += nin;
                written += nout;
                self.fields += nend;
                match result {
                    ReadRecordResult::Record | ReadRecordResult::End => return Ok(()),
                    ReadRecordResult::InputEmpty => break,
                    ReadRecordResult::OutputEndsFull => {}
                    ReadRecordResult::OutputFull => {
                        let grown = self.bytes.len() * 2;
                        self.bytes.resize(grown, 0);
                    }
                }
            }
        }
        parser.reset();
        Err(self.fields as u64 + 1)
    }
}

/// A problem found while cutting lines, at a 1-based line and column. `fatal` when reading
/// cannot go on (the input failed); otherwise the next line is read as usual.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    pub line: u64,
    pub column: u64,
    pub message: String,
    pub fatal: bool,
}

/// Reads records line by line from `R` in a [`CsvFormat`].
#[derive(Debug)]
pub struct LineReader<R> {
    input: Decode<R>,
    delimiter: Delimiter,
    parser: Option<csv_core::Reader>,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    /// Line number of the line that starts at `buf[start]`.
    line: u64,
    /// Inside a line longer than [`MAX_LINE_BYTES`], skipping to its end.
    skipping: bool,
}

impl<R: Read> LineReader<R> {
    pub fn new(input: R, format: CsvFormat) -> LineReader<R> {
        let parser = match format.delimiter {
            Delimiter::Byte(byte) => Some(parser(byte)),
            Delimiter::Auto => None,
        };
        LineReader {
            input: Decode::new(input, format.encoding),
            delimiter: format.delimiter,
            parser,
            buf: vec![0; BUFFER],
            start: 0,
            end: 0,
            eof: false,
            line: 1,
            skipping: false,
        }
    }

    /// Bytes read from the underlying input so far.
    pub fn bytes_read(&self) -> u64 {
        self.input.raw_bytes_read()
    }

    /// The delimiter in use: the one given, or the one chosen from the first line.
    pub fn delimiter(&self) -> Delimiter {
        self.delimiter
    }

    /// Reads the next non-blank line into `record`: `Ok(false)` at the end of the input.
    /// After a non-fatal error the next call goes on with the following line.
    pub fn read(&mut self, record: &mut Record) -> Result<bool, LineError> {
        loop {
            let Some((start, end, line, terminated)) = self.next_line()? else {
                return Ok(false);
            };
            let mut text = &self.buf[start..end];
            let mut with_lf = terminated;
            if let [rest @ .., b'\r'] = text {
                text = rest;
                with_lf = false;
            }
            if text.is_empty() {
                continue;
            }
            if with_lf {
                text = &self.buf[start..=end];
            }
            let parser = match &mut self.parser {
                Some(parser) => parser,
                None => {
                    let byte = choose_delimiter(&self.buf[start..end]);
                    self.delimiter = Delimiter::Byte(byte);
                    self.parser.insert(parser(byte))
                }
            };
            record.line = line;
            return match record.tokenize(parser, text, with_lf) {
                Ok(()) => Ok(true),
                Err(column) => Err(LineError {
                    line,
                    column,
                    message: "quote opened here is not closed on this line (a field may \
                              not span lines)"
                        .into(),
                    fatal: false,
                }),
            };
        }
    }

    /// The next whole line as a range of `buf` (without its LF), its number, and whether an
    /// LF follows it at `buf[end]` (every line but an unterminated last one).
    fn next_line(&mut self) -> Result<Option<(usize, usize, u64, bool)>, LineError> {
        loop {
            let window = &self.buf[self.start..self.end];
            if let Some(at) = memchr::memchr(b'\n', window) {
                let (start, end) = (self.start, self.start + at);
                let line = self.line;
                self.start = end + 1;
                self.line += 1;
                if std::mem::take(&mut self.skipping) {
                    continue;
                }
                if end - start > MAX_LINE_BYTES {
                    return Err(too_long(line));
                }
                return Ok(Some((start, end, line, true)));
            }
            if self.eof {
                if self.start == self.end || self.skipping {
                    return Ok(None);
                }
                let (start, end) = (self.start, self.end);
                self.start = self.end;
                return Ok(Some((start, end, self.line, false)));
            }
            self.fill()?;
        }
    }

    /// Makes room after the unread part of the current line and reads more into it.
    fn fill(&mut self) -> Result<(), LineError> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end > MAX_LINE_BYTES {
            self.end = 0;
            self.skipping = true;
            return Err(too_long(self.line));
        }
        if self.buf.len() - self.end < BUFFER / 2 {
            let grown = (self.buf.len() * 2).min(MAX_LINE_BYTES + BUFFER);
            self.buf.resize(grown, 0);
        }
        loop {
            match self.input.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let message = if e.kind() == io::ErrorKind::InvalidData {
                        e.to_string()
                    } else {
                        format!("cannot read file: {e}")
                    };
                    self.eof = true;
                    return Err(LineError {
                        line: self.line,
                        column: 1,
                        message,
                        fatal: true,
                    });
                }
            }
        }
    }
}

fn too_long(line: u64) -> LineError {
    LineError {
        line,
        column: 1,
        message: format!(
            "line is longer than {} MiB; skipped to its end",
            MAX_LINE_BYTES >> 20
        ),
        fatal: false,
    }
}

fn parser(delimiter: u8) -> csv_core::Reader {
    csv_core::ReaderBuilder::new()
        .delimiter(delimiter)
        .terminator(csv_core::Terminator::Any(b'\n'))
        .build()
}

impl Delimiter {
    /// The delimiter byte of a file whose first line is `first_line`: the one given, or for
    /// [`Delimiter::Auto`] the candidate that splits that line into the most fields.
    pub fn resolve(self, first_line: &[u8]) -> u8 {
        match self {
            Delimiter::Byte(byte) => byte,
            Delimiter::Auto => choose_delimiter(first_line),
        }
    }
}

/// The candidate that splits `line` into the most fields, quotes respected.
fn choose_delimiter(line: &[u8]) -> u8 {
    let mut record = Record::new();
    let mut best = (0, AUTO_CANDIDATES[0]);
    for candidate in AUTO_CANDIDATES {
        let fields = match record.tokenize(&mut parser(candidate), line, false) {
            Ok(()) => record.len(),
            Err(_) => 0,
        };
        if fields > best.0 {
            best = (fields, candidate);
        }
    }
    best.1
}

#[cfg(test)]
mod tests;
