//! `tariff-rate`'s work: CDR rows in, the same rows priced out, in input order, on the
//! streaming [`pipeline`](crate::pipeline). Each row is priced by the engine's one cost function
//! (`rating::rate_in_tariff`, then `cost::price`): the row of the tariff in force at the
//! call's `start`, its increment, minimum time and connection fee, the cost in the tariff's
//! currency to 6 places. Nothing is charged. Where the fields are is [`cdr_columns`]'s
//! business; a row not answered (Asterisk's disposition, FreeSWITCH's answer time) passes
//! through unpriced.

use std::sync::atomic::{AtomicU64, Ordering};

use ratel_engine::artifact::{Artifact, RateRecord};
use ratel_engine::cost::COST_PLACES;
use ratel_engine::lookup::NumberRules;
use ratel_engine::money::write_fixed;
use ratel_engine::rating::rate_in_tariff;
use ratel_engine::time::{DateFormat, OffsetMemo, Timestamp, Zone};

use crate::cdr_columns::CdrColumns;
use crate::csv_line::CsvLine;
use crate::pipeline::{ChunkLines, ChunkWork, Notes, Tally};
use crate::tail_cache::{
    write_first_interval, write_record_columns, RateStyle, TailCache, FIRST_INTERVAL_COLUMN,
};

/// The columns `tariff-rate` appends to every row.
pub const RATED_COLUMNS: &str =
    "prefix,destination,rate,connection_fee,increment_s,min_time_s,rated_s,cost";

/// The columns `tariff-rate` appends to every row when pricing with `artifact`:
/// [`RATED_COLUMNS`], and `first_interval_s` after them when the artifact holds any first
/// interval (empty for a row without one).
/// (the names split at `delimiter`, the input's).
pub fn rated_columns(artifact: &Artifact, delimiter: u8) -> String {
    let names = if artifact.has_first_intervals() {
        format!("{RATED_COLUMNS},{FIRST_INTERVAL_COLUMN}")
    } else {
        RATED_COLUMNS.to_owned()
    };
    names.replace(',', &char::from(delimiter).to_string())
}

/// How many columns [`RATED_COLUMNS`] names.
const RATED_COUNT: usize = 8;

/// What `tariff-rate` prices CDRs with.
#[derive(Debug)]
pub struct RateJob<'a> {
    pub artifact: &'a Artifact,
    /// The tariff's id in `artifact`.
    pub tariff: usize,
    /// The time of a call without a `start` (column absent or empty).
    pub at: Timestamp,
    pub columns: CdrColumns,
    /// The field delimiter, of the input and of the columns added.
    pub delimiter: u8,
    /// How `start` is written (`--date-format`).
    pub dates: &'a DateFormat,
    /// The zone of a `start` written without one (`--timezone`).
    pub zone: &'a Zone,
    /// How a number becomes the digits matched (a number too short is without a rate).
    pub rules: &'a NumberRules,
    /// The input's name in error lines (`stdin` for standard input).
    pub file: &'a str,
    /// Rows with a bad field so far (the exit status is 1 when any).
    pub bad_rows: AtomicU64,
    /// Rows priced, rows without a rate and rows not answered so far, added a chunk at a
    /// time ([`RateJob::summary`]).
    pub counts: Tally<3>,
}

/// What became of one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Rated,
    /// No rate for the number at the call's start.
    Unrated,
    /// Not answered: passed through unpriced.
    NotAnswered,
    /// A bad field (reported on the notes).
    Bad,
}

/// The counts of a `tariff-rate` run: rows read (blank lines aside), and of them rows
/// priced, rows without a rate, rows not answered and rows with a bad field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateSummary {
    pub rows: u64,
    pub rated: u64,
    pub unrated: u64,
    pub not_answered: u64,
    pub bad: u64,
    /// Whether the CDRs say which calls were answered (a disposition or answer column): only
    /// then is `not_answered` part of the summary line.
    pub tells_answered: bool,
}

impl std::fmt::Display for RateSummary {
    /// `4 rows: 1 rated, 1 unrated (no rate), 1 not answered, 1 bad` (`3 rows: 1 rated,
    /// 1 unrated (no rate), 1 bad` when the CDRs do not say which calls were answered).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} rows: {} rated, {} unrated (no rate), ",
            self.rows, self.rated, self.unrated
        )?;
        if self.tells_answered {
            write!(f, "{} not answered, ", self.not_answered)?;
        }
        write!(f, "{} bad", self.bad)
    }
}

impl RateJob<'_> {
    /// The counts of the run so far (all of it once the pipeline has returned).
    pub fn summary(&self) -> RateSummary {
        let [rated, unrated, not_answered] = self.counts.get();
        let bad = self.bad_rows.load(Ordering::Relaxed);
        RateSummary {
            rows: rated + unrated + not_answered + bad,
            rated,
            unrated,
            not_answered,
            bad,
            tells_answered: self.columns.disposition.is_some() || self.columns.answer.is_some(),
        }
    }

    /// Appends one row: the line as read, then its rated columns (empty for a miss, a call
    /// not answered or a bad field, which is also reported on `notes` as
    /// `file:line:column: message`, the line being line `in_chunk` of its chunk).
    fn rate_line(
        &self,
        line: &[u8],
        in_chunk: u64,
        out: &mut Vec<u8>,
        notes: &mut Notes,
        RateScratch {
            fields,
            tails,
            hours,
        }: &mut RateScratch,
    ) -> Outcome {
        let columns = self.columns;
        // A field past the ones read is known to be there without being read: enough to
        // tell that a row has every field of its format.
        fields.split(
            line,
            columns.wanted().max(columns.min_fields.saturating_sub(1)),
        );
        out.extend_from_slice(line);
        let mut bad = |column: usize, message: String| {
            self.bad_rows.fetch_add(1, Ordering::Relaxed);
            notes.push(self.file.as_bytes());
            notes.push(b":");
            notes.line(in_chunk);
            notes.push(format!(":{}: {message}\n", column + 1).as_bytes());
        };
        if !fields.has_at_least(columns.min_fields) {
            bad(
                fields.len().saturating_sub(1),
                format!(
                    "the row has {} fields; every row of this format has at least {}",
                    fields.len(),
                    columns.min_fields
                ),
            );
            self.unrated(out);
            return Outcome::Bad;
        }
        let answered = columns
            .disposition
            .is_none_or(|i| is_answered(fields.get(i)))
            && columns
                .answer
                .is_none_or(|i| !fields.get(i).trim_ascii().is_empty());
        if !answered {
            self.unrated(out);
            return Outcome::NotAnswered;
        }
        let billsec_text = fields.get(columns.billsec).trim_ascii();
        let Some(billsec) = whole_number(billsec_text) else {
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
            Ok(self.at)
        } else {
            match self.dates.parse_wall(start_text) {
                Some(wall) => wall.on(self.zone, hours).map_err(|error| error.to_string()),
                None => Err(self.date_error()),
            }
        };
        let start = match start {
            Ok(start) => start,
            Err(error) => {
                bad(
                    columns.start.unwrap_or_default(),
                    format!("start {:?} {error}", String::from_utf8_lossy(start_text)),
                );
                self.unrated(out);
                return Outcome::Bad;
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
        let delimiter = self.delimiter;
        out.push(delimiter);
        out.extend_from_slice(rating.prefix());
        let write_tail =
            |rate: &RateRecord<'_>, out: &mut Vec<u8>| write_terms_tail(rate, out, delimiter);
        match tails.tail(self.artifact, rating.found.record_index, write_tail) {
            Some(tail) => out.extend_from_slice(tail),
            None => write_terms_tail(&rating.found.record, out, delimiter),
        }
        out.extend_from_slice(itoa::Buffer::new().format(price.rated_s).as_bytes());
        out.push(delimiter);
        write_fixed(out, price.cost, COST_PLACES);
        if self.artifact.has_first_intervals() {
            write_first_interval(out, &rating.found.record, delimiter);
        }
        out.push(b'\n');
        Outcome::Rated
    }

    /// What a `start` that does not match the date format is told.
    fn date_error(&self) -> String {
        match self.dates {
            DateFormat::Iso => {
                "is not a date: expected YYYY-MM-DD HH:MM:SS, YYYY-MM-DD or ISO 8601 \
                                like 2026-12-01T00:00:00Z; another form needs --date-format"
                    .to_owned()
            }
            DateFormat::Pattern(pattern) => {
                format!("is not a date in --date-format {}", pattern.as_str())
            }
        }
    }

    /// Ends a row without a price: every rated column empty.
    fn unrated(&self, out: &mut Vec<u8>) {
        let columns = RATED_COUNT + usize::from(self.artifact.has_first_intervals());
        out.resize(out.len() + columns, self.delimiter);
        out.push(b'\n');
    }
}

/// Whether an Asterisk disposition says the call was answered: `ANSWERED`, in any case,
/// ASCII whitespace around it ignored. The exact word, which Asterisk writes, is tried first: the
/// general compare costs more than the rest of the check.
fn is_answered(disposition: &[u8]) -> bool {
    disposition == b"ANSWERED" || disposition.trim_ascii().eq_ignore_ascii_case(b"ANSWERED")
}

/// `text` as a whole number, as `i64`'s own parse reads it, without going through `str` for
/// the few plain digits nearly every CDR's billsec is.
fn whole_number(text: &[u8]) -> Option<i64> {
    if (1..=18).contains(&text.len()) && text.iter().all(u8::is_ascii_digit) {
        return Some(
            text.iter()
                .fold(0, |number, &digit| number * 10 + i64::from(digit - b'0')),
        );
    }
    std::str::from_utf8(text).ok()?.parse().ok()
}

/// The rated columns a record decides (`,destination,rate,connection_fee,increment_s,
/// min_time_s`), rates exactly as the deck wrote them, and the delimiter before `rated_s`.
fn write_terms_tail(rate: &RateRecord<'_>, out: &mut Vec<u8>, delimiter: u8) {
    write_record_columns(out, rate, RateStyle::Exact, delimiter);
    out.push(delimiter);
}

/// A `tariff-rate` worker's buffers and caches, kept from chunk to chunk.
#[derive(Debug, Default)]
pub struct RateScratch {
    fields: CsvLine,
    tails: TailCache,
    /// The last span of wall clock times with one zone offset.
    hours: OffsetMemo,
}

impl ChunkWork for RateJob<'_> {
    type State = RateScratch;

    fn process(
        &self,
        lines: &mut ChunkLines<'_>,
        out: &mut Vec<u8>,
        notes: &mut Notes,
        scratch: &mut RateScratch,
    ) {
        if scratch.fields.delimiter() != self.delimiter {
            scratch.fields = CsvLine::new(self.delimiter);
        }
        // [rated, unrated, not answered] in this chunk: added to the run's counts once, at
        // its end.
        let mut counts = [0u64; 3];
        for (line, in_chunk) in lines {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            // A blank line is no record: nothing to price, nothing written.
            if !line.trim_ascii().is_empty() {
                match self.rate_line(line, in_chunk, out, notes, scratch) {
                    Outcome::Rated => counts[0] += 1,
                    Outcome::Unrated => counts[1] += 1,
                    Outcome::NotAnswered => counts[2] += 1,
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
    use super::{is_answered, whole_number};

    #[test]
    fn answered_is_the_word_in_any_case_with_spaces_around() {
        for yes in ["ANSWERED", "answered", " Answered ", "ANSWERED\t"] {
            assert!(is_answered(yes.as_bytes()), "{yes:?}");
        }
        for no in [
            "NO ANSWER",
            "BUSY",
            "FAILED",
            "",
            "ANSWERE",
            "ANSWERED2",
            "AN SWERED",
        ] {
            assert!(!is_answered(no.as_bytes()), "{no:?}");
        }
    }

    /// The digits-only path reads what `i64`'s own parse reads, and the rest goes to it.
    #[test]
    fn billsec_is_read_as_i64_reads_it() {
        for text in [
            "0",
            "007",
            "177",
            "+5",
            "-5",
            "",
            "1e3",
            "12 3",
            "999999999999999999",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "١٢",
        ] {
            assert_eq!(whole_number(text.as_bytes()), text.parse().ok(), "{text:?}");
        }
    }
}
