//! `tariff-rate`'s work: CDR rows in, the same rows priced out, in input order, on the
//! streaming [`pipeline`]. Each row is priced by the engine's one cost function
//! (`rating::rate_in_tariff`, then `cost::price`): the row of the tariff in force at the
//! call's `start`, its increment, minimum time and connection fee, the cost in the tariff's
//! currency to 6 places. Nothing is charged.

use std::sync::atomic::{AtomicU64, Ordering};

use ratel_engine::artifact::{Artifact, RateRecord};
use ratel_engine::cost::COST_PLACES;
use ratel_engine::lookup::NumberRules;
use ratel_engine::money::write_fixed;
use ratel_engine::rating::rate_in_tariff;
use ratel_engine::time::Timestamp;

use crate::pipeline::{self, ChunkWork, Tally};
use crate::tail_cache::{
    write_first_interval, write_record_columns, RateStyle, TailCache, FIRST_INTERVAL_COLUMN,
};

/// The columns `tariff-rate` appends to every row.
pub const RATED_COLUMNS: &str =
    "prefix,destination,rate,connection_fee,increment_s,min_time_s,rated_s,cost";

/// The columns `tariff-rate` appends to every row when pricing with `artifact`:
/// [`RATED_COLUMNS`], and `first_interval_s` after them when the artifact holds any first
/// interval (empty for a row without one).
pub fn rated_columns(artifact: &Artifact) -> String {
    if artifact.has_first_intervals() {
        format!("{RATED_COLUMNS},{FIRST_INTERVAL_COLUMN}")
    } else {
        RATED_COLUMNS.to_owned()
    }
}

/// The rated columns of a row that has no rate (or a bad field): all empty.
const UNRATED: &[u8] = b",,,,,,,,";

/// Where the CDR columns `tariff-rate` reads are, by position (0-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CdrColumns {
    pub number: usize,
    pub billsec: usize,
    /// `None`: every call is priced at the `--at` time.
    pub start: Option<usize>,
}

impl CdrColumns {
    /// Finds `number`, `billsec` and `start` in a header row (names trimmed, any case).
    /// `Err` names the missing required column.
    pub fn from_header(header: &[u8]) -> Result<CdrColumns, String> {
        let mut fields = Fields::default();
        fields.split(header);
        let find = |name: &str| {
            (0..fields.len()).find(|&i| {
                fields
                    .get(i)
                    .trim_ascii()
                    .eq_ignore_ascii_case(name.as_bytes())
            })
        };
        let required = |name: &str| find(name).ok_or(format!("the header has no {name} column"));
        Ok(CdrColumns {
            number: required("number")?,
            billsec: required("billsec")?,
            start: find("start"),
        })
    }
}

/// One CSV line's fields, unescaped (RFC 4180 quotes), reusing its buffers and its reader
/// (building a reader builds its state machine: microseconds a line) line after line.
#[derive(Debug)]
pub struct Fields {
    reader: csv_core::Reader,
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl Default for Fields {
    fn default() -> Fields {
        // `csv_core::Reader::default()` has no state machine built; `new` builds it.
        Fields {
            reader: csv_core::Reader::new(),
            bytes: Vec::new(),
            ends: Vec::new(),
        }
    }
}

impl Fields {
    /// Splits one line (no line end) into its fields.
    fn split(&mut self, line: &[u8]) {
        // Without a quote, RFC 4180 fields are the text between commas: taken as they are
        // (most CDR files never quote); a line with a quote (or a stray carriage return, which
        // the reader takes for a line end) goes through the CSV reader.
        if memchr::memchr2(b'"', b'\r', line).is_some() {
            return self.split_quoted(line);
        }
        // As the reader lays fields out: their bytes end to end, and where each ends.
        self.bytes.clear();
        self.ends.clear();
        if line.is_empty() {
            return;
        }
        for field in line.split(|&b| b == b',') {
            self.bytes.extend_from_slice(field);
            self.ends.push(self.bytes.len());
        }
    }

    /// [`Fields::split`] through the CSV reader: quotes, doubled quotes, commas in quotes.
    fn split_quoted(&mut self, line: &[u8]) {
        use csv_core::ReadRecordResult;
        let reader = &mut self.reader;
        reader.reset();
        self.bytes.clear();
        self.bytes.resize(line.len() + 1, 0);
        self.ends.clear();
        self.ends.resize(line.len() + 2, 0);
        let (mut input, mut written, mut fields) = (line, 0, 0);
        loop {
            let (result, read, out, ends) =
                reader.read_record(input, &mut self.bytes[written..], &mut self.ends[fields..]);
            // Field ends count from the record's start, across calls.
            input = &input[read..];
            written += out;
            fields += ends;
            match result {
                // The line is read; the empty input of the next call ends the record.
                ReadRecordResult::InputEmpty => {}
                // Buffers sized to the line never run out; the other results end it.
                ReadRecordResult::Record
                | ReadRecordResult::End
                | ReadRecordResult::OutputFull
                | ReadRecordResult::OutputEndsFull => break,
            }
        }
        self.ends.truncate(fields);
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    /// Field `i`, or empty past the last.
    fn get(&self, i: usize) -> &[u8] {
        match self.ends.get(i) {
            None => &[],
            Some(&end) => {
                let start = if i == 0 { 0 } else { self.ends[i - 1] };
                &self.bytes[start..end]
            }
        }
    }
}

/// What `tariff-rate` prices CDRs with.
#[derive(Debug)]
pub struct RateJob<'a> {
    pub artifact: &'a Artifact,
    /// The tariff's id in `artifact`.
    pub tariff: usize,
    /// The time of a call without a `start` (column absent or empty).
    pub at: Timestamp,
    pub columns: CdrColumns,
    /// How a number becomes the digits matched (a number too short is without a rate).
    pub rules: &'a NumberRules,
    /// The input's name in error lines (`stdin` for standard input).
    pub file: &'a str,
    /// Rows with a bad field so far (the exit status is 1 when any).
    pub bad_rows: AtomicU64,
    /// Rows priced and rows without a rate so far, added a chunk at a time
    /// ([`RateJob::summary`]).
    pub counts: Tally<2>,
}

/// What became of one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Rated,
    /// No rate for the number at the call's start.
    Unrated,
    /// A bad field (reported on the notes).
    Bad,
}

/// The counts of a `tariff-rate` run: rows read (blank lines aside), and of them rows
/// priced, rows without a rate and rows with a bad field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateSummary {
    pub rows: u64,
    pub rated: u64,
    pub unrated: u64,
    pub bad: u64,
}

impl std::fmt::Display for RateSummary {
    /// `3 rows: 1 rated, 1 unrated (no rate), 1 bad`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} rows: {} rated, {} unrated (no rate), {} bad",
            self.rows, self.rated, self.unrated, self.bad
        )
    }
}

impl RateJob<'_> {
    /// The counts of the run so far (all of it once the pipeline has returned).
    pub fn summary(&self) -> RateSummary {
        let [rated, unrated] = self.counts.get();
        let bad = self.bad_rows.load(Ordering::Relaxed);
        RateSummary {
            rows: rated + unrated + bad,
            rated,
            unrated,
            bad,
        }
    }

    /// Appends one row: the line as read, then its rated columns (empty for a miss or a bad
    /// field, which is also reported on `notes` as `file:line:column: message`).
    fn rate_line(
        &self,
        line: &[u8],
        number: u64,
        out: &mut Vec<u8>,
        notes: &mut Vec<u8>,
        RateScratch { fields, tails }: &mut RateScratch,
    ) -> Outcome {
        fields.split(line);
        out.extend_from_slice(line);
        let columns = self.columns;
        let mut bad = |column: usize, message: String| {
            self.bad_rows.fetch_add(1, Ordering::Relaxed);
            notes.extend_from_slice(
                format!("{}:{number}:{}: {message}\n", self.file, column + 1).as_bytes(),
            );
        };
        let billsec_text = fields.get(columns.billsec).trim_ascii();
        let billsec = std::str::from_utf8(billsec_text)
            .ok()
            .and_then(|t| t.parse::<i64>().ok());
        let Some(billsec) = billsec else {
            bad(
                columns.billsec,
                format!(
                    "billsec {:?} is not a whole number of seconds",
                    String::from_utf8_lossy(billsec_text)
                ),
            );
            self.unrated(out);
            return Outcome::Bad;
        };
        let start_text = columns
            .start
            .map_or(&[][..], |i| fields.get(i).trim_ascii());
        let start = if start_text.is_empty() {
            self.at
        } else {
            match Timestamp::parse_bytes(start_text) {
                Ok(start) => start,
                Err(error) => {
                    bad(
                        columns.start.unwrap_or_default(),
                        format!("start {:?} {error}", String::from_utf8_lossy(start_text)),
                    );
                    self.unrated(out);
                    return Outcome::Bad;
                }
            }
        };
        let Some(rating) = rate_in_tariff(
            self.artifact,
            self.tariff,
            self.rules,
            fields.get(columns.number),
            start,
        ) else {
            self.unrated(out);
            return Outcome::Unrated;
        };
        let price = match rating.price(billsec) {
            Ok(price) => price,
            Err(error) => {
                bad(columns.billsec, format!("billsec {billsec}: {error}"));
                self.unrated(out);
                return Outcome::Bad;
            }
        };
        out.push(b',');
        out.extend_from_slice(rating.prefix());
        match tails.tail(self.artifact, rating.found.record_index, write_terms_tail) {
            Some(tail) => out.extend_from_slice(tail),
            None => write_terms_tail(&rating.found.record, out),
        }
        out.extend_from_slice(itoa::Buffer::new().format(price.rated_s).as_bytes());
        out.push(b',');
        write_fixed(out, price.cost, COST_PLACES);
        if self.artifact.has_first_intervals() {
            write_first_interval(out, &rating.found.record);
        }
        out.push(b'\n');
        Outcome::Rated
    }

    /// Ends a row without a price: every rated column empty.
    fn unrated(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(UNRATED);
        if self.artifact.has_first_intervals() {
            out.push(b',');
        }
        out.push(b'\n');
    }
}

/// The rated columns a record decides (`,destination,rate,connection_fee,increment_s,
/// min_time_s`), rates exactly as the deck wrote them, and the comma before `rated_s`.
fn write_terms_tail(rate: &RateRecord<'_>, out: &mut Vec<u8>) {
    write_record_columns(out, rate, RateStyle::Exact);
    out.push(b',');
}

/// A `tariff-rate` worker's buffers and caches, kept from chunk to chunk.
#[derive(Debug, Default)]
pub struct RateScratch {
    fields: Fields,
    tails: TailCache,
}

impl ChunkWork for RateJob<'_> {
    type State = RateScratch;

    fn process(
        &self,
        chunk: &[u8],
        first_line: u64,
        out: &mut Vec<u8>,
        notes: &mut Vec<u8>,
        scratch: &mut RateScratch,
    ) {
        // [rated, unrated] in this chunk: added to the run's counts once, at its end.
        let mut counts = [0u64; 2];
        for (line, number) in pipeline::lines(chunk).zip(first_line..) {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            // A blank line is no record: nothing to price, nothing written.
            if !line.trim_ascii().is_empty() {
                match self.rate_line(line, number, out, notes, scratch) {
                    Outcome::Rated => counts[0] += 1,
                    Outcome::Unrated => counts[1] += 1,
                    // Counted as it is reported (`bad_rows`).
                    Outcome::Bad => {}
                }
            }
        }
        self.counts.add(counts);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The quote-free fast path splits as the CSV reader does.
        #[test]
        fn unquoted_lines_split_as_the_csv_reader_splits_them(line in "[a-c0-9 ,;\t\r]{0,40}") {
            let (mut fast, mut reader) = (Fields::default(), Fields::default());
            fast.split(line.as_bytes());
            reader.split_quoted(line.as_bytes());
            let fields = |f: &Fields| (0..f.len()).map(|i| f.get(i).to_vec()).collect::<Vec<_>>();
            prop_assert_eq!(fields(&fast), fields(&reader));
        }
    }

    #[test]
    fn fields_are_split_with_quotes_and_found_by_header_name() {
        let mut fields = Fields::default();
        fields.split(br#"a,"b, ""c""",,d"#);
        let all: Vec<&[u8]> = (0..fields.len()).map(|i| fields.get(i)).collect();
        assert_eq!(all, [&b"a"[..], b"b, \"c\"", b"", b"d"]);
        fields.split(b"");
        assert_eq!((fields.len(), fields.get(0)), (0, &b""[..]));
        assert_eq!(
            CdrColumns::from_header(b"id, Number ,BillSec,start,x"),
            Ok(CdrColumns {
                number: 1,
                billsec: 2,
                start: Some(3)
            })
        );
        assert_eq!(
            CdrColumns::from_header(b"number,duration"),
            Err("the header has no billsec column".into())
        );
    }
}
